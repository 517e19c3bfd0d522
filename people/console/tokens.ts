/**
 * The person's machine tokens (people/machineTokens.ts, as the API's /api/tokens).
 *
 *   GET  /profile/tokens               the list (last use, expiry, state) and the form to make one
 *   POST /profile/tokens               makes one: 201 with the token shown this once; 400/403 naming the field
 *   GET  /profile/tokens/:id/revoke    asks to confirm
 *   POST /profile/tokens/:id/revoke    revokes it: 303 → /profile/tokens?revoked=:id (again: the same)
 */
import type { Request, Response } from 'express';
import { ROLES, type Role } from '../../domain/access';
import type { ConsoleArea } from '../../platform/console/context';
import { emptyForm, formValues, formWithFieldError, type FormState } from '../../platform/console/forms';
import { label } from '../../platform/console/views';
import { ApiError } from '../../platform/http/errors';
import { ConflictError } from '../../platform/db/errors';
import { randomToken } from '../../platform/tokens';
import { say } from '../../platform/i18n/catalogue';
import { createMachineToken, listMachineTokens, revokeMachineToken, type TokenDeps } from '../machineTokens';
import { DEFAULT_TOKEN_LIFETIMES, DAY_MS, maxDays, mayDelegate } from '../tokenRules';

export const tokensArea: ConsoleArea = {
  paths: ['/profile/tokens', '/profile/tokens/:id/revoke'],
  register(router, ctx) {
    const { t, requireUser, requireCsrf, expiredForm, audit } = ctx;
    const deps: TokenDeps = { knex: ctx.knex, tokenLifetimes: ctx.deps.tokenLifetimes, now: ctx.now };
    const lifetimes = ctx.deps.tokenLifetimes ?? DEFAULT_TOKEN_LIFETIMES;
    const me = (res: Response) => ctx.signedInUser(res)!;

    const page = async (req: Request, res: Response, status: number, extra: { form?: FormState; newToken?: string; notice?: string } = {}) => {
      const user = me(res);
      const locale = ctx.localeOf(req, res);
      const tokens = await listMachineTokens(user, false, deps);
      ctx.send(req, res, status, 'profileTokens', {
        title: t(req, res, 'tokens.title'),
        notice: extra.notice ?? null,
        newToken: extra.newToken ?? null,
        form: extra.form ?? emptyForm({ role: user.role }),
        // A fresh key per form shown: a double click sends the same one, and makes one token.
        once: randomToken(),
        roleOptions: ROLES.filter((role) => mayDelegate(user.role, role)).map((role) => ({ value: role, label: label(locale, 'role', role) })),
        expiresHint: t(req, res, 'tokens.expiresHint', { days: Math.floor(lifetimes.defaultMs / DAY_MS), max: maxDays(lifetimes) }),
        tokens: tokens.map((token) => ({
          ...token,
          role: token.role ? label(locale, 'role', token.role) : '',
          state: t(req, res, `tokens.state.${token.state}`),
          live: token.state === 'live',
          revokeHref: `/profile/tokens/${token.id}/revoke`,
        })),
      });
    };

    router.get('/profile/tokens', requireUser, async (req, res) => {
      const revoked = typeof req.query.revoked === 'string' ? (await listMachineTokens(me(res), false, deps)).find((token) => String(token.id) === req.query.revoked) : undefined;
      await page(req, res, 200, { notice: revoked ? t(req, res, 'tokens.revoked', { name: revoked.label }) : undefined });
    });

    router.post('/profile/tokens', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const body = formValues(req.body, ['name', 'role', 'expiresInDays', '_once']);
      const values = { name: body.name ?? '', role: body.role ?? '', expiresInDays: body.expiresInDays ?? '' };
      const name = values.name.trim();
      if (name === '' || name.length > 191) return page(req, res, 400, { form: formWithFieldError(values, 'name', t(req, res, 'tokens.problem.name')) });
      const days = values.expiresInDays.trim() === '' ? undefined : Number(values.expiresInDays);
      if (days !== undefined && (!Number.isInteger(days) || days < 1)) return page(req, res, 400, { form: formWithFieldError(values, 'expiresInDays', t(req, res, 'tokens.problem.days')) });
      const role = (ROLES as readonly string[]).includes(values.role) ? (values.role as Role) : undefined;
      try {
        const once = body._once && /^[A-Za-z0-9_-]{1,64}$/.test(body._once) ? `console:${body._once}` : undefined;
        const made = await createMachineToken({ name, role, expiresInDays: days, creationKey: once }, me(res), deps);
        await audit(req, res, { statusCode: 201, user: me(res), details: { outcome: 'token_created', token: made.record.id, role: made.record.role } });
        // The one answer that shows the token; the page is never cached (no-store).
        await page(req, res, 201, { newToken: made.token });
      } catch (error) {
        // The same form sent twice: the first answer showed the token; this one shows the list.
        if (error instanceof ConflictError) return page(req, res, 409, { notice: t(req, res, 'tokens.alreadyMade') });
        if (!(error instanceof ApiError)) throw error;
        const field = (error.details as { field: string }[])[0]?.field ?? 'name';
        const text = error.words ? say(ctx.localeOf(req, res), error.words) : error.message;
        await page(req, res, error.status, { form: formWithFieldError(values, field, text) });
      }
    });

    const own = async (req: Request, res: Response) => {
      const id = Number(req.params.id);
      return (await listMachineTokens(me(res), false, deps)).find((token) => token.id === id) ?? null;
    };

    router.get('/profile/tokens/:id/revoke', requireUser, async (req, res) => {
      const token = await own(req, res);
      if (!token) return ctx.message(req, res, 404, t(req, res, 'tokens.title'), t(req, res, 'api.notFound.api_token', { id: String(req.params.id) }));
      ctx.send(req, res, 200, 'profileTokenRevoke', { title: t(req, res, 'tokens.revokeTitle', { name: token.label }), action: `/profile/tokens/${token.id}/revoke` });
    });

    router.post('/profile/tokens/:id/revoke', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const token = await own(req, res);
      if (!token) return ctx.message(req, res, 404, t(req, res, 'tokens.title'), t(req, res, 'api.notFound.api_token', { id: String(req.params.id) }));
      await revokeMachineToken(token.id, me(res), deps);
      await audit(req, res, { statusCode: 303, user: me(res), details: { outcome: 'token_revoked', token: token.id } });
      res.redirect(303, `/profile/tokens?revoked=${token.id}`);
    });
  },
};
