import { NoticeRenderError, UnknownTemplateError } from './render';

/*
 * Which notice problems are for good. A notice that can never be sent must not stop the process
 * that asked for it: the outbox marks it failed with the reason, and service managers see it.
 * Everything else (SMTP down, a 4xx "try later") is retried until it goes through.
 */

/** One mailbox, local@domain, nothing that would split it into several or a display name. */
const ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;

const MAX_ADDRESS_LENGTH = 254;

/** Why `email` cannot be a recipient, or undefined when it can. */
export function recipientProblem(email: string): string | undefined {
  if (!ADDRESS.test(email)) return `recipient address ${JSON.stringify(email.slice(0, 300))} is not an e-mail address`;
  // RFC 5321's limit on a forward path, and the outbox column's width.
  if (email.length > MAX_ADDRESS_LENGTH) return `recipient address is ${email.length} characters long; at most ${MAX_ADDRESS_LENGTH} can be delivered`;
  return undefined;
}

/** Rendering problems that no retry can fix: an unknown template, a variable the context lacks. */
export function isPermanentRenderError(error: unknown): error is Error {
  return error instanceof NoticeRenderError || error instanceof UnknownTemplateError;
}

/**
 * An SMTP answer that refuses the message for good: a 5xx reply (RFC 5321 §4.2.1), e.g. 550 "no such
 * mailbox", or nodemailer's envelope error when no recipient is acceptable. 4xx replies and
 * connection errors (no reply code) are temporary.
 */
export function isPermanentSmtpRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { responseCode, code } = error as { responseCode?: unknown; code?: unknown };
  if (typeof responseCode === 'number') return responseCode >= 500 && responseCode < 600;
  return code === 'EENVELOPE';
}
