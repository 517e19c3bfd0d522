/**
 * The service manager's steps on a care plan itself, as console forms: end it, add a maintenance
 * contract, add an extra visit, close a follow-up. Each runs the command the API's route runs
 * (api/care/plans.ts), so the console and the API take the same step the same way.
 */
import type { User } from '../../../people/repository';
import type { ApiDeps } from '../../../platform/http/module';
import { addExtraVisit, addMaintenanceContract, closeFollowUp, endCarePlan } from '../useCases/plans';
import { CloseFollowUpBody, EndCarePlanBody, ExtraVisitBody, MaintenanceContractBody } from '../useCases/schemas';
import { parseOrRefuse } from '../../../platform/http/problemMessages';
import type { CareStepForm } from './forms';

/** Within MaintenanceContractBody's bounds; the plan's policy may ask for more (the workflow says so). */
const VISITS_PER_YEAR = { min: 1, max: 366 };

export const PLAN_FORMS: CareStepForm[] = [
  { step: 'extra-visit', fields: [{ name: 'dueAt', type: 'datetime-local', required: true }, { name: 'reason', type: 'textarea', required: true }] },
  {
    step: 'contract',
    fields: [
      { name: 'startsAt', type: 'datetime-local', required: true },
      { name: 'endsAt', type: 'datetime-local', required: true },
      { name: 'visitsPerYear', type: 'number', required: true, ...VISITS_PER_YEAR },
    ],
  },
  { step: 'close-follow-up', fields: [{ name: 'followUpId', type: 'select', required: true, options: 'followUps' }, { name: 'outcome', type: 'textarea', required: true }] },
  { step: 'end', fields: [{ name: 'reason', type: 'textarea', required: true }] },
];

type Body = Record<string, unknown>;


/** Runs one plan step with a body careStepBody made, through the route's schema and command. */
export function runPlanStep(deps: ApiDeps, user: User, planId: number, step: string, body: Body): Promise<unknown> {
  switch (step) {
    case 'end':
      return endCarePlan(deps, user, planId, parseOrRefuse(EndCarePlanBody, body, user.locale));
    case 'contract':
      return addMaintenanceContract(deps, user, planId, parseOrRefuse(MaintenanceContractBody, body, user.locale));
    case 'extra-visit':
      return addExtraVisit(deps, user, planId, parseOrRefuse(ExtraVisitBody, body, user.locale));
    case 'close-follow-up': {
      const { followUpId, ...rest } = body as { followUpId: number };
      return closeFollowUp(deps, user, planId, followUpId, parseOrRefuse(CloseFollowUpBody, rest, user.locale));
    }
    default:
      throw new Error(`no plan step ${step}`);
  }
}
