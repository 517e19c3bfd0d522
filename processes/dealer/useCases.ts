/**
 * What every dealer use case shares: the dealer terms in force, who takes a step, a step's refusals
 * as API answers, starting a record's process and sending a person's step to it. A use case takes
 * a parsed (or parseable) input, the caller and the clock's reading, and answers the record after.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { Knex } from 'knex';
import type { StepMeta } from '../../platform/workflowKit/steps';
import { ConflictError, NotFoundError } from '../../platform/db/errors';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { StepRefused } from './records';
import type { User } from '../../people/repository';
import type { Role, Scope } from '../../domain/access';
import type { Duration } from '../../domain/duration';
import type { BusinessCalendar } from '../../domain/calendar';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { mergePolicy, DEFAULT_POLICY, type PolicyOverride, type ServicePolicy } from '../../domain/policy';
import { ApiError, forbidden, unavailable } from '../../platform/http/errors';
import { parseOrRefuse } from '../../platform/http/problemMessages';
import { DomainError } from '../../domain/errors';
import { words, wordsAsText, type Words } from '../../domain/words';
import type { Locale } from '../../domain/locale';
import { updateIdFor } from '../../platform/http/idempotency';
import { createAndStart, stepFailureToApi, type ProcessStart } from '../../platform/temporal/processStarts';
import type { ApiDeps } from '../../platform/http/module';
import type { z } from '../../platform/http/zod';

/** The dealer terms in force: the default template layer over the built-in defaults. */
export async function dealerPolicy(deps: ApiDeps): Promise<ServicePolicy> {
  const template = await new PolicyLayersRepository(deps.knex).get('template', 'default');
  return mergePolicy(DEFAULT_POLICY, template?.override as PolicyOverride | undefined);
}

/**
 * The business calendar a dealer deadline in working days is counted on, as the store holds it now;
 * null when every duration given is an ISO duration (those need no calendar).
 */
export async function dealerCalendar(deps: ApiDeps, policy: ServicePolicy, ...durations: Duration[]): Promise<BusinessCalendar | null> {
  if (durations.every((d) => typeof d === 'string')) return null;
  const calendar = await new CalendarsRepository(deps.knex).load(policy.calendar);
  if (!calendar) throw new Error(`the policy's calendar '${policy.calendar}' is not in the calendar store: working days cannot be counted`);
  return calendar;
}

/**
 * Each role acts on its own steps only: the route admits every role that acts on the kind (the
 * access rule), and the step names which of them takes it.
 */
export function stepBy(user: User, roles: readonly Role[]): void {
  if (!roles.includes(user.role)) throw forbidden(`Role ${user.role} does not take this step; it is the ${roles.join(' or ')}’s`);
}

/**
 * Repository refusals as API answers: a refused step is a 409 naming why, a missing record a 404; their
 * words are said in the reader's language (a field problem repeating the message too).
 */
export async function step<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof StepRefused) throw new ApiError(409, 'conflict', error.message, error.field ? [{ field: error.field, message: error.message }] : [], error.words);
    if (error instanceof NotFoundError) throw new ApiError(404, 'not_found', error.message, [], error.words);
    if (error instanceof ConflictError) throw new ApiError(409, 'conflict', error.message, error.details.field ? [{ field: error.details.field, message: error.message, ...(error.details.code ? { code: error.details.code } : {}) }] : [], error.words);
    throw error;
  }
}

/** Whose dealer a write is for: a dealer user's own; anyone else names one. */
export function dealerOfCaller(user: User, named: number | undefined): number {
  if (user.role === 'dealer') {
    if (named !== undefined && named !== user.dealerId) throw new NotFoundError(words('refusal.dealer.noDealer', { dealerId: named }));
    return user.dealerId!;
  }
  if (named === undefined) throw new DomainError(words('refusal.dealer.dealerRequired'), 'dealerId');
  return named;
}

/** The dealer a new record is for, as the caller may name it, and on record (a 400 otherwise). */
export async function existingDealerOfCaller(deps: ApiDeps, user: User, named: number | undefined): Promise<number> {
  const dealerId = dealerOfCaller(user, named);
  if (!(await deps.knex('dealers').where({ id: dealerId }).first('id'))) throw new DomainError(words('refusal.dealer.noDealer', { dealerId }), 'dealerId');
  return dealerId;
}

/**
 * A new record and the process that keeps its deadlines: `write` writes the rows in one transaction
 * with the process's pending start and names the process; after the commit it starts
 * (platform/temporal/processStarts.ts). A start that fails now deletes nothing: the reconciler's.
 */
export async function createWithProcess<T>(deps: ApiDeps, write: (trx: Knex.Transaction) => Promise<{ record: T; start: ProcessStart | null }>): Promise<T> {
  if (!deps.temporal) throw unavailable('No process engine configured; nothing was recorded');
  return createAndStart(deps.knex, deps.temporal, write);
}

/** A person's step on a dealer process: a Temporal update the process judges, records, then applies. */
export async function sendStep<R, S extends StepMeta>(deps: ApiDeps, user: User, idempotencyKey: string | undefined, workflowId: string, update: UpdateDefinition<R, [S]>, body: Omit<S, keyof StepMeta>, closed: Words): Promise<R> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const payload = { ...body, actor: { userId: user.id, name: user.name, role: user.role }, occurredAt: new Date().toISOString() } as S;
  const updateId = updateIdFor(user, idempotencyKey);
  try {
    return await deps.temporal.client.workflow.getHandle(workflowId).executeUpdate(update, { args: [payload], ...(updateId ? { updateId } : {}) });
  } catch (error) {
    // A process that has ended answers with `closed`, said in the reader's language like any refusal.
    const closedMessage = wordsAsText(closed);
    const answer = await stepFailureToApi(deps.knex, error, closedMessage);
    throw answer.message === closedMessage && !answer.words ? new ApiError(answer.status, answer.code, answer.message, answer.details, closed) : answer;
  }
}

/**
 * Tells a record's process that something changed, best effort: the change is on record, and the
 * process reads the record again at its next timer anyway. A process that ended has nothing left to
 * be told; any other failure is logged as `failed`.
 */
export async function tellProcess(deps: ApiDeps, workflowId: string, signal: SignalDefinition<[]>, failed: string): Promise<void> {
  if (!deps.temporal) return;
  try {
    await deps.temporal.client.workflow.getHandle(workflowId).signal(signal);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return;
    deps.logger?.error(failed, error);
  }
}

/**
 * A body checked by the route's schema, for callers outside the route (the console's forms): a 400
 * naming the fields, said in `locale` (the reader's language) as the API's own checks say them.
 */
export function parseBody<B extends z.ZodType>(schema: B, input: unknown, locale: Locale): z.infer<B> {
  return parseOrRefuse(schema, input, locale);
}

/** The local date at `at` in the dealer terms' time zone (YYYY-MM-DD). */
export const today = (policy: ServicePolicy, at: Date): string => at.toLocaleDateString('sv-SE', { timeZone: policy.dealer.settlementTimeZone });

/**
 * A person's step on a record, as a table of steps holds it: who takes it, the body it takes, what
 * it does. The route and the console's form both run it through the sub-process's `run…Step`.
 */
export interface DealerStep<Result> {
  roles: readonly Role[];
  body: z.ZodType;
  run(deps: ApiDeps, id: number, body: unknown, user: User, scope: Scope, idempotencyKey: string | undefined): Promise<Result>;
}

/**
 * Runs a step of a table: the record in the caller's reach (another dealer's is one that does not
 * exist, 404, whoever asks), then the role, then the body, then the step with its refusals as answers.
 */
export async function runStep<Result>(steps: Record<string, DealerStep<Result>>, what: 'claim' | 'settlement' | 'dealer_task', path: string, exists: () => Promise<boolean>, deps: ApiDeps, user: User, id: number, input: unknown, scope: Scope, idempotencyKey?: string, locale: Locale = user.locale): Promise<Result> {
  const spec = Object.prototype.hasOwnProperty.call(steps, path) ? steps[path] : undefined;
  if (!spec) throw new ApiError(404, 'not_found', `no ${what} step ${path}`, [], words('refusal.dealer.noStep', { what, path }));
  if (!(await exists())) throw new ApiError(404, 'not_found', `no ${what} ${id}`, [], words('refusal.dealer.noRecord', { what, id }));
  stepBy(user, spec.roles);
  const body = parseBody(spec.body, input, locale);
  return step(() => spec.run(deps, id, body, user, scope, idempotencyKey));
}
