import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * Never written out: credentials in request headers, cookies both ways, and any password or token
 * field one level into a logged object (`{ user: { token } }`) or at its top.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  'token',
  'adminToken',
  'secret',
  'taskToken',
  '*.password',
  '*.token',
  '*.adminToken',
  '*.secret',
  '*.authorization',
  '*.cookie',
];

/**
 * `AFTERCARE_LOG_LEVEL` (case-insensitive), else `fallback`. Under jest the fallback is `warn`, so
 * test output carries only what went wrong.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: LogLevelName = env.JEST_WORKER_ID ? 'warn' : 'info'): LogLevelName {
  const wanted = env.AFTERCARE_LOG_LEVEL?.trim().toLowerCase();
  return wanted && (LOG_LEVELS as readonly string[]).includes(wanted) ? (wanted as LogLevelName) : fallback;
}

export interface LoggerOptions {
  level?: LogLevelName;
  /** Where the JSON lines go; stdout by default. Tests hand in a stream to read them back. */
  destination?: DestinationStream;
}

/** A JSON-lines logger with Aftercare's redaction and error serializers. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? logLevelFromEnv(),
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // `err` is pino's own key; the SDK's log metadata and our call sites also say `error`.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The process's one root logger: everything else is a child of it (or of a logger handed in). */
export const rootLogger: Logger = createLogger();

const context = new AsyncLocalStorage<Logger>();

/** Runs `fn` with `logger` as the current logger of everything it awaits (an HTTP request's child logger). */
export function withLogger<T>(logger: Logger, fn: () => T): T {
  return context.run(logger, fn);
}

/** The logger of the request (or other unit of work) being served, else the root logger. */
export function currentLogger(): Logger {
  return context.getStore() ?? rootLogger;
}

/** pino's method for one of the SDK's levels (TRACE, DEBUG, INFO, WARN, ERROR). */
export function pinoLevelOf(level: string): Level {
  const lower = level.toLowerCase();
  return lower === 'trace' || lower === 'debug' || lower === 'info' || lower === 'warn' || lower === 'error' || lower === 'fatal' ? lower : 'info';
}

/** The `error(message, error)` shape older call sites expect, written through a pino logger. */
export function errorLoggerOf(logger: Logger): { error(message: string, error?: unknown): void } {
  return {
    error: (message, error) => (error === undefined ? logger.error(message) : logger.error({ err: error }, message)),
  };
}
