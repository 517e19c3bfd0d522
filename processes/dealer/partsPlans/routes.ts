/**
 * Dealers' parts plans (PRODUCT §P5.7) through the API: a dealer's plans with their due dates, and
 * the dealer's submission of one season's plan (a step its partsPlan process judges and records).
 * A plan is addressed by its dealer and season; another dealer's answers 404.
 */
import type { User } from '../../../people/repository';
import { PartsPlansRepository, type PartsPlan } from './repository';
import { rolesReaching, scopeOf, type Scope } from '../../../domain/access';
import { partsPlanRefusal, partsPlanWorkflowId } from '../rules';
import { submitPartsPlanUpdate } from '../messages';
import { principalOf } from '../../../platform/http/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { forbidden, validationFailed } from '../../../platform/http/errors';
import { once, sendStep } from '../api';
import { DateSchema, line, optionalProse } from '../../../platform/http/fields';
import { apiModule, type ApiDeps } from '../../../platform/http/module';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';

const IdParams = z.object({ id: z.coerce.number().int().min(1).max(4_294_967_295) });

export const PartsPlanBody = z.strictObject({
  seasonStart: DateSchema.openapi({ description: 'The first day of the sales season the plan is for (one of the dealer’s open plans)' }),
  lines: z.array(z.strictObject({ partNo: line(), quantity: z.number().int().min(1).max(1_000_000) })).min(1).max(2000),
  note: optionalProse(2000).optional(),
});

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

/**
 * The dealer submits one season's plan: checked whole (nothing is written on a bad line), then sent
 * to the plan's process, which records it once. The console's form calls this too.
 */
export async function submitPartsPlan(deps: ApiDeps, user: User, dealerId: number, input: unknown, idempotencyKey?: string): Promise<PartsPlan> {
  if (!rolesReaching('parts_plan', 'act').includes(user.role)) throw forbidden(`Role ${user.role} does not submit parts plans; the dealer does`);
  const parsed = PartsPlanBody.safeParse(input);
  if (!parsed.success) throw validationFailed(parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || 'body', message: issue.message })));
  const body = parsed.data;
  const refusal = partsPlanRefusal(body.lines);
  if (refusal) throw validationFailed([refusal]);
  const plans = new PartsPlansRepository(deps.knex);
  const plan = await plans.ofSeason(dealerId, body.seasonStart, scopeOf(principalOf(user), 'parts_plan', 'act'));
  if (!plan) throw validationFailed([{ field: 'seasonStart', message: `no parts plan is open for the season from ${body.seasonStart}` }]);
  await sendStep(deps, user, idempotencyKey, partsPlanWorkflowId(plan.id), submitPartsPlanUpdate, { lines: body.lines, ...(body.note ? { note: body.note } : {}) }, `the parts plan for the season from ${plan.seasonStart} is closed`);
  return (await plans.get(plan.id))!;
}

/** A dealer's plans, soonest due first (the caller's scope applies). */
export const partsPlansOf = (deps: ApiDeps, dealerId: number, scope: Scope): Promise<PartsPlan[]> => new PartsPlansRepository(deps.knex).list(scope, dealerId);

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
      const plan = await submitPartsPlan(deps, user, params.id, body, idempotencyKey);
      return { status: 200 as const, body: planDto(plan) };
    }),
);

export const partsPlansModule = apiModule(listPlans, submitPlan);
