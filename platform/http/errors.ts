import { ConflictError, NotFoundError } from '../db/errors';
import { DomainError } from '../../domain/errors';
import { wordsAsText, type Words } from '../../domain/words';

export interface FieldProblem {
  /** Dotted path of the bad value, e.g. `devices.0.serial`. */
  field: string;
  message: string;
}

export type ErrorCode =
  | 'validation_failed'
  | 'invalid_json'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'bad_request'
  | 'unavailable'
  | 'idempotency_key_reused'
  | 'internal';

/** The one error shape the API answers with: `{ "error": { "code", "message", "details" } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown };
}

/**
 * An error that already knows its HTTP answer. Handlers may throw it; so does defineRoute. With
 * `words`, the answer's message (and a field problem carrying the same message) is said in the
 * reader's language (problemMessages.ts `errorBodyIn`); `message` is then the words as text, for logs.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = [],
    readonly words?: Words,
  ) {
    super(message);
  }

  get body(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const validationFailed = (details: FieldProblem[], message = `Invalid ${details.map((d) => d.field).join(', ')}`): ApiError =>
  new ApiError(400, 'validation_failed', message, details);
/** An answer with a message as written, or with words said in the reader's language (`message` is then the words as text, for logs). */
const answer = (status: number, code: ErrorCode, message: string | Words, details: unknown = []): ApiError =>
  typeof message === 'string' ? new ApiError(status, code, message, details) : new ApiError(status, code, wordsAsText(message), details, message);
export const unauthenticated = (message: string | Words): ApiError => answer(401, 'unauthenticated', message);
export const forbidden = (message: string | Words): ApiError => answer(403, 'forbidden', message);
export const notFound = (message: string | Words): ApiError => answer(404, 'not_found', message);
export const conflict = (message: string | Words, details: unknown = []): ApiError => answer(409, 'conflict', message, details);
export const unavailable = (message: string): ApiError => new ApiError(503, 'unavailable', message);
export const idempotencyKeyReused = (message: string): ApiError => new ApiError(422, 'idempotency_key_reused', message, [{ field: 'Idempotency-Key', message }]);

/** body-parser errors carry `type` and a 4xx `status`. */
interface BodyParserError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
  message?: unknown;
}

function bodyParserError(error: unknown): ApiError | null {
  if (typeof error !== 'object' || error === null) return null;
  const { type, status, expose, message } = error as BodyParserError;
  if (type === 'entity.parse.failed') {
    // Also a JSON value that is not an object or array (express.json is strict): name the body, like every other 400.
    return new ApiError(400, 'invalid_json', 'The request body is not valid JSON', [{ field: 'body', message: 'must be a JSON object' }]);
  }
  if (type === 'entity.too.large') return new ApiError(413, 'payload_too_large', 'The request body is too large');
  if (typeof status === 'number' && status >= 400 && status < 500 && expose === true) {
    return new ApiError(status, 'bad_request', typeof message === 'string' ? message : 'Bad request');
  }
  return null;
}

/** Known errors become their HTTP answer; anything else is null and must be answered as 500. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof ConflictError) return new ApiError(409, 'conflict', error.message, error.details, error.words);
  if (error instanceof NotFoundError) return new ApiError(404, 'not_found', error.message, error.details, error.words);
  if (error instanceof DomainError) return new ApiError(400, 'validation_failed', error.message, [{ field: error.field ?? '', message: error.message }], error.words);
  return bodyParserError(error);
}

export const INTERNAL_ERROR_BODY: ErrorBody = {
  error: { code: 'internal', message: 'Something went wrong on our side; the error has been logged', details: [] },
};
