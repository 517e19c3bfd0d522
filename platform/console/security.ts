/**
 * The console's defences, each from its library: helmet's headers with a content policy the pages
 * satisfy and csrf-csrf's double-submit tokens on every form. Sign-in limits are counted in the
 * database (people/signInRules.ts), so they hold across API processes.
 */
import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { cookieOptions, CSRF_COOKIE, sessionIdOf } from './session';
import { CSRF_FIELD } from './views';
import { randomToken } from '../tokens';

/**
 * Pages use only the console's own stylesheet and scripts (the KPI charts) and post forms back
 * here; no inline script, no frames.
 * Referrer-Policy same-origin: with no-referrer, Chromium posts same-origin forms with
 * `Origin: null`; same-origin keeps our URLs from other sites and leaves our own requests intact.
 */
export function consoleSecurityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        // The KPI page's charts: chart.js and the page's own script, both files of this site.
        scriptSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'same-origin' },
  });
}

export interface Csrf {
  /** The token for the forms of the page being answered; also (re)sets the CSRF cookie. */
  token(req: Request, res: Response): string;
  /** Whether a form post carries the token matching its cookie and session. */
  valid(req: Request): boolean;
}

/**
 * Double-submit tokens bound to the session cookie's value, so a token from before sign-in (or
 * from another session) is useless after it. Without a configured secret each process draws its
 * own: forms open across a restart then need one resend.
 */
export function createCsrf(secret: string = randomToken()): Csrf {
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) => sessionIdOf(req) ?? '',
    cookieName: CSRF_COOKIE,
    cookieOptions: { sameSite: 'lax', httpOnly: true, secure: false, path: '/' },
    getCsrfTokenFromRequest: (req) => {
      const value = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      return typeof value === 'string' ? value : null;
    },
  });
  return {
    token: (req, res) => generateCsrfToken(req, res, { cookieOptions: cookieOptions(req) }),
    valid: (req) => validateRequest(req),
  };
}

export interface SignInLimit {
  attempts: number;
  windowMs: number;
}

/** Failed sign-ins allowed per client address and window (CONSOLE_SIGNIN_LIMIT), whatever accounts they tried. */
export const DEFAULT_SIGN_IN_LIMIT: SignInLimit = { attempts: 100, windowMs: 15 * 60 * 1000 };
