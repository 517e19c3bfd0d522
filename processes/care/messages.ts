/** The care plan's input, state and steps (P4). Steps on a visit or a call are updates on the plan's workflow. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CareCursors, CareTaskKind } from './rules';
import type { CustomerClass, ServicePolicy } from '../../domain/policy';
import type { StepMeta } from '../../platform/workflowKit/steps';
import type { Person } from '../delivery/messages';

/** A person who can be assigned work: a user with their notice address. */
export type Assignee = Person & { userId: number };

export interface CareContractRecord {
  id: string;
  startsAt: string;
  endsAt: string;
  visitsPerYear: number;
}

export interface CarePlanInput {
  /** Absent when the plan starts at a project's handover: the workflow opens its record first. */
  planId?: number;
  customerId: number;
  customerName: string;
  siteId?: number | null;
  projectId?: number | null;
  deviceIds: number[];
  customerClass: CustomerClass;
  /** Warranty start (ISO): ages count from here. */
  anchorAt: string;
  warrantyEndsAt?: string | null;
  timeZone: string;
  policy: ServicePolicy;
  /** The customer's one-to-one engineer: every visit goes to them unless assigned otherwise. */
  engineer?: Assignee | null;
  /** Who hears of the warranty's expiry and the contract offer. */
  customerContacts: Person[];
  /** Carried over by continue-as-new. */
  state?: CarePlanState;
  /** Test only: continue as new once this run materialized this many tasks (else when Temporal suggests it). */
  continueAsNewAfterTasks?: number;
}

export interface OpenCareTask {
  key: string;
  kind: CareTaskKind;
  dueAt: string;
  windowStart: string;
  windowEnd: string;
  remindAt: string;
  assignee?: Assignee | null;
  /** Calls: tries so far. */
  attempts: number;
  /** Bumped each time the task's times move, so its deadline ladder starts again. */
  version: number;
  /** A return call after a closed repair: its ticket. */
  ticketId?: number;
}

export interface CarePlanState {
  planId: number;
  /** When the plan began: tasks and notices from before it (equipment already in the field) are not made up for. */
  startedAt: string;
  status: 'active' | 'ended';
  policy: ServicePolicy;
  contracts: CareContractRecord[];
  cursors: CareCursors;
  /** Materialized and not yet done, skipped, cancelled or given up. */
  open: Record<string, OpenCareTask>;
  noticesSent: string[];
  followUps: number;
  /** Items a partly done inspection left for the next visit. */
  openItems: string[];
  /** Tasks finished over the plan's life (all runs). */
  finished: number;
  runs: number;
  lastStepAt?: string;
  endReason?: string;
  /** Extra visits added by hand so far (numbering `extra:<n>`); absent in plans started before there were any. */
  extraVisits?: number;
  /** Keys of the return calls closed repairs asked for (`repair:<ticket>:<round>`): each is scheduled once. */
  repairCalls?: string[];
}

export interface TaskStep extends StepMeta {
  taskKey: string;
}

export interface VisitChecklist {
  earthing: boolean;
  dustRemoval: boolean;
  operatingState: string;
  customerFeedback?: string;
  fixesDone?: string;
}

export type AssignVisitStep = TaskStep & { engineer: Assignee };
export type RescheduleTaskStep = TaskStep & { dueAt: string; reason: string };
export type CompleteVisitStep = TaskStep & { checklist: VisitChecklist; findings: string[]; openItems?: string[]; signature: { name: string; signedAt?: string } };
export type ReasonStep = TaskStep & { reason: string };
export type CompleteCallStep = TaskStep & {
  contactId?: number;
  answers: { usage: string; mastery: string; problems?: string; suggestions?: string };
  satisfaction: number;
  unsolvedProblem?: boolean;
};
export type NoAnswerStep = TaskStep & { contactId?: number; note?: string };
export type WrongNumberStep = TaskStep & { contactId: number; note?: string };
export type AddContractStep = StepMeta & { contract: CareContractRecord };
export type EndPlanStep = StepMeta & { reason: string };
export type UpdatePolicyStep = StepMeta & { policy: ServicePolicy };
/** An extra visit (before a customer's major event); the engineer named, else nobody until assigned. */
export type AddExtraVisitStep = StepMeta & { dueAt: string; reason: string; engineer?: Assignee };
/** A follow-up dealt with: its key (care_follow_ups.follow_up_key) and what was done. */
export type CloseFollowUpStep = StepMeta & { followUpKey: string; outcome: string };

export interface CareStepResult {
  taskKey?: string;
  status: string;
  at: string;
  dueAt?: string;
  followUp?: boolean;
  /** A repair's return call: what its ticket made of the answers as its survey. */
  ticketSurvey?: 'surveyed' | 'reopened' | 'not_taken';
}

export const assignVisitUpdate = defineUpdate<CareStepResult, [AssignVisitStep]>('visit.assign');
export const rescheduleVisitUpdate = defineUpdate<CareStepResult, [RescheduleTaskStep]>('visit.reschedule');
export const completeVisitUpdate = defineUpdate<CareStepResult, [CompleteVisitStep]>('visit.complete');
export const skipVisitUpdate = defineUpdate<CareStepResult, [ReasonStep]>('visit.skip');
export const cancelVisitUpdate = defineUpdate<CareStepResult, [ReasonStep]>('visit.cancel');
export const completeCallUpdate = defineUpdate<CareStepResult, [CompleteCallStep]>('call.complete');
export const noAnswerCallUpdate = defineUpdate<CareStepResult, [NoAnswerStep]>('call.noAnswer');
export const wrongNumberCallUpdate = defineUpdate<CareStepResult, [WrongNumberStep]>('call.wrongNumber');
export const rescheduleCallUpdate = defineUpdate<CareStepResult, [RescheduleTaskStep]>('call.reschedule');
export const addContractUpdate = defineUpdate<CareStepResult, [AddContractStep]>('carePlan.addContract');
export const endPlanUpdate = defineUpdate<CareStepResult, [EndPlanStep]>('carePlan.end');
export const updatePolicyUpdate = defineUpdate<CareStepResult, [UpdatePolicyStep]>('carePlan.updatePolicy');
export const addExtraVisitUpdate = defineUpdate<CareStepResult, [AddExtraVisitStep]>('visit.add');
export const closeFollowUpUpdate = defineUpdate<CareStepResult, [CloseFollowUpStep]>('followUp.close');

/** A repair ticket of a device on this plan closed: the desk calls the customer back by `dueAt` (ticket.surveyWithin after the close). */
export interface RepairReturnCall {
  ticketId: number;
  /** The ticket's reopen round: each close asks anew. */
  round: number;
  dueAt: string;
}
export const repairReturnCallSignal = defineSignal<[RepairReturnCall]>('carePlan.repairReturnCall');
export const repairCallKey = (call: Pick<RepairReturnCall, 'ticketId' | 'round'>) => `repair:${call.ticketId}:${call.round}`;
/** The close a repair's return call answers (the round of `repair:<ticket>:<round>`). */
export const repairCallRound = (key: string): number => Number(key.split(':')[2]);

export const carePlanStateQuery = defineQuery<CarePlanState>('carePlanState');

export const carePlanWorkflowId = (planId: number) => `care-plan-${planId}`;
export const projectCarePlanWorkflowId = (projectId: number) => `care-plan-project-${projectId}`;
/** A dealer-sold device's plan, started when its warranty card came in on time. */
export const dealerSaleCarePlanWorkflowId = (saleId: number) => `care-plan-dealer-sale-${saleId}`;

/**
 * What other processes need to start a care plan as their child (delivery at handover, a dealer's
 * warranty card) without importing its code: the workflow's type name and signature, and the
 * activities that gather its input.
 */
export const CARE_PLAN_WORKFLOW = 'carePlan';
export type CarePlanWorkflow = (input: CarePlanInput) => Promise<CarePlanState>;

export type CarePlanBasis = Required<Pick<CarePlanInput, 'customerId' | 'customerName' | 'customerClass' | 'timeZone' | 'deviceIds' | 'customerContacts'>> & {
  siteId: number | null;
  engineer: Assignee | null;
};

export interface CarePlanBasisActivities {
  projectCarePlanBasis(input: { projectId: number }): Promise<CarePlanBasis>;
  dealerDeviceCarePlanBasis(input: { deviceId: number }): Promise<(CarePlanBasis & { anchorAt: string; warrantyEndsAt: string | null; policy: ServicePolicy }) | null>;
}
