/**
 * Care plans (P4): the list, and a plan's page with its past and next tasks, warranty dates and
 * maintenance contracts (the page a care notice links to).
 *
 *   GET /care-plans      plans the caller may read, with their next task
 *   GET /care-plans/:id  customer, devices, warranty, contracts, next and past visits and calls,
 *                        follow-ups, timeline; for the service manager, the plan's own steps as forms
 *   POST /care-plans/:id/steps/:step  extra-visit | contract | close-follow-up | end (console/care/
 *                        planForms.ts); 303 back to the plan, or the page again with the problems
 *                        beside the fields
 */
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import { linkReach } from '../../../platform/http/access';
import type { Principal } from '../../../domain/access';
import { principalOf } from '../../../platform/http/access';
import { CareRepository, type CareCall, type CarePlan, type CareVisit } from '../repository';
import { DevicesRepository } from '../../../installedBase/devices';
import type { CareContractRecord } from '../messages';
import { callScope, neverTakes, planFor, planScope, showsPlans, visitScope } from './reach';
import { careWord, customersOf, stepFormsView } from './view';
import type { ConsoleArea } from '../../../platform/console/context';
import { namesOf, positiveInt } from '../../../platform/console/kit';
import type { Locale } from '../../../people/roles';
import { careStepBody } from './forms';
import { PLAN_FORMS, runPlanStep } from './planForms';
import { formFromError, formValues, type FormState, unshownProblems } from '../../../platform/console/forms';
import { say, translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { CONSOLE_TIME_ZONE } from '../../../platform/console/views';

/** Past tasks shown on a plan's page, newest first (a plan runs for years). */
const PAST_SHOWN = 50;

type TicketCell = { text: string; href: string | null } | null;

function taskRows(locale: Locale, visits: CareVisit[], calls: CareCall[], engineers: Map<number, string>, ticketOf: (id: number | null) => TicketCell) {
  return [
    ...visits.map((v) => ({ href: `/visits/${v.id}`, kind: careWord(locale, 'care.kind', v.kind), status: careWord(locale, 'care.visitStatus', v.status), open: v.status === 'due', dueAt: v.dueAt, doneAt: v.doneAt, who: v.assigneeUserId === null ? null : (engineers.get(v.assigneeUserId) ?? null), reportHref: v.status === 'done' ? `/visits/${v.id}/report` : null, ticket: null })),
    // A return call after a repair names its ticket.
    ...calls.map((c) => ({ href: `/calls/${c.id}`, kind: careWord(locale, 'care.kind', 'call'), status: careWord(locale, 'care.callStatus', c.status), open: c.status === 'due', dueAt: c.dueAt, doneAt: c.doneAt, who: null, reportHref: null, ticket: ticketOf(c.ticketId) })),
  ];
}

/**
 * The tickets a plan's follow-ups, calls and timeline name, as this reader may see them: a link to
 * each ticket they may open (api/tickets/links.ts, as the API's ticket read answers); for any other,
 * that there is one, without its id.
 */
async function ticketCells(knex: Knex, principal: Principal, locale: Locale, ids: (number | null)[]) {
  const reach = linkReach(knex, principal);
  const open = new Map<number, boolean>();
  for (const id of new Set(ids)) if (id !== null) open.set(id, await reach.ticket(id));
  const cell = (id: number | null): TicketCell => (id === null ? null : open.get(id) ? { text: translate(locale, 'carePlan.ticketLink', { id }), href: `/tickets/${id}` } : { text: translate(locale, 'carePlan.ticketHidden'), href: null });
  return { cell, open: (id: number) => open.get(id) ?? false };
}

/** The ticket a plan's event names (ticket_opened, repair_call_scheduled), if any. */
function ticketIdIn(data: unknown): number | null {
  const id = (data as { ticketId?: unknown } | null)?.ticketId;
  return typeof id === 'number' ? id : null;
}

export const carePlansArea: ConsoleArea = {
  paths: ['/care-plans', '/care-plans/:id', '/care-plans/:id/steps/:step'],
  nav: [{ href: '/care-plans', label: 'nav.carePlans', shownTo: showsPlans }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser, requireCsrf, expiredForm } = ctx;
    const care = new CareRepository(ctx.knex);

    router.get('/care-plans', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const scope = planScope(principalOf(signedInUser(res)!));
      const plans = scope.kind === 'none' ? [] : await care.listPlans({ scope });
      const ids = plans.map((p) => p.id);
      // Each plan's next open task, in one query per table.
      const next = async (table: 'care_visits' | 'care_calls') =>
        ids.length === 0 ? new Map<number, Date>() : new Map(((await ctx.knex(table).whereIn('plan_id', ids).where({ status: 'due' }).groupBy('plan_id').select('plan_id').min({ due: 'due_at' })) as Array<{ plan_id: number; due: Date | string }>).map((r) => [Number(r.plan_id), new Date(r.due)]));
      const [customers, nextVisit, nextCall] = await Promise.all([customersOf(ctx.knex, plans.map((p) => p.customerId)), next('care_visits'), next('care_calls')]);
      send(req, res, 200, 'care-plans', {
        title: t(req, res, 'carePlans.title'),
        plans: plans.map((p) => ({
          id: p.id,
          customer: customers.get(p.customerId)?.name ?? `#${p.customerId}`,
          timeZone: customers.get(p.customerId)?.timeZone ?? CONSOLE_TIME_ZONE,
          status: careWord(locale, 'care.planStatus', p.status),
          warrantyEndsAt: p.warrantyEndsAt,
          nextVisit: nextVisit.get(p.id) ?? null,
          nextCall: nextCall.get(p.id) ?? null,
        })),
      });
    });

    async function readable(res: Response, raw: unknown): Promise<CarePlan | null> {
      const id = positiveInt(raw);
      return id === null ? null : planFor(ctx.knex, principalOf(signedInUser(res)!), id);
    }
    const notFound = (req: Request, res: Response) => message(req, res, 404, t(req, res, 'carePlan.missing.title'), t(req, res, 'carePlan.missing.text', { id: String(req.params.id) }));

    async function showPlan(req: Request, res: Response, plan: CarePlan, status = 200, sent: Record<string, FormState> = {}) {
      const locale = localeOf(req, res);
      const principal = principalOf(signedInUser(res)!);
      const now = ctx.now();
      const [customers, visits, calls, followUps, timeline, devices, site, project] = await Promise.all([
        customersOf(ctx.knex, [plan.customerId]),
        // The plan's visits and calls the reader reaches (an engineer: their own visits, no calls).
        visitScope(principal).kind === 'none' ? Promise.resolve([]) : care.listVisits({ planId: plan.id, now, scope: visitScope(principal) }),
        callScope(principal).kind === 'none' ? Promise.resolve([]) : care.listCalls({ planId: plan.id, now, scope: callScope(principal) }),
        care.followUps(plan.id),
        care.timeline(plan.id),
        plan.deviceIds.length === 0 ? Promise.resolve([]) : new DevicesRepository(ctx.knex).listByCustomer(plan.customerId).then((all) => all.filter((d) => plan.deviceIds.includes(d.id))),
        plan.siteId === null ? Promise.resolve(undefined) : (ctx.knex('sites').where({ id: plan.siteId }).first('name') as Promise<{ name: string } | undefined>),
        plan.projectId === null ? Promise.resolve(undefined) : (ctx.knex('projects').where({ id: plan.projectId }).first('id', 'contract_no', 'name') as Promise<{ id: number; contract_no: string; name: string } | undefined>),
      ]);
      const engineers = await namesOf(ctx.knex, 'users', visits.map((v) => v.assigneeUserId));
      const tickets = await ticketCells(ctx.knex, principal, locale, [...calls.map((c) => c.ticketId), ...followUps.map((f) => f.ticketId), ...timeline.map((e) => ticketIdIn(e.data))]);
      const tasks = taskRows(locale, visits, calls, engineers, tickets.cell);
      const customer = customers.get(plan.customerId);
      const timeZone = customer?.timeZone ?? CONSOLE_TIME_ZONE;
      const openFollowUps = followUps.filter((f) => f.status === 'open');
      // The plan's own steps are the service manager's; an ended plan only has its follow-ups left to close.
      const mayAct = (await planFor(ctx.knex, principal, plan.id, 'act')) !== null;
      const forms = !mayAct ? [] : PLAN_FORMS.filter((f) => (f.step === 'close-follow-up' ? openFollowUps.length > 0 : plan.status === 'active'));
      const w = (key: string, values?: Record<string, string>) => translate(locale, key as MessageKey, values);
      const doneStep = PLAN_FORMS.find((f) => f.step === req.query.done);
      const contracts = (plan.contracts as CareContractRecord[]).map((c) => ({ id: c.id, startsAt: c.startsAt, endsAt: c.endsAt, visitsPerYear: c.visitsPerYear, current: new Date(c.startsAt) <= now && now < new Date(c.endsAt) }));
      send(req, res, status, 'care-plan', {
        notice: doneStep && req.method === 'GET' ? w('visit.recorded', { step: w(`plan.step.${doneStep.step}`) }) : null,
        title: `${t(req, res, 'carePlan.title', { id: String(plan.id) })} · ${customer?.name ?? `#${plan.customerId}`}`,
        timeZone,
        plan: {
          id: plan.id,
          customer: customer?.name ?? `#${plan.customerId}`,
          site: site?.name ?? null,
          project: project ? { href: `/projects/${project.id}`, label: `${project.contract_no} · ${project.name}` } : null,
          status: careWord(locale, 'care.planStatus', plan.status),
          customerClass: careWord(locale, 'care.class', plan.customerClass),
          warrantyStartsAt: plan.anchorAt,
          warrantyEndsAt: plan.warrantyEndsAt,
          inWarranty: plan.warrantyEndsAt !== null && now < plan.warrantyEndsAt,
          endReason: plan.endReason,
        },
        contracts,
        devices: devices.map((d) => ({ serial: d.serial, model: d.model, brand: d.brand })),
        next: tasks.filter((x) => x.open).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime()),
        past: tasks
          .filter((x) => !x.open)
          .sort((a, b) => (b.doneAt ?? b.dueAt).getTime() - (a.doneAt ?? a.dueAt).getTime())
          .slice(0, PAST_SHOWN),
        followUps: followUps.map((f) => ({ reason: careWord(locale, 'care.followUpReason', f.reason), status: careWord(locale, 'care.followUpStatus', f.status), summary: say(locale, f.words, f.summary), dueAt: f.dueAt, ticket: tickets.cell(f.ticketId) })),
        // An event naming a ticket the reader may not open says so without its id.
        timeline: [...timeline]
          .reverse()
          .slice(0, 100)
          .map((e) => {
            const ticketId = ticketIdIn(e.data);
            return { at: e.at, kind: careWord(locale, 'care.event', e.kind), summary: ticketId === null || tickets.open(ticketId) ? say(locale, e.words, e.summary) : w('carePlan.ticketEventHidden') };
          }),
        unshown: unshownProblems(sent, forms.map((f) => f.step)),
        steps: stepFormsView(locale, 'plan', forms, `/care-plans/${plan.id}`, sent, {
          followUps: openFollowUps.map((f) => ({ value: String(f.id), label: `${careWord(locale, 'care.followUpReason', f.reason)} · ${say(locale, f.words, f.summary)}` })),
        }),
      });
    }

    router.get('/care-plans/:id', requireUser, async (req, res) => {
      const plan = await readable(res, req.params.id);
      if (!plan) return notFound(req, res);
      await showPlan(req, res, plan);
    });

    router.post('/care-plans/:id/steps/:step', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const user = signedInUser(res)!;
      const form = PLAN_FORMS.find((f) => f.step === req.params.step);
      if (!form) return notFound(req, res);
      // As the API's plan step routes: 403 for a role that never takes them, then 404 for a plan missing or out of reach.
      if (neverTakes(user, 'care_plan', 'act')) return message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'care.stepForbidden'));
      const id = positiveInt(req.params.id);
      const plan = id === null ? null : await planFor(ctx.knex, principalOf(user), id, 'act');
      if (!plan) return notFound(req, res);
      const values = formValues(req.body, form.fields.map((f) => f.name));
      const timeZone = (await customersOf(ctx.knex, [plan.customerId])).get(plan.customerId)?.timeZone ?? CONSOLE_TIME_ZONE;
      try {
        const followUps = form.step === 'close-follow-up' ? (await care.followUps(plan.id)).filter((f) => f.status === 'open').map((f) => f.id) : [];
        const body = careStepBody(form, values, { timeZone, choices: { followUps }, words: { required: t(req, res, 'care.problem.required'), notInstant: t(req, res, 'care.problem.instant'), notChoice: t(req, res, 'care.problem.choice'), notNumber: t(req, res, 'care.problem.visitsPerYear') } });
        // Checked after the form, so a mistake is shown beside its field even while the engine is away.
        if (!ctx.deps.temporal) return message(req, res, 503, t(req, res, 'message.badRequest'), t(req, res, 'care.stepUnavailable'));
        await runPlanStep({ knex: ctx.knex, temporal: ctx.deps.temporal }, user, plan.id, form.step, body);
      } catch (error) {
        const state = formFromError(error, values, t(req, res, 'care.stepFailed'), ctx.localeOf(req, res));
        const status = (error as { status?: number }).status ?? 400;
        void ctx.audit(req, res, { statusCode: status, user, details: { planId: plan.id, step: form.step } });
        return showPlan(req, res, (await care.getPlan(plan.id))!, status, { [form.step]: state });
      }
      void ctx.audit(req, res, { statusCode: 303, user, details: { planId: plan.id, step: form.step } });
      res.redirect(303, `/care-plans/${plan.id}?done=${form.step}`);
    });
  },
};
