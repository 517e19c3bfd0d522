/**
 * Dealers' parts plans (PRODUCT §P5.7) through the API: a dealer's plans with their due dates, and
 * the dealer's submission of one season's plan (a step its partsPlan process judges and records).
 * A plan is addressed by its dealer and season; another dealer's answers 404.
 */
import { readerLocale } from '../../../platform/http/problemMessages';
import { rolesReaching } from '../../../domain/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { apiModule } from '../../../platform/http/module';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { IdParams, once } from '../http';
import { PartsPlanBody, partsPlansOf, submitPartsPlan, type PartsPlan } from './useCases';

const PartsPlanSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    seasonStart: z.string(),
    dueOn: z.string().openapi({ description: 'Due by the end of this day: dealer.partsPlanLead before the season' }),
    dueAt: z.string(),
    status: z.enum(['open', 'submitted']),
    lines: z.array(z.object({ partNo: z.string(), quantity: z.number().int() })),
    note: z.string().nullable(),
    submittedAt: z.string().nullable(),
  })
  .openapi('PartsPlan');

const planDto = (plan: PartsPlan): z.input<typeof PartsPlanSchema> => ({
  id: plan.id,
  dealerId: plan.dealerId,
  seasonStart: plan.seasonStart,
  dueOn: plan.dueOn,
  dueAt: plan.dueAt.toISOString(),
  status: plan.status,
  lines: plan.lines,
  note: plan.note,
  submittedAt: plan.submittedAt?.toISOString() ?? null,
});

const listPlans = defineRoute(
  {
    method: 'get',
    path: '/dealers/:id/parts-plans',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'parts_plan', action: 'read' },
    summary: 'The dealer’s parts plans, one per sales season ahead, with their due dates (dealer.partsPlanLead before each season)',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'Plans, soonest due first', body: z.object({ plans: z.array(PartsPlanSchema) }) } },
  },
  async ({ params, scope, deps }) => ({ status: 200, body: { plans: (await partsPlansOf(deps, params.id, scope)).map(planDto) } }),
);

const submitPlan = defineRoute(
  {
    method: 'post',
    path: '/dealers/:id/parts-plans',
    roles: rolesReaching('parts_plan', 'act'),
    access: { rule: 'record', resource: 'parts_plan', action: 'act' },
    summary: 'The dealer submits its parts plan for a sales season (parts and quantities): the reminder and escalation stop',
    tags: ['dealer warranty'],
    params: IdParams,
    body: PartsPlanBody,
    idempotent: true,
    responses: { 200: { description: 'The plan, submitted', body: PartsPlanSchema } },
    errors: { 404: 'No such dealer, or another dealer’s', 409: 'Submitted already, or the season began' },
  },
  async ({ params, body, user, deps, req, res, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      res.locals.audit = { entityType: 'dealer', entityId: params.id } satisfies AuditTarget;
      const plan = await submitPartsPlan(deps, user, params.id, body, idempotencyKey, readerLocale(req, user));
      return { status: 200 as const, body: planDto(plan) };
    }),
);

export const partsPlansModule = apiModule(listPlans, submitPlan);
