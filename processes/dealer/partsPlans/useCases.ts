/**
 * Dealers' parts plans (PRODUCT §P5.7): a dealer's plans with their due dates, and the dealer's
 * submission of one season's plan (a step its partsPlan process judges and records). Used by the
 * routes and the console's dealer page.
 */
import { DomainError } from '../../../domain/errors';
import { words } from '../../../domain/words';
import type { Locale } from '../../../domain/locale';
import type { User } from '../../../people/repository';
import { rolesReaching, scopeOf, type Scope } from '../../../domain/access';
import { principalOf } from '../../../platform/http/access';
import { forbidden } from '../../../platform/http/errors';
import { DateSchema, line, optionalProse } from '../../../platform/http/fields';
import type { ApiDeps } from '../../../platform/http/module';
import { z } from '../../../platform/http/zod';
import { submitPartsPlanUpdate } from '../messages';
import { partsPlanWorkflowId } from '../rules';
import { parseBody, sendStep } from '../useCases';
import { PartsPlansRepository, type PartsPlan } from './repository';
import { partsPlanRefusal } from './rules';

export type { PartsPlan } from './repository';

export const PartsPlanBody = z.strictObject({
  seasonStart: DateSchema.openapi({ description: 'The first day of the sales season the plan is for (one of the dealer’s open plans)' }),
  lines: z.array(z.strictObject({ partNo: line(), quantity: z.number().int().min(1).max(1_000_000) })).min(1).max(2000),
  note: optionalProse(2000).optional(),
});

/**
 * The dealer submits one season's plan: checked whole (nothing is written on a bad line), then sent
 * to the plan's process, which records it once. The console's form calls this too.
 */
export async function submitPartsPlan(deps: ApiDeps, user: User, dealerId: number, input: unknown, idempotencyKey?: string, locale: Locale = user.locale): Promise<PartsPlan> {
  if (!rolesReaching('parts_plan', 'act').includes(user.role)) throw forbidden(`Role ${user.role} does not submit parts plans; the dealer does`);
  const body = parseBody(PartsPlanBody, input, locale);
  const refusal = partsPlanRefusal(body.lines);
  if (refusal) throw new DomainError(refusal.message, refusal.field);
  const plans = new PartsPlansRepository(deps.knex);
  const plan = await plans.ofSeason(dealerId, body.seasonStart, scopeOf(principalOf(user), 'parts_plan', 'act'));
  if (!plan) throw new DomainError(words('refusal.dealer.noOpenPlan', { seasonStart: body.seasonStart }), 'seasonStart');
  await sendStep(deps, user, idempotencyKey, partsPlanWorkflowId(plan.id), submitPartsPlanUpdate, { lines: body.lines, ...(body.note ? { note: body.note } : {}) }, words('refusal.dealer.planClosed', { seasonStart: plan.seasonStart }));
  return (await plans.get(plan.id))!;
}

/** A dealer's plans, soonest due first (the caller's scope applies). */
export const partsPlansOf = (deps: ApiDeps, dealerId: number, scope: Scope): Promise<PartsPlan[]> => new PartsPlansRepository(deps.knex).list(scope, dealerId);
