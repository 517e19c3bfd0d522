/**
 * The one place secrets are drawn: every bearer token, session id and link token is 256 random bits,
 * URL-safe, and only its sha256 is stored (a leaked table does not leak working tokens).
 */
import crypto from 'node:crypto';

/** 256 random bits as base64url (43 characters): console session ids, survey and feed links. */
export function randomToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** An API bearer token: `ac_` and 256 random bits (the bootstrap admin's too). */
export function generateToken(): string {
  return `ac_${randomToken()}`;
}

/** Only this digest (sha256, hex) is stored in place of a token. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
