/**
 * Typed data-access errors; the API maps ConflictError to 409 and NotFoundError to 404. Either may be
 * given words (a catalogue key and its arguments) instead of an English sentence: the API then answers
 * in the reader's language.
 */
import { wordsAsText, type Words } from '../../domain/words';

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly code = 'conflict';
  readonly words: Words | undefined;

  constructor(
    message: string | Words,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(typeof message === 'string' ? message : wordsAsText(message), options);
    this.words = typeof message === 'string' ? undefined : message;
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly code = 'not_found';
  readonly words: Words | undefined;

  constructor(
    message: string | Words,
    readonly details: ErrorDetails = {},
  ) {
    super(typeof message === 'string' ? message : wordsAsText(message));
    this.words = typeof message === 'string' ? undefined : message;
  }
}

interface DriverError {
  code?: unknown;
  errno?: unknown;
}

function driverError(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : {};
}

/** A unique-key violation from mysql2 (MySQL/MariaDB) or better-sqlite3. */
export function isUniqueViolation(error: unknown): boolean {
  const { code, errno } = driverError(error);
  return code === 'ER_DUP_ENTRY' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** MySQL/MariaDB chose this transaction as a deadlock's victim: it may simply be tried again. */
export function isDeadlock(error: unknown): boolean {
  const { code, errno } = driverError(error);
  return code === 'ER_LOCK_DEADLOCK' || errno === 1213;
}

/** A missing parent row behind a foreign key, from either driver. */
export function isForeignKeyViolation(error: unknown): boolean {
  const { code, errno } = driverError(error);
  return code === 'ER_NO_REFERENCED_ROW_2' || errno === 1452 || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
