/**
 * The second factor's console pages.
 *
 *   GET  /second-factor           the gate after sign-in: a TOTP code or a recovery code (a session
 *                                 with nothing owed goes on to `next` or home)
 *   POST /second-factor           checks it: 303 → `next` (a local path) or home; 400 with the problem
 *                                 beside the field, 429 while wrong codes make it wait
 *   GET  /profile/second-factor   not enrolled: the QR code, the secret as text and a code to confirm;
 *                                 enrolled: since when, recovery codes left, new codes, turning it off
 *   POST /profile/second-factor   `step` = confirm | regenerate | disable, each with a current code;
 *                                 confirm and regenerate show the recovery codes once
 *
 * Codes, secrets and recovery codes are never written to the audit trail or echoed into a form.
 */
import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import { HOME_PATH, type ConsoleArea, type ConsoleContext } from '../../../platform/console/context';
import { emptyForm, formValues, formWithFieldError, type FormState } from '../../../platform/console/forms';
import { localPath } from '../../../platform/console/kit';
import { sessionIdOf } from '../../../platform/console/session';
import { CONSOLE_TIME_ZONE, formatInZone } from '../../../platform/console/views';
import type { MessageKey } from '../../../platform/i18n/catalogue';
import type { User } from '../../repository';
import { ConsoleSessionsRepository } from '../../sessions';
import { ENROL_PAGE, GATE_PAGE } from '../gate';
import { formatRecoveryCode } from '../rules';
import { beginEnrolment, confirmEnrolment, disableSecondFactor, factorStatus, passSecondFactor, regenerateRecoveryCodes, sessionGate, type CodeRefusal, type SecondFactorDeps } from '../useCases';

/** Where to go once through: the local path asked for, else home (never the gate itself, never another site). */
function afterGate(value: unknown): string {
  const path = localPath(value, HOME_PATH);
  return path === '/' || path.startsWith('/?') || path.startsWith('/login') || path.startsWith(GATE_PAGE) || path.startsWith(ENROL_PAGE) ? HOME_PATH : path;
}

const keepNext = (value: unknown) => {
  const path = afterGate(value);
  return path === HOME_PATH ? '' : path;
};

/** The secret in groups of four, as authenticator apps show keys. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ');

function refusal(ctx: ConsoleContext, req: Request, res: Response, reason: CodeRefusal | 'required' | 'empty', waitMs = 0): { status: number; text: string } {
  if (reason === 'wait') {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    res.set('Retry-After', String(seconds));
    return { status: 429, text: ctx.t(req, res, 'factor.problem.wait', { seconds }) };
  }
  return { status: reason === 'required' ? 403 : 400, text: ctx.t(req, res, `factor.problem.${reason}` as MessageKey) };
}

export const secondFactorArea: ConsoleArea = {
  paths: [GATE_PAGE, ENROL_PAGE],
  register(router, ctx) {
    const { t, audit, requireCsrf, requireUser, signedInUser, expiredForm } = ctx;
    const sessions = new ConsoleSessionsRepository(ctx.knex);
    const deps: SecondFactorDeps = { knex: ctx.knex, settings: ctx.deps.secondFactor, now: ctx.now };
    const sessionRow = async (req: Request) => {
      const id = sessionIdOf(req);
      return id ? sessions.get((await sessions.idOf(id)) ?? 0) : null;
    };
    const me = (res: Response) => signedInUser(res)!;

    const gatePage = (req: Request, res: Response, status: number, form: FormState, next: string) =>
      ctx.send(req, res, status, 'secondFactorGate', { title: t(req, res, 'factor.gateTitle'), form, next });

    router.get(GATE_PAGE, requireUser, async (req, res) => {
      const session = await sessionRow(req);
      if (!session || (await sessionGate(session, me(res), deps)) !== 'verify') return res.redirect(303, afterGate(req.query.next));
      gatePage(req, res, 200, emptyForm(), keepNext(req.query.next));
    });

    router.post(GATE_PAGE, requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const body = formValues(req.body, ['code', 'next']);
      const next = keepNext(body.next);
      const session = await sessionRow(req);
      if (!session || (await sessionGate(session, me(res), deps)) !== 'verify') return res.redirect(303, afterGate(body.next));
      const code = body.code?.trim() ?? '';
      if (code === '') return gatePage(req, res, 400, formWithFieldError({}, 'code', t(req, res, 'factor.problem.empty')), next);
      const checked = await passSecondFactor(me(res), code, session.id, deps);
      if (checked.ok) {
        await audit(req, res, { statusCode: 303, user: me(res), sessionRowId: session.id, details: { outcome: 'second_factor_passed', with: checked.via } });
        return res.redirect(303, afterGate(body.next));
      }
      const refused = refusal(ctx, req, res, checked.reason, checked.waitMs);
      await audit(req, res, { statusCode: refused.status, user: me(res), sessionRowId: session.id, details: { outcome: `second_factor_${checked.reason}` } });
      gatePage(req, res, refused.status, formWithFieldError({}, 'code', refused.text), next);
    });

    const profilePage = async (req: Request, res: Response, status: number, forms: Partial<Record<'confirm' | 'regenerate' | 'disable', FormState>>, notice: string | null = null) => {
      const user = me(res);
      const next = keepNext(req.query.next ?? (req.body as Record<string, unknown> | undefined)?.next);
      const state = await factorStatus(user, deps);
      const common = { title: t(req, res, 'factor.title'), notice, next, confirmForm: forms.confirm ?? emptyForm(), regenerateForm: forms.regenerate ?? emptyForm(), disableForm: forms.disable ?? emptyForm() };
      if (state.enrolled) {
        return ctx.send(req, res, status, 'secondFactorProfile', {
          ...common,
          enrolled: true,
          since: t(req, res, 'factor.on', { since: formatInZone(state.since, user.timeZone ?? CONSOLE_TIME_ZONE) }),
          codesLeft: t(req, res, 'factor.codesLeft', { count: state.recoveryCodesLeft }),
          mayDisable: state.mayDisable,
        });
      }
      const session = await sessionRow(req);
      const enrolment = (await beginEnrolment(user, session?.id ?? null, deps))!;
      // A secret shown for the first time to this session is on the trail (never the secret).
      if (enrolment.started) await audit(req, res, { statusCode: 200, user, sessionRowId: session?.id ?? null, details: { outcome: 'second_factor_enrolment_started' } });
      const qr = await QRCode.toDataURL(enrolment.uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
      // This page alone shows a data: image (its QR code, drawn here so the secret never leaves for another site).
      const policy = res.getHeader('Content-Security-Policy');
      if (typeof policy === 'string') res.setHeader('Content-Security-Policy', policy.replace("img-src 'self'", "img-src 'self' data:"));
      ctx.send(req, res, status, 'secondFactorProfile', { ...common, enrolled: false, mustEnrol: state.mustEnrol, qr, secret: grouped(enrolment.secret) });
    };
    const codesPage = (req: Request, res: Response, codes: string[], next: string) =>
      ctx.send(req, res, 200, 'secondFactorCodes', { title: t(req, res, 'factor.codesTitle'), codes: codes.map(formatRecoveryCode), continueTo: next || HOME_PATH });

    router.get(ENROL_PAGE, requireUser, async (req, res) => {
      await profilePage(req, res, 200, {}, req.query.done === 'disabled' ? t(req, res, 'factor.disabled') : null);
    });

    router.post(ENROL_PAGE, requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const body = formValues(req.body, ['step', 'code', 'next']);
      const step = body.step === 'regenerate' || body.step === 'disable' ? body.step : 'confirm';
      const code = body.code?.trim() ?? '';
      const user: User = me(res);
      const refuse = async (reason: CodeRefusal | 'required' | 'empty' | 'already', waitMs?: number) => {
        if (reason === 'already') return res.redirect(303, ENROL_PAGE);
        const refused = refusal(ctx, req, res, reason, waitMs);
        await audit(req, res, { statusCode: refused.status, user, details: { outcome: `second_factor_${step}_refused`, reason } });
        return profilePage(req, res, refused.status, { [step]: formWithFieldError({}, 'code', refused.text) });
      };
      if (code === '') return refuse('empty');
      if (step === 'confirm') {
        const session = await sessionRow(req);
        const enrolled = await confirmEnrolment(user, code, session?.id ?? null, deps);
        if (!enrolled.ok) return refuse(enrolled.reason);
        await audit(req, res, { statusCode: 200, user, sessionRowId: session?.id ?? null, details: { outcome: 'second_factor_enrolled' } });
        return codesPage(req, res, enrolled.recoveryCodes, keepNext(body.next));
      }
      if (step === 'regenerate') {
        const made = await regenerateRecoveryCodes(user, code, deps);
        if (!made.ok) return refuse(made.reason, made.waitMs);
        await audit(req, res, { statusCode: 200, user, details: { outcome: 'recovery_codes_renewed' } });
        return codesPage(req, res, made.recoveryCodes, '');
      }
      const disabled = await disableSecondFactor(user, code, deps);
      if (!disabled.ok) return refuse(disabled.reason, disabled.waitMs);
      await audit(req, res, { statusCode: 303, user, details: { outcome: 'second_factor_disabled' } });
      res.redirect(303, `${ENROL_PAGE}?done=disabled`);
    });
  },
};
