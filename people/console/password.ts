/**
 * The pages invitation and reset links open, and asking for a new link.
 *
 *   GET  /password?token=…   set a password (an invitation) or choose a new one (a reset); a used,
 *                            expired or unknown link gets a page saying so, with the form below
 *   POST /password           sets it, ends the person's other sessions, signs them in: 303 → home
 *   GET  /password/forgot    asks for an address
 *   POST /password/forgot    mails a reset link when an active account has the address; the answer
 *                            is the same either way
 *
 * The token travels in the query and the form, never in a path: request logs and the audit trail
 * carry paths only.
 */
import { ConsoleSessionsRepository } from '../sessions';
import type { LinkPurpose } from '../accounts';
import { currentLogger } from '../../platform/logging';
import type { Request, Response } from 'express';
import { openLink, requestReset, setPasswordWithLink } from '../useCases';
import { clientAddress, peopleDeps } from './signIn';
import { addressMaySignIn, recordAddressFailure } from '../useCases';
import { HOME_PATH, type ConsoleArea } from '../../platform/console/context';
import { emptyForm, formValues, formWithFieldError, formWithProblem, type FormState } from '../../platform/console/forms';
import type { MessageKey } from '../../platform/i18n/catalogue';
import { DEFAULT_SIGN_IN_LIMIT } from '../../platform/console/security';
import { sessionIdOf, setSessionCookie } from '../../platform/console/session';

const LINK_PAGES: Record<'used' | 'expired' | 'unknown', { status: number; title: MessageKey; text: MessageKey }> = {
  used: { status: 410, title: 'link.used.title', text: 'link.used.text' },
  expired: { status: 410, title: 'link.expired.title', text: 'link.expired.text' },
  unknown: { status: 404, title: 'link.unknown.title', text: 'link.unknown.text' },
};

export const passwordArea: ConsoleArea = {
  paths: ['/password', '/password/forgot'],
  register(router, ctx) {
    const { t, audit, requireCsrf } = ctx;
    const sessions = new ConsoleSessionsRepository(ctx.knex);
    const people = peopleDeps(ctx);
    const limit = ctx.deps.signInLimit ?? DEFAULT_SIGN_IN_LIMIT;

    const linkProblem = (req: Request, res: Response, state: 'used' | 'expired' | 'unknown') => {
      const page = LINK_PAGES[state];
      ctx.send(req, res, page.status, 'passwordForgot', { title: t(req, res, page.title), text: t(req, res, page.text), form: emptyForm(), sent: false });
    };
    const setPage = (req: Request, res: Response, status: number, purpose: LinkPurpose, email: string, token: string, form: FormState) =>
      ctx.send(req, res, status, 'passwordSet', {
        // The first admin's set-up link sets a first password, as an invitation does.
        title: t(req, res, purpose === 'reset' ? 'password.title.reset' : 'password.title.invitation'),
        intro: t(req, res, 'password.intro', { email }),
        token,
        form,
      });
    const forgotPage = (req: Request, res: Response, status: number, form: FormState, sent: boolean) =>
      ctx.send(req, res, status, 'passwordForgot', { title: t(req, res, 'forgot.title'), text: t(req, res, 'forgot.intro'), form, sent });

    router.get('/password', async (req, res) => {
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      const opened = await openLink(token, people);
      if (opened.state !== 'valid' || !opened.user || !opened.purpose) return linkProblem(req, res, opened.state === 'valid' ? 'expired' : opened.state);
      setPage(req, res, 200, opened.purpose, opened.user.email, token, emptyForm());
    });

    router.post(
      '/password',
      ...requireCsrf((req, res) => ctx.message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'form.expired'))),
      async (req, res) => {
        const body = formValues(req.body, ['token', 'password', 'confirm']);
        const token = body.token ?? '';
        const result = await setPasswordWithLink(token, body.password ?? '', body.confirm ?? '', people);
        if (!result.ok && 'link' in result) return linkProblem(req, res, result.link);
        if (!result.ok) {
          const opened = await openLink(token, people);
          const field = result.problem === 'mismatch' ? 'confirm' : 'password';
          return setPage(req, res, 400, opened.purpose ?? 'reset', opened.user?.email ?? '', token, formWithFieldError({}, field, t(req, res, `password.problem.${result.problem}`)));
        }
        const previous = sessionIdOf(req);
        if (previous) await sessions.revoke(previous, ctx.now());
        await audit(req, res, { statusCode: 303, user: result.user, sessionRowId: result.session.id, details: { outcome: 'password_set', purpose: result.purpose } });
        setSessionCookie(req, res, result.session.sessionId, ctx.limits);
        res.redirect(303, HOME_PATH);
      },
    );

    router.get('/password/forgot', (req, res) => forgotPage(req, res, 200, emptyForm(), false));

    router.post(
      '/password/forgot',
      ...requireCsrf((req, res) => forgotPage(req, res, 403, formWithProblem({}, t(req, res, 'form.expired')), false)),
      async (req, res) => {
        const email = formValues(req.body, ['email']).email?.trim() ?? '';
        if (email === '') return forgotPage(req, res, 400, formWithFieldError({}, 'email', t(req, res, 'forgot.empty')), false);
        const address = clientAddress(req);
        // Each request counts against the address's sign-in limit, so nobody floods a mailbox from one place.
        if (!(await addressMaySignIn(address, limit, people))) return forgotPage(req, res, 429, formWithProblem({ email }, t(req, res, 'signin.tooMany')), false);
        await recordAddressFailure(address, people);
        // Answered before the mail goes out: an address with an account must not answer slower than one without.
        void requestReset(email, people).catch((error: unknown) => currentLogger().error({ err: error }, '[people] a password reset could not be sent'));
        await audit(req, res, { statusCode: 200, user: null, details: { outcome: 'reset_requested' } });
        forgotPage(req, res, 200, emptyForm(), true);
      },
    );
  },
};
