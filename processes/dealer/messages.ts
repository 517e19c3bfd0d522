/** The dealer processes' inputs, steps and queries (P5): shared by the workflows, their activities and the API. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ServicePolicy } from '../../domain/policy';
import type { StepMeta } from '../../platform/workflowKit/steps';

export { dealerClaimWorkflowId, dealerTaskWorkflowId, warrantyCardWorkflowId } from './rules';

/** What every dealer process needs of the policy in force when it started (frozen into its input). */
export interface DealerProcessPolicy {
  calendar: string;
  backdateWithin: string;
  dealer: ServicePolicy['dealer'];
  warrantyLength: ServicePolicy['warranty']['length'];
}

export const dealerProcessPolicy = (policy: ServicePolicy): DealerProcessPolicy => ({
  calendar: policy.calendar,
  backdateWithin: policy.steps.backdateWithin,
  dealer: policy.dealer,
  warrantyLength: policy.warranty.length,
});

// --- warrantyCard ---------------------------------------------------------------------------

export interface WarrantyCardInput {
  saleId: number;
  dealerId: number;
  deviceSerial: string;
  model: string;
  saleDate: string;
  customerName: string;
  /** When the sale was recorded: a policy in hours or seconds counts from here. */
  recordedAt: string;
  policy: DealerProcessPolicy;
}

export interface CardStep extends StepMeta {
  cardDate: string;
  customerPhone?: string;
  customerAddress?: string;
}

export interface CardStepResult {
  warranty: 'recognised';
  warrantyEndsOn: string;
  deviceId: number;
  at: string;
}

export interface WarrantyCardState {
  status: 'pending' | 'recognised' | 'not_recognised';
  dueAt: string;
  reminders: string[];
  lastStepAt?: string;
}

export const cardUpdate = defineUpdate<CardStepResult, [CardStep]>('dealerSaleCard');
export const warrantyCardStateQuery = defineQuery<WarrantyCardState>('warrantyCardState');

// --- dealerTask -----------------------------------------------------------------------------

export interface DealerTaskInput {
  taskId: number;
  dealerId: number;
  deviceSerial: string;
  customerName: string;
  /** The end user told of the arrangement, when an address is known. */
  customer?: { name: string; email: string; locale?: 'zh-CN' | 'en' };
  receivedAt: string;
  policy: DealerProcessPolicy;
}

export interface ArrangeStep extends StepMeta {
  visitAt: string;
  arrangement: string;
}

export interface CheckStep extends StepMeta {
  note: string;
}

export interface DealerTaskStepResult {
  status: 'open' | 'arranged' | 'checked';
  at: string;
}

export interface DealerTaskState {
  status: 'open' | 'arranged' | 'checked';
  escalated: boolean;
  lastStepAt?: string;
}

export const arrangeTaskUpdate = defineUpdate<DealerTaskStepResult, [ArrangeStep]>('dealerTaskArrange');
export const checkTaskUpdate = defineUpdate<DealerTaskStepResult, [CheckStep]>('dealerTaskCheck');
export const dealerTaskStateQuery = defineQuery<DealerTaskState>('dealerTaskState');

// --- dealerClaim ----------------------------------------------------------------------------

export interface DealerClaimInput {
  claimId: number;
  dealerId: number;
  deviceSerial: string;
  /** The old parts are due by the end of this instant (the end of `partsDueOn` in the settlement zone); absent: no parts. */
  partsDueAt?: string;
  partsDueOn?: string;
  policy: DealerProcessPolicy;
}

/** The API tells the claim's process that a step changed it (a send-back opens the resubmission window). */
export const claimChangedSignal = defineSignal<[]>('dealerClaimChanged');

// --- settlementConfirm ----------------------------------------------------------------------

export { settlementConfirmWorkflowId, settlementConfirmKey } from './rules';

export interface SettlementConfirmInput {
  settlementId: number;
  dealerId: number;
  period: string;
  version: number;
  /** The confirmation's due time this review set (dealer.settlementConfirmWithin after it). */
  dueAt: string;
  policy: DealerProcessPolicy;
}

/** The dealer confirmed or disputed: the confirmation is no longer awaited. */
export const settlementAnsweredSignal = defineSignal<[]>('settlementAnswered');

// --- partsPlan ------------------------------------------------------------------------------

export { partsPlanWorkflowId } from './rules';

/** One dealer's parts plan for one sales season, as it was opened (times frozen into the input). */
export interface PartsPlanInput {
  planId: number;
  dealerId: number;
  seasonStart: string;
  dueOn: string;
  dueAt: string;
  remindAt: string;
  policy: DealerProcessPolicy;
}

export interface PartsPlanStep extends StepMeta {
  lines: Array<{ partNo: string; quantity: number }>;
  note?: string;
}

export interface PartsPlanStepResult {
  status: 'submitted';
  at: string;
}

export interface PartsPlanState {
  status: 'open' | 'submitted' | 'lapsed';
  reminded: boolean;
  escalated: boolean;
  lastStepAt?: string;
}

export const submitPartsPlanUpdate = defineUpdate<PartsPlanStepResult, [PartsPlanStep]>('dealerPartsPlanSubmit');
export const partsPlanStateQuery = defineQuery<PartsPlanState>('partsPlanState');
