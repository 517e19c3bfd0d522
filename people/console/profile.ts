/**
 * The person's own profile, for every role (the name in the header links here).
 *
 *   GET  /profile                       name, language, time zone, e-mail, password, sessions, links
 *   POST /profile                       saves name, language, time zone: 303 → /profile?saved=1; 400 naming the field
 *   POST /profile/password              the current password and a new one; ends the other sessions, keeps this one
 *   POST /profile/sessions/:id/end      ends one of the person's other sessions
 *   POST /profile/email                 with the current password: mails a confirmation link to the new address (nothing changes yet)
 *   GET  /profile/email/confirm?token=… the link from that mail: a page with a button (a mail scanner's GET changes nothing)
 *   POST /profile/email/confirm         changes the address and tells the old one; works signed out too (the link is the proof)
 *
 * The second factor (/profile/second-factor) is its own page; the tokens are /profile/tokens.
 */
import type { Request, Response } from 'express';
import { LOCALES } from '../../domain/locale';
import { LOCALE_NAMES, type MessageKey } from '../../platform/i18n/catalogue';
import type { ConsoleArea } from '../../platform/console/context';
import { emptyForm, formValues, formWithFieldError, type FormState } from '../../platform/console/forms';
import { sessionIdOf } from '../../platform/console/session';
import { AccountsRepository } from '../accounts';
import { changePassword, confirmEmailChange, endOwnSession, listOwnSessions, openEmailChange, requestEmailChange, updateProfile } from '../profile';
import { ConsoleSessionsRepository } from '../sessions';
import { peopleDeps } from './signIn';
import type { User } from '../repository';

const NOTICES: Record<string, MessageKey> = { saved: 'profile.saved', password: 'profile.passwordChanged', ended: 'profile.sessionEnded' };

const LINK_STATES: Record<'used' | 'expired' | 'unknown', { status: number; title: MessageKey; text: MessageKey }> = {
  used: { status: 410, title: 'link.used.title', text: 'link.used.text' },
  expired: { status: 410, title: 'link.expired.title', text: 'link.expired.text' },
  unknown: { status: 404, title: 'link.unknown.title', text: 'link.unknown.text' },
};

export const profileArea: ConsoleArea = {
  paths: ['/profile', '/profile/password', '/profile/sessions/:id/end', '/profile/email', '/profile/email/confirm'],
  register(router, ctx) {
    const { t, requireUser, requireCsrf, expiredForm, audit } = ctx;
    const people = peopleDeps(ctx);
    const sessions = new ConsoleSessionsRepository(ctx.knex);
    const me = (res: Response) => ctx.signedInUser(res)!;
    const currentRowId = async (req: Request) => {
      const id = sessionIdOf(req);
      return id ? sessions.idOf(id) : null;
    };

    interface Forms {
      details?: FormState;
      emailForm?: FormState;
      passwordForm?: FormState;
      notice?: string;
    }
    const page = async (req: Request, res: Response, status: number, forms: Forms = {}) => {
      const user = me(res);
      const current = await currentRowId(req);
      const own = await listOwnSessions(user.id, current, ctx.limits, people);
      ctx.send(req, res, status, 'profile', {
        title: t(req, res, 'profile.title'),
        notice: forms.notice ?? null,
        email: user.email,
        details: forms.details ?? emptyForm({ name: user.name, locale: user.locale, timeZone: user.timeZone ?? '' }),
        localeOptions: LOCALES.map((value) => ({ value, label: LOCALE_NAMES[value] })),
        emailForm: forms.emailForm ?? emptyForm(),
        passwordForm: forms.passwordForm ?? emptyForm(),
        hasPassword: await new AccountsRepository(ctx.knex).hasPassword(user.id),
        sessions: own.map((s) => ({ ...s, how: t(req, res, s.withToken ? 'profile.withToken' : 'profile.withPassword'), endAction: `/profile/sessions/${s.id}/end` })),
      });
    };

    router.get('/profile', requireUser, async (req, res) => {
      const key = typeof req.query.done === 'string' ? NOTICES[req.query.done] : undefined;
      await page(req, res, 200, { notice: key ? t(req, res, key) : undefined });
    });

    router.post('/profile', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const body = formValues(req.body, ['name', 'locale', 'timeZone']);
      const input = { name: body.name ?? '', locale: body.locale ?? '', timeZone: body.timeZone ?? '' };
      const result = await updateProfile(me(res), input, people);
      if (!result.ok) {
        const details: FormState = { values: input, errors: {}, problems: [] };
        for (const p of result.problems) details.errors[p.field] = [t(req, res, `profile.problem.${p.problem}`)];
        return page(req, res, 400, { details });
      }
      await audit(req, res, { statusCode: 303, user: result.user, details: { outcome: 'profile_saved' } });
      res.redirect(303, '/profile?done=saved');
    });

    router.post('/profile/password', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const body = formValues(req.body, ['current', 'password', 'confirm']);
      const result = await changePassword(me(res), { current: body.current ?? '', password: body.password ?? '', confirm: body.confirm ?? '' }, await currentRowId(req), people);
      if (!result.ok) {
        const text = result.problem === 'wrongCurrent' ? t(req, res, 'profile.wrongCurrent') : t(req, res, `password.problem.${result.problem}`);
        await audit(req, res, { statusCode: 400, user: me(res), details: { outcome: 'password_refused', field: result.field } });
        return page(req, res, 400, { passwordForm: formWithFieldError({}, result.field, text) });
      }
      await audit(req, res, { statusCode: 303, user: me(res), details: { outcome: 'password_changed', endedSessions: result.endedSessions } });
      res.redirect(303, '/profile?done=password');
    });

    router.post('/profile/sessions/:id/end', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const id = Number(req.params.id);
      const ended = Number.isInteger(id) && (await endOwnSession(me(res).id, id, await currentRowId(req), people));
      await audit(req, res, { statusCode: 303, user: me(res), details: { outcome: ended ? 'session_ended' : 'session_not_open', session: id } });
      // Ending it twice, or one already gone, lands on the same page.
      res.redirect(303, '/profile?done=ended');
    });

    router.post('/profile/email', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const values = formValues(req.body, ['email', 'current']);
      const email = values.email?.trim() ?? '';
      const result = await requestEmailChange(me(res), email, values.current ?? '', people);
      if (!result.ok) {
        await audit(req, res, { statusCode: 400, user: me(res), details: { outcome: 'email_change_refused', problem: result.problem } });
        const said = result.problem === 'wrongCurrent' ? t(req, res, 'profile.wrongCurrent') : t(req, res, `profile.email.${result.problem}`);
        return page(req, res, result.problem === 'noMail' ? 503 : 400, { emailForm: formWithFieldError({ email }, result.field, said) });
      }
      await audit(req, res, { statusCode: 200, user: me(res), details: { outcome: 'email_change_requested', mail: result.mail } });
      await page(req, res, 200, { notice: t(req, res, result.mail === 'sent' ? 'profile.emailSent' : 'profile.emailFailed', { email: email.toLowerCase() }) });
    });

    const linkPage = (req: Request, res: Response, state: 'used' | 'expired' | 'unknown') => {
      const shown = LINK_STATES[state];
      ctx.send(req, res, shown.status, 'emailConfirm', { title: t(req, res, shown.title), text: t(req, res, shown.text), token: null });
    };

    router.get('/profile/email/confirm', async (req, res) => {
      const token = typeof req.query.token === 'string' ? req.query.token : '';
      const opened = await openEmailChange(token, people);
      if (opened.state !== 'valid' || !opened.newEmail) return linkPage(req, res, opened.state === 'valid' ? 'expired' : opened.state);
      ctx.send(req, res, 200, 'emailConfirm', { title: t(req, res, 'emailConfirm.title'), text: t(req, res, 'emailConfirm.intro', { email: opened.newEmail }), token });
    });

    router.post('/profile/email/confirm', ...requireCsrf(expiredForm), async (req, res) => {
      const token = formValues(req.body, ['token']).token ?? '';
      const result = await confirmEmailChange(token, people);
      if (!result.ok && result.state === 'taken') return ctx.send(req, res, 409, 'emailConfirm', { title: t(req, res, 'emailConfirm.title'), text: t(req, res, 'emailConfirm.taken'), token: null });
      if (!result.ok) return linkPage(req, res, result.state === 'taken' ? 'unknown' : result.state);
      const user: User = result.user;
      await audit(req, res, { statusCode: 200, user, details: { outcome: 'email_changed' } });
      ctx.send(req, res, 200, 'emailConfirm', { title: t(req, res, 'emailConfirm.title'), text: t(req, res, 'emailConfirm.done', { email: user.email }), token: null });
    });
  },
};
