/**
 * Care visits (P4): an engineer's "my visits" and a visit's page with its steps as forms.
 *
 *   GET  /visits                 overdue, due today, due this week (an engineer: their own visits)
 *   GET  /visits/:id             the visit, what the last visit left open, its outcome or its forms
 *   POST /visits/:id/steps/:step complete (checklist, findings, signature) | reschedule | skip, and
 *                                the service manager's assign | cancel; 303 back to the visit, or the
 *                                page again with the problems beside the fields
 */
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import { ALL_ROWS, type Principal } from '../../../domain/access';
import { principalOf } from '../../../platform/http/access';
import { CareRepository, type CareVisit } from '../repository';
import { UsersRepository } from '../../../people/repository';
import { careStepBody, localInput, VISIT_FORMS } from './forms';
import { runVisitStep, visitStepAction, VISIT_STEPS } from '../useCases/tasks';
import { neverTakes, showsVisits, taskActions, visitFor, visitScope } from './reach';
import { careWord, customersOf, dayBounds, stepFormsView } from './view';
import type { ConsoleArea, ConsoleContext } from '../../../platform/console/context';
import { formFromError, formValues, type FormState, unshownProblems } from '../../../platform/console/forms';
import { exportLinks, namesOf, positiveInt } from '../../../platform/console/kit';
import { translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { CONSOLE_TIME_ZONE } from '../../../platform/console/views';

interface VisitOutcome {
  checklist?: { earthing?: boolean; dustRemoval?: boolean; operatingState?: string; customerFeedback?: string; fixesDone?: string };
  findings?: string[];
  openItems?: string[];
  carriedItems?: string[];
  signature?: { name: string; signedAt?: string };
  reason?: string;
  rescheduled?: string;
}

export const outcomeOf = (visit: CareVisit): VisitOutcome => (visit.outcome ?? {}) as VisitOutcome;

export const VISIT_SECTIONS = ['overdue', 'today', 'week'] as const;
export type VisitSection = (typeof VISIT_SECTIONS)[number];

/** The visit list's sections (overdue, due today, due later this week) with the visits `principal` reads. */
export async function visitSections(knex: Knex, principal: Principal, now: Date): Promise<Array<{ key: VisitSection; visits: CareVisit[] }>> {
  const scope = visitScope(principal);
  const care = new CareRepository(knex);
  const { endOfToday, endOfWeek } = dayBounds(now, CONSOLE_TIME_ZONE);
  const list = (filter: Omit<Parameters<CareRepository['listVisits']>[0], 'scope'>) => (scope.kind === 'none' ? Promise.resolve([]) : care.listVisits({ ...filter, scope }));
  const [overdue, today, week] = await Promise.all([
    list({ status: 'overdue', now }),
    list({ status: 'due', dueBefore: endOfToday, now }),
    list({ status: 'due', dueBefore: endOfWeek, now }).then((rows) => rows.filter((v) => v.dueAt.getTime() >= endOfToday.getTime())),
  ]);
  return [
    { key: 'overdue', visits: overdue },
    { key: 'today', visits: today },
    { key: 'week', visits: week },
  ];
}

/** Rows of the visit list, with customer, engineer and the zone to show their times in. */
export async function visitRows(ctx: ConsoleContext, visits: CareVisit[], locale: 'en' | 'zh-CN') {
  const [customers, engineers] = await Promise.all([customersOf(ctx.knex, visits.map((v) => v.customerId)), namesOf(ctx.knex, 'users', visits.map((v) => v.assigneeUserId))]);
  return visits.map((v) => ({
    id: v.id,
    kind: careWord(locale, 'care.kind', v.kind),
    customer: customers.get(v.customerId)?.name ?? `#${v.customerId}`,
    address: customers.get(v.customerId)?.address ?? null,
    engineer: v.assigneeUserId === null ? null : (engineers.get(v.assigneeUserId) ?? null),
    dueAt: v.dueAt,
    windowEnd: v.windowEnd,
    timeZone: customers.get(v.customerId)?.timeZone ?? CONSOLE_TIME_ZONE,
    planId: v.planId,
  }));
}

export const visitsArea: ConsoleArea = {
  paths: ['/visits', '/visits/:id', '/visits/:id/steps/:step'],
  nav: [{ href: '/visits', label: 'nav.visits', shownTo: showsVisits }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser, requireCsrf, expiredForm } = ctx;
    const care = new CareRepository(ctx.knex);

    router.get('/visits', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const principal = principalOf(signedInUser(res)!);
      const sections = await Promise.all(
        (await visitSections(ctx.knex, principal, ctx.now())).map(async ({ key, visits: rows }) => ({ key, overdue: key === 'overdue', title: t(req, res, `visits.section.${key}`), empty: t(req, res, `visits.none.${key}`), count: rows.length, rows: await visitRows(ctx, rows, locale) })),
      );
      send(req, res, 200, 'visits', { title: t(req, res, principal.role === 'engineer' ? 'visits.mine' : 'visits.title'), sections, exports: exportLinks('visits', '') });
    });

    /** The visit the caller may read, or null: another party's visit looks like one that does not exist. */
    async function readable(res: Response, raw: unknown): Promise<CareVisit | null> {
      const id = positiveInt(raw);
      return id === null ? null : visitFor(ctx.knex, principalOf(signedInUser(res)!), id);
    }
    const notFound = (req: Request, res: Response) => message(req, res, 404, t(req, res, 'visit.missing.title'), t(req, res, 'visit.missing.text', { id: String(req.params.id) }));

    async function showVisit(req: Request, res: Response, visit: CareVisit, status = 200, sent: Record<string, FormState> = {}) {
      const locale = localeOf(req, res);
      const principal = principalOf(signedInUser(res)!);
      const [customers, names, plan, engineers, previous, actions] = await Promise.all([
        customersOf(ctx.knex, [visit.customerId]),
        namesOf(ctx.knex, 'users', [visit.assigneeUserId]),
        care.getPlan(visit.planId),
        new UsersRepository(ctx.knex).listActiveWithRole('engineer'),
        // What the last done visit of the plan left open is this one's to finish (the reader reached this visit, so its plan's).
        care.listVisits({ planId: visit.planId, status: 'done', now: ctx.now(), scope: ALL_ROWS }),
        taskActions(ctx.knex, principal, 'visit', visit.id),
      ]);
      const customer = customers.get(visit.customerId);
      const timeZone = customer?.timeZone ?? CONSOLE_TIME_ZONE;
      const outcome = outcomeOf(visit);
      const lastDone = previous.filter((v) => v.status === 'done' && v.id !== visit.id && (v.doneAt?.getTime() ?? 0) <= (visit.doneAt?.getTime() ?? Infinity)).pop();
      const carried = visit.status === 'done' ? (outcome.carriedItems ?? []) : (lastDone ? (outcomeOf(lastDone).openItems ?? []) : []);
      const open = visit.status === 'due';
      const forms = open ? VISIT_FORMS.filter((f) => VISIT_STEPS.some((s) => s === f.step && actions.has(visitStepAction(s)))) : [];
      const w = (key: string, values?: Record<string, string>) => translate(locale, key as MessageKey, values);
      const doneStep = VISIT_FORMS.find((f) => f.step === req.query.done);
      send(req, res, status, 'visit', {
        notice: doneStep && req.method === 'GET' ? w('visit.recorded', { step: w(`visit.step.${doneStep.step}`) }) : null,
        title: `${careWord(locale, 'care.kind', visit.kind)} · ${customer?.name ?? `#${visit.customerId}`}`,
        timeZone,
        visit: {
          id: visit.id,
          kind: careWord(locale, 'care.kind', visit.kind),
          status: careWord(locale, 'care.visitStatus', visit.status),
          customer: customer?.name ?? `#${visit.customerId}`,
          address: customer?.address ?? null,
          engineer: visit.assigneeUserId === null ? null : (names.get(visit.assigneeUserId) ?? null),
          dueAt: visit.dueAt,
          windowStart: visit.windowStart,
          windowEnd: visit.windowEnd,
          overdue: open && visit.windowEnd.getTime() < ctx.now().getTime(),
          doneAt: visit.doneAt,
          reportDueAt: visit.reportDueAt,
          planHref: plan ? `/care-plans/${plan.id}` : null,
          reportHref: visit.status === 'done' ? `/visits/${visit.id}/report` : null,
          reason: outcome.reason ?? null,
        },
        carried,
        done:
          visit.status === 'done'
            ? {
                checklist: [
                  { label: w('care.field.checklist.earthing'), value: w(outcome.checklist?.earthing ? 'care.yes' : 'care.no') },
                  { label: w('care.field.checklist.dustRemoval'), value: w(outcome.checklist?.dustRemoval ? 'care.yes' : 'care.no') },
                  { label: w('care.field.checklist.operatingState'), value: careWord(locale, 'care.option.checklist.operatingState', outcome.checklist?.operatingState ?? '—') },
                  { label: w('care.field.checklist.customerFeedback'), value: outcome.checklist?.customerFeedback || '—' },
                  { label: w('care.field.checklist.fixesDone'), value: outcome.checklist?.fixesDone || '—' },
                ],
                findings: outcome.findings ?? [],
                openItems: outcome.openItems ?? [],
                signature: outcome.signature?.name ?? '—',
              }
            : null,
        unshown: unshownProblems(sent, forms.map((f) => f.step)),
        steps: stepFormsView(locale, 'visit', forms, `/visits/${visit.id}`, sent, {
          engineers: engineers.map((e) => ({ value: String(e.id), label: e.name })),
          initial: { reschedule: { dueAt: localInput(visit.dueAt, timeZone) }, assign: visit.assigneeUserId === null ? {} : { engineerUserId: String(visit.assigneeUserId) }, complete: { 'checklist.operatingState': 'normal' } },
        }),
      });
    }

    router.get('/visits/:id', requireUser, async (req, res) => {
      const visit = await readable(res, req.params.id);
      if (!visit) return notFound(req, res);
      await showVisit(req, res, visit);
    });

    router.post('/visits/:id/steps/:step', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const user = signedInUser(res)!;
      const form = VISIT_FORMS.find((f) => f.step === req.params.step);
      const step = VISIT_STEPS.find((s) => s === form?.step);
      if (!form || !step) return notFound(req, res);
      // As the API's step route: 403 for a role that never takes the step, then 404 for a visit missing or out of reach.
      if (neverTakes(user, 'care_visit', visitStepAction(step))) return message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'care.stepForbidden'));
      const id = positiveInt(req.params.id);
      const visit = id === null ? null : await visitFor(ctx.knex, principalOf(user), id, visitStepAction(step));
      if (!visit) return notFound(req, res);
      const values = formValues(req.body, form.fields.map((f) => f.name));
      const timeZone = (await customersOf(ctx.knex, [visit.customerId])).get(visit.customerId)?.timeZone ?? CONSOLE_TIME_ZONE;
      try {
        const engineers = form.step === 'assign' ? (await new UsersRepository(ctx.knex).listActiveWithRole('engineer')).map((e) => e.id) : [];
        const body = careStepBody(form, values, { timeZone, choices: { engineers }, words: { required: t(req, res, 'care.problem.required'), notInstant: t(req, res, 'care.problem.instant'), notChoice: t(req, res, 'care.problem.choice') } });
        // Checked after the form, so a mistake is shown beside its field even while the engine is away.
        if (!ctx.deps.temporal) return message(req, res, 503, t(req, res, 'message.badRequest'), t(req, res, 'care.stepUnavailable'));
        await runVisitStep({ knex: ctx.knex, temporal: ctx.deps.temporal }, user, visit.id, step, body);
      } catch (error) {
        const state = formFromError(error, values, t(req, res, 'care.stepFailed'), ctx.localeOf(req, res));
        const status = (error as { status?: number }).status ?? 400;
        void ctx.audit(req, res, { statusCode: status, user, details: { visitId: visit.id, step: form.step } });
        return showVisit(req, res, (await care.getVisit(visit.id))!, status, { [form.step]: state });
      }
      void ctx.audit(req, res, { statusCode: 303, user, details: { visitId: visit.id, step: form.step } });
      res.redirect(303, `/visits/${visit.id}?done=${form.step}`);
    });
  },
};
