/** Messages of the project-delivery process, shared by the API (client side) and the workflows. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DoaDamageCause, DoaStatus, ProjectStage, QualityScoreParts, Signature, UnboxingItem } from './rules';
import type { Money } from '../../domain/money';
import type { ServicePolicy } from '../../domain/policy';

import type { Person } from '../../domain/people';

export type { Locale } from '../../domain/locale';
export type { Person };

export type { Actor, StepMeta } from '../../platform/workflowKit/steps';
import type { StepMeta } from '../../platform/workflowKit/steps';

export const projectWorkflowId = (projectId: number) => `project-${projectId}`;
export const trialRunWorkflowId = (projectId: number) => `trial-run-${projectId}`;
export const doaWorkflowId = (projectId: number, serial: string) => `doa-${projectId}-${serial}`;

export interface ProjectDevice {
  serial: string;
  model: string;
  brand?: string;
  /** What a dead-on-arrival unit not returned in time is charged. */
  catalogPrice?: Money;
}

export interface ProjectDeliveryInput {
  projectId: number;
  contractNo: string;
  name: string;
  customer: { id: number; name: string; timeZone: string; contacts: Person[] };
  projectManager: Person;
  /** Escalations go here; without one, to the active users with the service_manager role. */
  serviceManager?: Person;
  devices: ProjectDevice[];
  policy: ServicePolicy;
  /** Set by continue-as-new: the state the previous run handed over. */
  resume?: ProjectState;
}

// --- Step payloads (the API validates shapes; the workflow validates against its state) -------
// Every step carries StepMeta: who took it and when it happened (occurredAt).

export interface KickoffStep extends StepMeta { meetingDate: string; plan: string; acceptanceItems: string[]; completionCriteria: string }
export interface UnboxingStep extends StepMeta { items: UnboxingItem[]; signatures: Signature[] }
export interface WeeklyReportStep extends StepMeta { summary: string; testRecords?: { name: string; passed: boolean; signatures: Signature[] }[] }
export interface InstallationCompleteStep extends StepMeta { testRecords: { name: string; passed: boolean; signatures: Signature[] }[] }
export interface InitialAcceptanceStep extends StepMeta { items: { name: string; passed: boolean; signedBy: string }[]; leftoverIssues?: { title: string; description?: string }[]; signatures: Signature[] }
export interface TrialIssueStep extends StepMeta { title: string; description?: string }
export interface ResolveTrialIssueStep extends StepMeta { issueId: string; resolution: string }
export interface TrialReportStep extends StepMeta { summary: string }
export interface FinalAcceptanceStep extends StepMeta { passed: boolean; signatures: Signature[]; scores?: QualityScoreParts; issues?: { title: string; description?: string }[] }
export interface HandoverStep extends StepMeta { documents: { name: string; delivered: boolean }[]; signatures: Signature[] }
export interface CancelStep extends StepMeta { reason: string }

// --- State ------------------------------------------------------------------------------------
// The timeline and the pending deadlines live in the database (project_events, deadlines); the
// workflow keeps what it decides by, in one plain object that continue-as-new can carry over.

export interface TrialIssue { id: string; title: string; description?: string; loggedAt: string; round: number; resolvedAt?: string; resolution?: string }
export interface TrialState { round: number; startedAt: string; status: 'running' | 'ended'; reportSubmittedAt?: string; reports?: number; extensions?: number }
export interface DoaCaseSummary { serial: string; workflowId: string; cause: DoaDamageCause }

export interface ProjectState {
  projectId: number;
  stage: ProjectStage;
  /** When the last step that moved the stage happened: a later step may not say it happened before it. */
  lastStepAt?: string;
  milestones: { installingSince?: string; installationCompletedAt?: string; initialAcceptedAt?: string; finalAcceptedAt?: string };
  weeklyReports: number;
  lastWeeklyReportAt?: string;
  trial?: TrialState;
  trialRound: number;
  failedFinalAcceptances: number;
  nextIssueNumber: number;
  trialIssues: TrialIssue[];
  doaCases: DoaCaseSummary[];
  qualityScore?: number;
  warranty?: { startsAt: string; endsAt: string };
  handoverDone: boolean;
  cancelReason?: string;
}

/** What a step answers: small, so histories stay small; the page reads the rest from the database. */
export interface ProjectStepResult {
  projectId: number;
  stage: ProjectStage;
  /** When the step happened, as recorded. */
  at: string;
  /** The issues the step logged (trial issue, leftover issues, a failed final acceptance). */
  issueIds?: string[];
  /** The DOA cases an unboxing opened: their rows exist when this answers. */
  doaCases?: { serial: string; status: DoaStatus }[];
  warranty?: { startsAt: string; endsAt: string };
  qualityScore?: number;
}

export const projectStateQuery = defineQuery<ProjectState>('projectState');

export const kickoffUpdate = defineUpdate<ProjectStepResult, [KickoffStep]>('kickoff');
export const unboxingUpdate = defineUpdate<ProjectStepResult, [UnboxingStep]>('unboxing');
export const weeklyReportUpdate = defineUpdate<ProjectStepResult, [WeeklyReportStep]>('weeklyReport');
export const installationCompleteUpdate = defineUpdate<ProjectStepResult, [InstallationCompleteStep]>('installationComplete');
export const initialAcceptanceUpdate = defineUpdate<ProjectStepResult, [InitialAcceptanceStep]>('initialAcceptance');
export const trialIssueUpdate = defineUpdate<ProjectStepResult, [TrialIssueStep]>('trialIssue');
export const resolveTrialIssueUpdate = defineUpdate<ProjectStepResult, [ResolveTrialIssueStep]>('resolveTrialIssue');
export const trialReportUpdate = defineUpdate<ProjectStepResult, [TrialReportStep]>('trialReport');
export const finalAcceptanceUpdate = defineUpdate<ProjectStepResult, [FinalAcceptanceStep]>('finalAcceptance');
export const handoverUpdate = defineUpdate<ProjectStepResult, [HandoverStep]>('handover');
export const cancelUpdate = defineUpdate<ProjectStepResult, [CancelStep]>('cancel');

// --- Trial run child --------------------------------------------------------------------------

export interface TrialRunInput {
  projectId: number;
  contractNo: string;
  projectName: string;
  customerName: string;
  /** The customer's zone, for dates in notices. */
  timeZone: string;
  round: number;
  startsAt: string;
  /** A first trial runs `trialRun`; a trial after failed final acceptance runs `trialExtendBy`. */
  length: 'trialRun' | 'trialExtendBy';
  openIssues: number;
  projectManager: Person;
  serviceManager?: Person;
  policy: ServicePolicy;
}
export interface TrialRunResult { endedAt: string; extensions: number; reportSubmitted: boolean }

export interface TrialRunState { round: number; startedAt: string; endsAt: string; extensions: number; reportSubmittedAt?: string; status: 'running' | 'ended' }

export const trialIssuesChangedSignal = defineSignal<[{ open: number }]>('trialIssuesChanged');
export const trialReportSubmittedSignal = defineSignal<[{ at: string }]>('trialReportSubmitted');
export const trialStateQuery = defineQuery<TrialRunState>('trialState');

// --- DOA child --------------------------------------------------------------------------------

export interface DoaInput {
  projectId: number;
  contractNo: string;
  projectName: string;
  device: ProjectDevice;
  damage: { description: string; cause: DoaDamageCause };
  reportedAt: string;
  customer: { id: number; name: string; timeZone: string; contacts: Person[] };
  projectManager: Person;
  serviceManager?: Person;
  policy: ServicePolicy;
}

export interface DoaState {
  serial: string;
  status: DoaStatus;
  exclusion?: string;
  shipBy?: string;
  shippedAt?: string;
  replacementSerial?: string;
  receivedAt?: string;
  returnDue?: string;
  returnedAt?: string;
  returnAcceptable?: boolean;
  chargedAmount?: Money | null;
  /** A back-dated return proved the charge wrong: it was reversed. */
  chargeReversedAt?: string;
  lastStepAt?: string;
}

export interface DoaShippedStep extends StepMeta { replacementSerial: string }
export type DoaReceivedStep = StepMeta;
export interface DoaReturnedStep extends StepMeta { acceptable: boolean; note?: string }

export const doaStateQuery = defineQuery<DoaState>('doaState');
export const doaShippedUpdate = defineUpdate<DoaState, [DoaShippedStep]>('doaShipped');
export const doaReceivedUpdate = defineUpdate<DoaState, [DoaReceivedStep]>('doaReceived');
export const doaReturnedUpdate = defineUpdate<DoaState, [DoaReturnedStep]>('doaReturned');
