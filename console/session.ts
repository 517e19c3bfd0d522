import type { Request, Response } from 'express';

/**
 * The console's sign-in cookie holds the API token itself: every page checks it again with
 * UsersRepository.authenticate, so revoking the token (or deactivating its user) ends the session
 * on the next request. HttpOnly keeps it away from scripts; SameSite=Strict keeps other sites'
 * forms and links from sending it.
 */
export const SESSION_COOKIE = 'aftercare_console';

function attributes(req: Request): string[] {
  // Secure only when this server itself terminates TLS; on http://localhost the browser would drop it.
  return ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(req.secure ? ['Secure'] : [])];
}

export function setSessionCookie(req: Request, res: Response, token: string): void {
  res.append('Set-Cookie', [`${SESSION_COOKIE}=${encodeURIComponent(token)}`, ...attributes(req)].join('; '));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', [`${SESSION_COOKIE}=`, 'Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', ...attributes(req)].join('; '));
}

/** The token in the request's session cookie, or null. */
export function sessionToken(req: Request): string | null {
  const header = req.get('cookie');
  if (!header) return null;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    try {
      const value = decodeURIComponent(pair.slice(eq + 1).trim());
      return value === '' ? null : value;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Login CSRF guard for the two POST forms: a browser sends Origin on cross-site form posts, and
 * it must then name this host. Requests without Origin (curl, old browsers) are let through.
 */
export function sameOrigin(req: Request): boolean {
  const origin = req.get('origin');
  if (!origin) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}
