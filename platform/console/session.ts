import type { Request, Response } from 'express';
import type { Locale } from '../../domain/locale';
import type { SessionLimits } from '../../domain/consoleSessions';

/**
 * The console's cookies. The session cookie holds only a random session id (its hash is the
 * console_sessions row; the API token never leaves the sign-in form). HttpOnly keeps it from
 * scripts. SameSite=Lax: links into the console from mail (notices link to it) arrive signed in,
 * while other sites' forms cannot post with it; every form also carries a CSRF token.
 */
export const SESSION_COOKIE = 'aftercare_session';
/** The language chosen before signing in; once signed in, the user's own locale wins. */
export const LOCALE_COOKIE = 'aftercare_locale';
/** The CSRF double-submit cookie (csrf-csrf): an HMAC bound to the session cookie's value. */
export const CSRF_COOKIE = 'aftercare_csrf';

/**
 * The app setting (`app.set(SECURE_COOKIES, true)`) that marks every cookie Secure: set when
 * AFTERCARE_PUBLIC_URL is https (app/httpApp.ts), whatever the request looked like behind the proxy.
 */
export const SECURE_COOKIES = 'aftercare secure cookies';

/** Secure when the public URL is https, or this server (or a trusted proxy) terminated TLS; on http://localhost the browser would drop it. */
export function cookieOptions(req: Request) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: req.secure || req.app?.get(SECURE_COOKIES) === true, path: '/' };
}

export function setSessionCookie(req: Request, res: Response, sessionId: string, limits: SessionLimits): void {
  // The browser may forget it at the absolute end; the server enforces both limits itself.
  res.cookie(SESSION_COOKIE, sessionId, { ...cookieOptions(req), maxAge: limits.absoluteMs });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, cookieOptions(req));
}

export function setLocaleCookie(req: Request, res: Response, locale: Locale): void {
  res.cookie(LOCALE_COOKIE, locale, { ...cookieOptions(req), maxAge: 365 * 24 * 60 * 60 * 1000 });
}

function cookie(req: Request, name: string): string | null {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The session id in the request's cookie, or null. */
export function sessionIdOf(req: Request): string | null {
  return cookie(req, SESSION_COOKIE);
}

/** The language for someone not signed in: their earlier choice, else their browser's wish for Chinese, else English. */
export function signedOutLocale(req: Request): Locale {
  const chosen = cookie(req, LOCALE_COOKIE);
  if (chosen === 'en' || chosen === 'zh-CN') return chosen;
  const best = req.acceptsLanguages('en', 'zh-CN', 'zh');
  return best === 'zh-CN' || best === 'zh' ? 'zh-CN' : 'en';
}
