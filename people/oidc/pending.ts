/**
 * A sign-in under way at the provider: its state, nonce and PKCE verifier and the page to return to,
 * kept in the browser that started it, in one cookie sealed with AES-256-GCM (so it can be neither
 * read nor altered) under a key derived from the client secret (every API process has it; nothing
 * is stored). The cookie is HttpOnly, SameSite=Lax (the provider's redirect back is a top-level GET,
 * which carries it), limited to /sign-in/oidc and lives as long as a sign-in may take.
 */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { cookieOptions } from '../../platform/console/session';
import { PENDING_SIGN_IN_MS } from './rules';

export const PENDING_COOKIE = 'aftercare_oidc';
const COOKIE_PATH = '/sign-in/oidc';

export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The local path to land on. */
  next: string;
  /** When it started, ms since the epoch. */
  startedAt: number;
}

const keyOf = (clientSecret: string): Buffer => Buffer.from(crypto.hkdfSync('sha256', clientSecret, 'aftercare', 'oidc pending sign-in', 32));

export function sealPending(pending: PendingSignIn, clientSecret: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyOf(clientSecret), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(pending), 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url')).join('.');
}

/** The sign-in sealed in `value`, or null when it is not one of ours (forged, altered, another key, malformed). */
export function openPending(value: string, clientSecret: string): PendingSignIn | null {
  const [iv, tag, sealed, ...rest] = value.split('.');
  if (!iv || !tag || !sealed || rest.length > 0) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', keyOf(clientSecret), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const text = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8');
    const parsed = JSON.parse(text) as Partial<PendingSignIn>;
    const strings = [parsed.state, parsed.nonce, parsed.codeVerifier, parsed.next];
    if (strings.some((s) => typeof s !== 'string') || typeof parsed.startedAt !== 'number') return null;
    return parsed as PendingSignIn;
  } catch {
    return null;
  }
}

export function setPendingCookie(req: Request, res: Response, pending: PendingSignIn, clientSecret: string): void {
  res.cookie(PENDING_COOKIE, sealPending(pending, clientSecret), { ...cookieOptions(req), path: COOKIE_PATH, maxAge: PENDING_SIGN_IN_MS });
}

/** The pending sign-in of this browser, if any; always forgotten, since each is used once. */
export function takePendingCookie(req: Request, res: Response, clientSecret: string): PendingSignIn | null {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[PENDING_COOKIE];
  res.clearCookie(PENDING_COOKIE, { ...cookieOptions(req), path: COOKIE_PATH });
  return typeof value === 'string' && value !== '' ? openPending(value, clientSecret) : null;
}
