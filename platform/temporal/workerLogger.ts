import { DefaultLogger, type LogEntry, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { pinoLevelOf, rootLogger, type Logger } from '../logging';

/** The notices worker registers no workflows on purpose; the SDK warns about that at every start. */
const EXPECTED_WARNINGS = new Set(['No workflows registered, not polling for workflow tasks']);

/** The SDK's level for a pino level, so the SDK does not build lines pino would drop. */
export function sdkLevelOf(logger: Logger): LogLevel {
  switch (logger.level) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
}

/** One SDK log entry as one pino line; the SDK's metadata (workflowId, activityId, taskQueue…) become fields. */
function writeTo(logger: Logger) {
  return (entry: LogEntry): void => {
    logger[pinoLevelOf(entry.level)]({ ...entry.meta }, entry.message);
  };
}

/**
 * The SDK's logger (Runtime.install({ logger })) written through pino: worker lines, core lines
 * forwarded from Rust, and activities' `log` lines, which carry their workflow and activity ids.
 * Drops the warnings our worker layout causes on purpose.
 */
export class WorkerLogger extends DefaultLogger {
  constructor(level?: LogLevel, logger: Logger = rootLogger) {
    const child = logger.child({ component: 'temporal' });
    super(level ?? sdkLevelOf(logger), writeTo(child));
  }

  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (EXPECTED_WARNINGS.has(message)) return;
    super.log(level, message, meta);
  }
}
