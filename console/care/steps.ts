/**
 * A step on a visit or a call, taken as the API takes it: an update of the plan's workflow (the
 * step kit judges it, records it whole, then applies it), the caller as its actor. The workflow's
 * refusals come back as the API's errors (409 with the reason, 400 naming the field).
 */
import type { Knex } from 'knex';
import type { ApiDeps } from '../../api/module';
import { notFound, unavailable } from '../../api/errors';
import { updateFailureToApi } from '../../api/temporalErrors';
import { CareRepository } from '../../db/repositories/care';
import { UsersRepository, type User } from '../../db/repositories/users';
import {
  assignVisitUpdate,
  cancelVisitUpdate,
  completeCallUpdate,
  completeVisitUpdate,
  noAnswerCallUpdate,
  rescheduleCallUpdate,
  rescheduleVisitUpdate,
  skipVisitUpdate,
  wrongNumberCallUpdate,
  type CareStepResult,
} from '../../workflows/carePlan.messages';

const VISIT_UPDATES = { assign: assignVisitUpdate, reschedule: rescheduleVisitUpdate, complete: completeVisitUpdate, skip: skipVisitUpdate, cancel: cancelVisitUpdate } as const;
const CALL_UPDATES = { complete: completeCallUpdate, 'no-answer': noAnswerCallUpdate, 'wrong-number': wrongNumberCallUpdate, reschedule: rescheduleCallUpdate } as const;

type Deps = { knex: Knex; temporal?: ApiDeps['temporal'] };

async function run(deps: Deps, planId: number, update: (typeof VISIT_UPDATES)[keyof typeof VISIT_UPDATES] | (typeof CALL_UPDATES)[keyof typeof CALL_UPDATES], payload: Record<string, unknown>): Promise<CareStepResult> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const plan = await new CareRepository(deps.knex).getPlan(planId);
  if (!plan) throw notFound(`care plan ${planId} not found`);
  try {
    // The payload's shape is the step's: careStepBody built it from the form's fields.
    return await deps.temporal.client.workflow.getHandle(plan.workflowId).executeUpdate(update as typeof completeVisitUpdate, { args: [payload as never] });
  } catch (error) {
    throw updateFailureToApi(error, `care plan ${planId} is ${plan.status}`);
  }
}

const meta = (user: User) => ({ actor: { userId: user.id, name: user.name, role: user.role }, occurredAt: new Date().toISOString() });

export async function runVisitStep(deps: Deps, user: User, visit: { planId: number; taskKey: string }, step: keyof typeof VISIT_UPDATES, body: Record<string, unknown>): Promise<CareStepResult> {
  const payload: Record<string, unknown> = { ...body, ...meta(user), taskKey: visit.taskKey };
  if (step === 'assign') {
    const engineer = await new UsersRepository(deps.knex).get(Number(body.engineerUserId));
    delete payload.engineerUserId;
    payload.engineer = engineer ? { userId: engineer.id, name: engineer.name, email: engineer.email, locale: engineer.locale } : null;
  }
  return run(deps, visit.planId, VISIT_UPDATES[step], payload);
}

export async function runCallStep(deps: Deps, user: User, call: { planId: number; taskKey: string }, step: keyof typeof CALL_UPDATES, body: Record<string, unknown>): Promise<CareStepResult> {
  return run(deps, call.planId, CALL_UPDATES[step], { ...body, ...meta(user), taskKey: call.taskKey });
}

export const isVisitStep = (step: string): step is keyof typeof VISIT_UPDATES => Object.prototype.hasOwnProperty.call(VISIT_UPDATES, step);
export const isCallStep = (step: string): step is keyof typeof CALL_UPDATES => Object.prototype.hasOwnProperty.call(CALL_UPDATES, step);
