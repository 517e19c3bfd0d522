import { DefaultLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';

/** The notices worker registers no workflows on purpose; the SDK warns about that at every start. */
const EXPECTED_WARNINGS = new Set(['No workflows registered, not polling for workflow tasks']);

/** The SDK's console logger, minus the warnings our worker layout causes on purpose. */
export class WorkerLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (EXPECTED_WARNINGS.has(message)) return;
    super.log(level, message, meta);
  }
}
