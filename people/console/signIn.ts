/**
 * Signing in and out, and the language switch.
 *
 *   GET  /        sign-in form (e-mail and password; an API token as the second form), or on home when signed in
 *   POST /login   checks the password (or the token), opens a session, 303 → the page asked for (`next`, a
 *                 local path) or home; 400/401 with the problem beside the field, 429 when limited
 *   POST /logout  revokes the session, 303 → /?ended=signed_out
 *   POST /locale  switches the language (kept on the user when signed in), 303 → back
 *
 * Limits (people/signInRules.ts), counted in the database: failures per client address (req.ip,
 * through AFTERCARE_TRUST_PROXY) within CONSOLE_SIGNIN_LIMIT, and a growing wait per account after 5
 * failures in a row.
 */
import { ConsoleSessionsRepository } from '../sessions';
import type { NextFunction, Request, Response } from 'express';
import { UsersRepository, type User } from '../repository';
import { addressMaySignIn, recordAddressFailure, signInWithPassword, type PeopleDeps } from '../useCases';
import { HOME_PATH, type ConsoleArea, type ConsoleContext } from '../../platform/console/context';
import { emptyForm, formValues, formWithFieldError, formWithProblem, type FormState } from '../../platform/console/forms';
import { isLocale, localPath } from '../../platform/console/kit';
import type { MessageKey } from '../../platform/i18n/catalogue';
import { DEFAULT_SIGN_IN_LIMIT } from '../../platform/console/security';
import { sessionIdOf, setLocaleCookie, setSessionCookie } from '../../platform/console/session';

/** Why the sign-in page is shown again, as `/?ended=…`. */
const ENDED_NOTICES: Record<string, MessageKey> = {
  signed_out: 'signin.signedOut',
  idle: 'signin.ended.idle',
  expired: 'signin.ended.expired',
  token_revoked: 'signin.ended.revoked',
  user_deactivated: 'signin.ended.revoked',
  password_changed: 'signin.ended.passwordChanged',
  second_factor_reset: 'factor.ended.reset',
};

/** The client's address as the limits count it: Express's req.ip, which follows the trust proxy setting. */
export const clientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Where to go after signing in: the local path asked for, else home (never another site). */
export const nextPath = (value: unknown): string => {
  const path = localPath(value, HOME_PATH);
  return path === '/' || path.startsWith('/?') || path.startsWith('/login') ? HOME_PATH : path;
};

export function peopleDeps(ctx: ConsoleContext): PeopleDeps {
  return { knex: ctx.knex, mail: ctx.deps.mail, lifetimes: ctx.deps.linkLifetimes, now: ctx.now };
}

export interface LoginExtras {
  notice?: string | null;
  /** A refusal shown as the page's problem (single sign-on's), rather than beside a field. */
  problem?: string | null;
  tokenForm?: FormState;
  next?: string;
}

/** The sign-in page: the password form, single sign-on when it is set (people/oidc/), the token form. */
export function sendLoginPage(ctx: ConsoleContext, req: Request, res: Response, status: number, form: FormState, extra: LoginExtras = {}): void {
  const next = extra.next ?? '';
  const oidc = ctx.deps.oidc;
  ctx.send(req, res, status, 'login', {
    title: ctx.t(req, res, 'signin.title'),
    form,
    tokenForm: extra.tokenForm ?? emptyForm(),
    notice: extra.notice ?? null,
    problem: extra.problem ?? null,
    next,
    sso: oidc ? { href: next ? `${OIDC_START_PATH}?${new URLSearchParams({ next }).toString()}` : OIDC_START_PATH, label: ctx.t(req, res, 'sso.button', { name: oidc.name }) } : null,
  });
}

/**
 * Opens the console session of a person who proved who they are (password, token, single sign-on):
 * the new session replaces whatever session this browser had, goes on the audit trail, and the
 * browser lands on the page asked for.
 */
export async function startSession(ctx: ConsoleContext, req: Request, res: Response, opened: { id: number; sessionId: string; user: User }, how: string, next: string, details: Record<string, unknown> = {}): Promise<void> {
  const sessions = new ConsoleSessionsRepository(ctx.knex);
  const previous = sessionIdOf(req);
  if (previous) await sessions.revoke(previous, ctx.now());
  await sessions.prune(ctx.limits, ctx.now());
  await ctx.audit(req, res, { statusCode: 303, user: opened.user, sessionRowId: opened.id, details: { outcome: 'signed_in', with: how, ...details } });
  setSessionCookie(req, res, opened.sessionId, ctx.limits);
  res.redirect(303, nextPath(next));
}

/** Where single sign-on starts (people/oidc/console.ts). */
export const OIDC_START_PATH = '/sign-in/oidc';

export const signInArea: ConsoleArea = {
  paths: ['/', '/login', '/logout', '/locale'],
  register(router, ctx) {
    const { t, signedInUser, audit, requireCsrf, expiredForm, message } = ctx;
    const sessions = new ConsoleSessionsRepository(ctx.knex);
    const users = new UsersRepository(ctx.knex);
    const people = peopleDeps(ctx);
    const limit = ctx.deps.signInLimit ?? DEFAULT_SIGN_IN_LIMIT;
    const loginPage = (req: Request, res: Response, status: number, form: FormState, extra: LoginExtras = {}) => sendLoginPage(ctx, req, res, status, form, extra);

    router.get('/', (req, res) => {
      const next = typeof req.query.next === 'string' ? nextPath(req.query.next) : '';
      if (signedInUser(res)) return res.redirect(303, next || HOME_PATH);
      const ended = typeof req.query.ended === 'string' ? ENDED_NOTICES[req.query.ended] : undefined;
      const notice = ended ? t(req, res, ended) : next && next !== HOME_PATH ? t(req, res, 'signin.askedFor') : null;
      loginPage(req, res, 200, emptyForm(), { notice, next: next === HOME_PATH ? '' : next });
    });

    const signedIn = (req: Request, res: Response, opened: { id: number; sessionId: string; user: User }, how: string, next: string) => startSession(ctx, req, res, opened, how, next);

    router.post(
      '/login',
      ...requireCsrf((req, res) => loginPage(req, res, 403, formWithProblem({}, t(req, res, 'form.expired')))),
      async (req, res) => {
        const body = formValues(req.body, ['email', 'password', 'token', 'next']);
        const next = nextPath(body.next);
        const keepNext = next === HOME_PATH ? '' : next;
        const address = clientAddress(req);
        if (!(await addressMaySignIn(address, limit, people))) {
          await audit(req, res, { statusCode: 429, user: null, details: { outcome: 'address_limited' } });
          return loginPage(req, res, 429, formWithProblem({ email: body.email ?? '' }, t(req, res, 'signin.tooMany')), { next: keepNext });
        }
        const token = body.token?.trim() ?? '';
        if (body.email === undefined && body.token !== undefined) {
          // The second form: an API token (scripts, the bootstrap administrator).
          if (token === '') return loginPage(req, res, 400, emptyForm(), { tokenForm: formWithFieldError({}, 'token', t(req, res, 'signin.empty')), next: keepNext });
          const opened = await sessions.open(token, ctx.now());
          if (!opened) {
            await recordAddressFailure(address, people);
            await audit(req, res, { statusCode: 401, user: null, details: { outcome: 'invalid_token' } });
            return loginPage(req, res, 401, emptyForm(), { tokenForm: formWithFieldError({}, 'token', t(req, res, 'signin.invalid')), next: keepNext });
          }
          return signedIn(req, res, opened, 'token', next);
        }
        const email = body.email?.trim() ?? '';
        const password = body.password ?? '';
        const values = { email };
        if (email === '') return loginPage(req, res, 400, formWithFieldError(values, 'email', t(req, res, 'signin.emptyEmail')), { next: keepNext });
        if (password === '') return loginPage(req, res, 400, formWithFieldError(values, 'password', t(req, res, 'signin.emptyPassword')), { next: keepNext });
        const result = await signInWithPassword(email, password, address, limit, people);
        if (result.ok) return signedIn(req, res, { ...result.session, user: result.user }, 'password', next);
        if (result.reason === 'address_limited') {
          await audit(req, res, { statusCode: 429, user: null, details: { outcome: 'address_limited' } });
          return loginPage(req, res, 429, formWithProblem(values, t(req, res, 'signin.tooMany')), { next: keepNext });
        }
        if (result.reason === 'wait') {
          const seconds = Math.ceil(result.waitMs / 1000);
          res.set('Retry-After', String(seconds));
          await audit(req, res, { statusCode: 429, user: null, details: { outcome: 'email_waiting' } });
          return loginPage(req, res, 429, formWithFieldError(values, 'password', t(req, res, 'signin.wait', { seconds })), { next: keepNext });
        }
        await audit(req, res, { statusCode: 401, user: null, details: { outcome: 'wrong_password', userId: result.userId } });
        return loginPage(req, res, 401, formWithFieldError(values, 'password', t(req, res, 'signin.wrongPassword')), { next: keepNext });
      },
    );

    // A session that already ended needs no sign-out, and its form's token no longer matches.
    const endedAlready = (_req: Request, res: Response, next: NextFunction) => (signedInUser(res) ? next() : res.redirect(303, '/'));
    router.post('/logout', endedAlready, ...requireCsrf(expiredForm), async (req, res) => {
      const sessionId = sessionIdOf(req);
      const revoked = sessionId ? await sessions.revoke(sessionId, ctx.now()) : null;
      await audit(req, res, { statusCode: 303, user: signedInUser(res), sessionRowId: revoked, details: { outcome: 'signed_out' } });
      ctx.forgetSessionCookie(req, res);
      res.redirect(303, '/?ended=signed_out');
    });

    router.post('/locale', ...requireCsrf(expiredForm), async (req, res) => {
      const body = formValues(req.body, ['locale', 'back']);
      if (!isLocale(body.locale)) return message(req, res, 400, t(req, res, 'message.badRequest'), t(req, res, 'form.unreadable'));
      const user = signedInUser(res);
      if (user) {
        await users.setLocale(user.id, body.locale);
        await audit(req, res, { statusCode: 303, user, details: { locale: body.locale } });
      }
      setLocaleCookie(req, res, body.locale);
      res.redirect(303, localPath(body.back, user ? HOME_PATH : '/'));
    });
  },
};
