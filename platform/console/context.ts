/**
 * What every console page shares: the dependencies, the signed-in user, rendering with the frame
 * every page needs, messages in the page's language, the guards (session, CSRF) and the audit
 * trail. Each area of the console (console/pages/<area>.ts) is a ConsoleArea that registers its
 * routes on the router with this context; console/index.ts only wires the areas together.
 */
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Knex } from 'knex';
import type { ApiDeps } from '../http/module';
import type { OidcConfig } from '../config/config';
import { requestIdOf } from '../http/requestId';
import { LOCALES, type Locale } from '../../domain/locale';
import { AuditRepository } from '../db/audit';
import type { User } from '../../domain/people';
import { DEFAULT_SESSION_LIMITS, type SessionLimits, type SessionVerdict } from '../../domain/consoleSessions';
import { LOCALE_NAMES, translate, type MessageKey } from '../i18n/catalogue';
import { createCsrf, type SignInLimit } from './security';
import { clearSessionCookie, SESSION_COOKIE, signedOutLocale } from './session';
import { CONSOLE_TIME_ZONE, createRenderer, label, type Page, type PageBase } from './views';

export interface ConsoleDeps {
  knex: Knex;
  /** Where unexpected errors go; defaults to console. */
  logger?: { error(message: string, error: unknown): void };
  /** Idle and absolute session lifetimes; default 12 hours and 7 days. */
  sessionLimits?: SessionLimits;
  /** Failed sign-ins allowed per client address and window; default 100 per 15 minutes. */
  signInLimit?: SignInLimit;
  /** Key of the CSRF tokens; default random per process. */
  csrfSecret?: string;
  /** The clock, for tests of expiry. */
  now?: () => Date;
  /** The process engine, as the API has it: step forms (projects, tickets) run the same workflow updates. Without it they answer 503. */
  temporal?: ApiDeps['temporal'];
  /** Mail the console sends itself (password-reset links), as the API has it. */
  mail?: ApiDeps['mail'];
  /** How long invitation and reset links live, as the API has it. */
  linkLifetimes?: ApiDeps['linkLifetimes'];
  /** The second factor's key and longest wait (AFTERCARE_SECOND_FACTOR_KEY, AFTERCARE_SECOND_FACTOR_MAX_WAIT). */
  secondFactor?: { key?: string; maxWaitMs: number };
  /** Single sign-on for staff (people/oidc/): the sign-in page offers it when set. */
  oidc?: OidcConfig;
  /** How long machine tokens live, as the API has it. */
  tokenLifetimes?: ApiDeps['tokenLifetimes'];
}

/** A link in the main navigation, shown to every signed-in user. */
export interface NavLink {
  href: string;
  label: MessageKey;
  /** Shown only to the users this admits (the page itself still checks); absent: every signed-in user. */
  shownTo?: (user: User) => boolean;
}

/** One area of the console: its paths (session and security headers apply to them), its links, its routes. */
export interface ConsoleArea {
  /** Express path patterns this area answers; everything else passes on to later mounts. */
  paths: string[];
  /** Paths served without looking at the session (static files). */
  assets?: string[];
  nav?: NavLink[];
  register(router: express.Router, context: ConsoleContext): void;
}

/** Where a signed-in user lands (after sign-in, on `/`, from the brand link). */
export const HOME_PATH = '/home';

const USER = 'consoleUser';
const ENDED = 'consoleSessionEnded';
const HOLD = 'consoleSessionHold';
// A form's longest text (5,000 characters) is up to 45 kB once a Chinese text is percent-encoded (9 bytes a character).
const FORM_BODY = express.urlencoded({ extended: false, limit: '256kb' });

export interface AuditEntry {
  statusCode: number;
  user: User | null;
  sessionRowId?: number | null;
  details?: Record<string, unknown>;
}

export type ConsoleContext = ReturnType<typeof createConsoleContext>;

/**
 * A live session held at one page until it has done something there (the second factor): every
 * other path redirects to `page`, except the paths in `open` (the page itself, sign-out, language).
 */
export interface SessionHold {
  page: string;
  open: readonly string[];
}

/** The console's sessions as the shell needs them: one resumed per request. The people feature keeps them (people/sessions.ts). */
export interface ConsoleSessionStore {
  resume(sessionId: string, limits: SessionLimits, now: Date): Promise<{ user: User; hold?: SessionHold | null } | { user: null; verdict: SessionVerdict | null }>;
}

export function createConsoleContext(deps: ConsoleDeps, nav: NavLink[], sessions: ConsoleSessionStore) {
  const render = createRenderer();
  const now = deps.now ?? (() => new Date());
  const limits = deps.sessionLimits ?? DEFAULT_SESSION_LIMITS;
  const csrf = createCsrf(deps.csrfSecret);
  const auditLog = new AuditRepository(deps.knex);

  const signedInUser = (res: Response): User | null => (res.locals[USER] as User | undefined) ?? null;
  const localeOf = (req: Request, res: Response): Locale => signedInUser(res)?.locale ?? signedOutLocale(req);

  /**
   * The console's state changes go into the same audit trail as the API's. Never with a token or
   * a session id; a failed sign-in has no actor.
   */
  const audit = (req: Request, res: Response, entry: AuditEntry) =>
    auditLog.record({
      at: now(),
      actorUserId: entry.user?.id ?? null,
      actorRole: entry.user?.role ?? null,
      action: `${req.method} ${req.path} (console)`,
      entityType: entry.sessionRowId ? 'console_session' : null,
      entityId: entry.sessionRowId ?? null,
      // Mounted on createApp's app, the request already has the id the response header carries.
      requestId: requestIdOf(res) === 'unknown' ? crypto.randomUUID() : requestIdOf(res),
      statusCode: entry.statusCode,
      details: { ip: req.ip ?? null, ...entry.details },
    });

  /** Renders a page with what every page needs: language, CSRF token for its forms, the user, the navigation. */
  const send = (req: Request, res: Response, status: number, page: Page, context: Record<string, unknown> & { title: string }) => {
    const user = signedInUser(res);
    const locale = localeOf(req, res);
    const base: PageBase = {
      title: context.title,
      locale,
      timeZone: CONSOLE_TIME_ZONE,
      csrfToken: csrf.token(req, res),
      user: user ? { name: user.name, role: label(locale, 'role', user.role) } : null,
      here: req.method === 'GET' ? req.originalUrl : '/',
    };
    const locales = LOCALES.map((value) => ({ value, name: LOCALE_NAMES[value], current: value === locale }));
    const links = nav.filter((link) => user !== null && (link.shownTo?.(user) ?? true)).map((link) => ({ href: link.href, label: translate(locale, link.label) }));
    res
      .status(status)
      // Pages show customer data to one signed-in user: never keep them in a shared or back-button cache.
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
      .send(render(page, { ...base, locales, nav: links, home: HOME_PATH, ...context }));
  };
  const t = (req: Request, res: Response, key: MessageKey, values?: Record<string, string | number>) => translate(localeOf(req, res), key, values);
  const message = (req: Request, res: Response, status: number, title: string, text: string) => send(req, res, status, 'message', { title, message: text });

  /** Forgets a dead session cookie for the rest of this request too, so the page's CSRF token matches the next post. */
  const forgetSessionCookie = (req: Request, res: Response) => {
    clearSessionCookie(req, res);
    delete (req.cookies as Record<string, unknown>)[SESSION_COOKIE];
  };

  /** Resumes the session of the request, if any: the user for the pages, or why it ended. */
  const resumeSession = async (req: Request, res: Response, sessionId: string) => {
    const resumed = await sessions.resume(sessionId, limits, now());
    if (resumed.user) {
      res.locals[USER] = resumed.user;
      if (resumed.hold) res.locals[HOLD] = resumed.hold;
    } else {
      res.locals[ENDED] = resumed.verdict;
      forgetSessionCookie(req, res);
    }
  };

  /** Every page but the sign-in form: a live session, or back to the form saying why; a page asked for comes back after sign-in (`next`). */
  const requireUser: RequestHandler = (req, res, next) => {
    if (signedInUser(res)) return next();
    const ended = res.locals[ENDED] as SessionVerdict | null | undefined;
    const query = new URLSearchParams();
    if (ended && !ended.live) query.set('ended', ended.reason);
    if (req.method === 'GET' && req.originalUrl !== HOME_PATH) query.set('next', req.originalUrl);
    res.redirect(303, query.size > 0 ? `/?${query.toString()}` : '/');
  };

  /**
   * A held session reaches only its hold's open paths; anything else goes to the held page, a page
   * asked for with it (`next`), so a deep link still lands once the hold is passed.
   */
  const holdGate: RequestHandler = (req, res, next) => {
    const hold = res.locals[HOLD] as SessionHold | undefined;
    if (!hold || hold.open.includes(req.path)) return next();
    const asked = req.method !== 'GET' ? null : req.path === '/' ? (typeof req.query.next === 'string' ? req.query.next : null) : req.originalUrl;
    const query = new URLSearchParams();
    if (asked && asked !== HOME_PATH) query.set('next', asked);
    res.redirect(303, query.size > 0 ? `${hold.page}?${query.toString()}` : hold.page);
  };

  /** Every form post: the body, then its CSRF token, before anything else happens. */
  const requireCsrf = (onInvalid: (req: Request, res: Response) => void): RequestHandler[] => [
    FORM_BODY,
    (req: Request, res: Response, next: NextFunction) => (csrf.valid(req) ? next() : onInvalid(req, res)),
  ];
  const expiredForm = (req: Request, res: Response) => message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'form.expired'));

  return {
    deps,
    knex: deps.knex,
    now,
    limits,
    signedInUser,
    localeOf,
    audit,
    send,
    t,
    message,
    forgetSessionCookie,
    resumeSession,
    requireUser,
    holdGate,
    requireCsrf,
    expiredForm,
  };
}
