/**
 * Signing in and out, and the language switch.
 *
 *   GET  /        sign-in form (an API token), or on home when signed in
 *   POST /login   checks the token, opens a session, 303 → home (401 if bad, 429 when rate-limited)
 *   POST /logout  revokes the session, 303 → /?ended=signed_out
 *   POST /locale  switches the language (kept on the user when signed in), 303 → back
 */
import type { NextFunction, Request, Response } from 'express';
import { UsersRepository } from '../repository';
import { HOME_PATH, type ConsoleArea } from '../../platform/console/context';
import { emptyForm, formValues, formWithFieldError, formWithProblem, type FormState } from '../../platform/console/forms';
import { isLocale, localPath } from '../../platform/console/kit';
import type { MessageKey } from '../../platform/i18n/catalogue';
import { DEFAULT_SIGN_IN_LIMIT, signInRateLimit } from '../../platform/console/security';
import { sessionIdOf, setLocaleCookie, setSessionCookie } from '../../platform/console/session';

/** Why the sign-in page is shown again, as `/?ended=…`. */
const ENDED_NOTICES: Record<string, MessageKey> = {
  signed_out: 'signin.signedOut',
  idle: 'signin.ended.idle',
  expired: 'signin.ended.expired',
  token_revoked: 'signin.ended.revoked',
  user_deactivated: 'signin.ended.revoked',
};

export const signInArea: ConsoleArea = {
  paths: ['/', '/login', '/logout', '/locale'],
  register(router, ctx) {
    const { t, signedInUser, sessions, audit, requireCsrf, expiredForm, message } = ctx;
    const users = new UsersRepository(ctx.knex);
    const loginPage = (req: Request, res: Response, status: number, form: FormState, notice: string | null = null) =>
      ctx.send(req, res, status, 'login', { title: t(req, res, 'signin.title'), form, notice });

    router.get('/', (req, res) => {
      if (signedInUser(res)) return res.redirect(303, HOME_PATH);
      const ended = typeof req.query.ended === 'string' ? ENDED_NOTICES[req.query.ended] : undefined;
      loginPage(req, res, 200, emptyForm(), ended ? t(req, res, ended) : null);
    });

    const refuseTooMany = (req: Request, res: Response) => loginPage(req, res, 429, formWithProblem({}, t(req, res, 'signin.tooMany')));
    router.post(
      '/login',
      signInRateLimit(ctx.deps.signInLimit ?? DEFAULT_SIGN_IN_LIMIT, refuseTooMany),
      ...requireCsrf((req, res) => loginPage(req, res, 403, formWithProblem({}, t(req, res, 'form.expired')))),
      async (req, res) => {
        const token = formValues(req.body, ['token']).token?.trim() ?? '';
        if (token === '') return loginPage(req, res, 400, formWithFieldError({}, 'token', t(req, res, 'signin.empty')));
        const opened = await sessions.open(token, ctx.now());
        if (!opened) {
          await audit(req, res, { statusCode: 401, user: null, details: { outcome: 'invalid_token' } });
          return loginPage(req, res, 401, formWithFieldError({}, 'token', t(req, res, 'signin.invalid')));
        }
        // A new sign-in replaces whatever session this browser had.
        const previous = sessionIdOf(req);
        if (previous) await sessions.revoke(previous, ctx.now());
        await sessions.prune(ctx.limits, ctx.now());
        await audit(req, res, { statusCode: 303, user: opened.user, sessionRowId: opened.id, details: { outcome: 'signed_in' } });
        setSessionCookie(req, res, opened.sessionId, ctx.limits);
        res.redirect(303, HOME_PATH);
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
