/**
 * Return calls (回访, P4): the service desk's calls of the day and a call's page, whose forms record
 * what came of it.
 *
 *   GET  /calls                 overdue and due today, with the contacts to call and their numbers
 *   GET  /calls/:id             the call: contacts, tries so far, and a form per outcome
 *   POST /calls/:id/steps/:step complete (reached: the script's answers, satisfaction 1–5) |
 *                               no-answer | wrong-number | reschedule; 303 back to the calls of the
 *                               day, or the page again with the problems beside the fields
 */
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { Principal } from '../../../domain/access';
import { principalOf } from '../../../platform/http/access';
import { CareRepository, type CareCall } from '../repository';
import { CALL_FORMS, careStepBody, localInput } from './forms';
import { CALL_STEP_ACTION, CALL_STEPS, runCallStep } from '../useCases/tasks';
import { callFor, callScope, neverTakes, showsCalls, taskActions } from './reach';
import { careWord, contactsOf, customersOf, dayBounds, stepFormsView, type CallContact } from './view';
import type { ConsoleArea } from '../../../platform/console/context';
import { formFromError, formValues, type FormState, unshownProblems } from '../../../platform/console/forms';
import { exportLinks, positiveInt } from '../../../platform/console/kit';
import type { Locale } from '../../../people/roles';
import { CONSOLE_TIME_ZONE } from '../../../platform/console/views';
import type { CareStepResult } from '../messages';

const TICKET_SURVEY_OUTCOMES = ['surveyed', 'reopened', 'not_taken'] as const;

const contactLine = (locale: Locale, c: CallContact) => ({ id: c.id, name: c.name, role: careWord(locale, 'care.contactRole', c.role), phone: c.phone, wrongNumber: c.wrongNumber });

/** The calls of the day (overdue, due today) that `principal` reads. */
export async function callSections(knex: Knex, principal: Principal, now: Date): Promise<[{ key: 'overdue'; calls: CareCall[] }, { key: 'today'; calls: CareCall[] }]> {
  const care = new CareRepository(knex);
  const { endOfToday } = dayBounds(now, CONSOLE_TIME_ZONE);
  const scope = callScope(principal);
  const [overdue, today] = scope.kind === 'none' ? [[], []] : await Promise.all([care.listCalls({ status: 'overdue', now, scope }), care.listCalls({ status: 'due', dueBefore: endOfToday, now, scope })]);
  return [
    { key: 'overdue', calls: overdue },
    { key: 'today', calls: today },
  ];
}

export const callsArea: ConsoleArea = {
  paths: ['/calls', '/calls/:id', '/calls/:id/steps/:step'],
  nav: [{ href: '/calls', label: 'nav.calls', shownTo: showsCalls }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser, requireCsrf, expiredForm } = ctx;
    const care = new CareRepository(ctx.knex);

    router.get('/calls', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const principal = principalOf(signedInUser(res)!);
      const [{ calls: overdue }, { calls: today }] = await callSections(ctx.knex, principal, ctx.now());
      const all = [...overdue, ...today];
      const [customers, contacts] = await Promise.all([customersOf(ctx.knex, all.map((c) => c.customerId)), contactsOf(ctx.knex, all.flatMap((c) => c.contactIds))]);
      const rowsOf = (calls: CareCall[]) =>
        calls.map((c) => ({
          id: c.id,
          customer: customers.get(c.customerId)?.name ?? `#${c.customerId}`,
          timeZone: customers.get(c.customerId)?.timeZone ?? CONSOLE_TIME_ZONE,
          dueAt: c.dueAt,
          attempts: c.attempts,
          planId: c.planId,
          contacts: contacts.filter((x) => c.contactIds.includes(x.id)).map((x) => contactLine(locale, x)),
        }));
      const survey = TICKET_SURVEY_OUTCOMES.find((o) => o === req.query.survey);
      const notice = typeof req.query.done === 'string' && positiveInt(req.query.call) !== null ? [t(req, res, 'calls.recorded', { id: String(req.query.call) }), ...(survey ? [t(req, res, `calls.ticketSurvey.${survey}`)] : [])].join(' ') : null;
      send(req, res, 200, 'calls', {
        title: t(req, res, 'calls.title'),
        notice,
        exports: exportLinks('calls', ''),
        sections: [
          { key: 'overdue', title: t(req, res, 'calls.section.overdue'), empty: t(req, res, 'calls.none.overdue'), rows: rowsOf(overdue) },
          { key: 'today', title: t(req, res, 'calls.section.today'), empty: t(req, res, 'calls.none.today'), rows: rowsOf(today) },
        ],
      });
    });

    async function readable(res: Response, raw: unknown): Promise<CareCall | null> {
      const id = positiveInt(raw);
      return id === null ? null : callFor(ctx.knex, principalOf(signedInUser(res)!), id);
    }
    const notFound = (req: Request, res: Response) => message(req, res, 404, t(req, res, 'call.missing.title'), t(req, res, 'call.missing.text', { id: String(req.params.id) }));

    async function showCall(req: Request, res: Response, call: CareCall, status = 200, sent: Record<string, FormState> = {}) {
      const locale = localeOf(req, res);
      const principal = principalOf(signedInUser(res)!);
      const [customers, contacts, actions, attempts] = await Promise.all([
        customersOf(ctx.knex, [call.customerId]),
        contactsOf(ctx.knex, call.contactIds),
        taskActions(ctx.knex, principal, 'call', call.id),
        ctx.knex('care_call_attempts as a').leftJoin('customer_contacts as c', 'c.id', 'a.contact_id').leftJoin('users as u', 'u.id', 'a.actor_user_id').where('a.call_id', call.id).orderBy('a.attempt').select('a.attempt', 'a.outcome', 'a.at', 'a.note', 'c.name as contact', 'u.name as actor') as Promise<
          Array<{ attempt: number; outcome: string; at: Date | string; note: string | null; contact: string | null; actor: string | null }>
        >,
      ]);
      const customer = customers.get(call.customerId);
      const timeZone = customer?.timeZone ?? CONSOLE_TIME_ZONE;
      const open = call.status === 'due';
      const forms = open && actions.has(CALL_STEP_ACTION) ? CALL_FORMS : [];
      // A wrong number is not offered again; the first number still believed good is the default.
      const good = contacts.filter((c) => !c.wrongNumber);
      const outcome = (call.outcome ?? {}) as { answers?: Record<string, string>; satisfaction?: number };
      send(req, res, status, 'call', {
        title: `${careWord(locale, 'care.kind', 'call')} · ${customer?.name ?? `#${call.customerId}`}`,
        timeZone,
        call: {
          id: call.id,
          status: careWord(locale, 'care.callStatus', call.status),
          customer: customer?.name ?? `#${call.customerId}`,
          dueAt: call.dueAt,
          windowEnd: call.windowEnd,
          attempts: call.attempts,
          doneAt: call.doneAt,
          planHref: `/care-plans/${call.planId}`,
          satisfaction: outcome.satisfaction ?? null,
        },
        contacts: contacts.map((c) => contactLine(locale, c)),
        attempts: attempts.map((a) => ({ attempt: a.attempt, outcome: careWord(locale, 'care.attempt', a.outcome), at: a.at, note: a.note, contact: a.contact, actor: a.actor })),
        unshown: unshownProblems(sent, forms.map((f) => f.step)),
        steps: stepFormsView(locale, 'call', forms, `/calls/${call.id}`, sent, {
          contacts: good.map((c) => ({ value: String(c.id), label: `${c.name} · ${careWord(locale, 'care.contactRole', c.role)}${c.phone ? ` · ${c.phone}` : ''}` })),
          initial: { reschedule: { dueAt: localInput(call.dueAt, timeZone) }, complete: good[0] ? { contactId: String(good[0].id) } : {}, 'no-answer': good[0] ? { contactId: String(good[0].id) } : {} },
        }),
      });
    }

    router.get('/calls/:id', requireUser, async (req, res) => {
      const call = await readable(res, req.params.id);
      if (!call) return notFound(req, res);
      await showCall(req, res, call);
    });

    router.post('/calls/:id/steps/:step', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const user = signedInUser(res)!;
      const form = CALL_FORMS.find((f) => f.step === req.params.step);
      const step = CALL_STEPS.find((s) => s === form?.step);
      if (!form || !step) return notFound(req, res);
      // As the API's step route: 403 for a role that never takes the step, then 404 for a call missing or out of reach.
      if (neverTakes(user, 'care_call', CALL_STEP_ACTION)) return message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'care.stepForbidden'));
      const id = positiveInt(req.params.id);
      const call = id === null ? null : await callFor(ctx.knex, principalOf(user), id, CALL_STEP_ACTION);
      if (!call) return notFound(req, res);
      const values = formValues(req.body, form.fields.map((f) => f.name));
      let result: CareStepResult;
      const timeZone = (await customersOf(ctx.knex, [call.customerId])).get(call.customerId)?.timeZone ?? CONSOLE_TIME_ZONE;
      try {
        const body = careStepBody(form, values, { timeZone, choices: { contacts: call.contactIds }, words: { required: t(req, res, 'care.problem.required'), notInstant: t(req, res, 'care.problem.instant'), notChoice: t(req, res, 'care.problem.choice') } });
        // Checked after the form, so a mistake is shown beside its field even while the engine is away.
        if (!ctx.deps.temporal) return message(req, res, 503, t(req, res, 'message.badRequest'), t(req, res, 'care.stepUnavailable'));
        result = await runCallStep({ knex: ctx.knex, temporal: ctx.deps.temporal }, user, call.id, step, body);
      } catch (error) {
        const state = formFromError(error, values, t(req, res, 'care.stepFailed'), ctx.localeOf(req, res));
        const status = (error as { status?: number }).status ?? 400;
        void ctx.audit(req, res, { statusCode: status, user, details: { callId: call.id, step: form.step } });
        return showCall(req, res, (await care.getCall(call.id))!, status, { [form.step]: state });
      }
      void ctx.audit(req, res, { statusCode: 303, user, details: { callId: call.id, step: form.step } });
      // A repair's return call: what its ticket made of the answers, said beside "recorded".
      res.redirect(303, `/calls?done=${form.step}&call=${call.id}${result.ticketSurvey ? `&survey=${result.ticketSurvey}` : ''}`);
    });
  },
};
