/** Messages of the project-delivery process, shared by the API (client side) and the workflows. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DoaDamageCause, DoaStatus, ProjectStage, QualityScoreParts, Signature, UnboxingItem } from '../domain/delivery';
import type { Money } from '../domain/money';
import type { ServicePolicy } from '../domain/policy';

export type Locale = 'zh-CN' | 'en';

export interface Person {
  name: string;
  email: string;
  locale?: Locale;
}

export interface Actor {
  userId: number;
  name: string;
  role: string;
}

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
}

// --- Step payloads (the API validates shapes; the workflow validates against its state) -------

export interface KickoffStep { actor: Actor; meetingDate: string; plan: string; acceptanceItems: string[]; completionCriteria: string }
export interface UnboxingStep { actor: Actor; items: UnboxingItem[]; signatures: Signature[] }
export interface WeeklyReportStep { actor: Actor; summary: string; testRecords?: { name: string; passed: boolean; signatures: Signature[] }[] }
export interface InstallationCompleteStep { actor: Actor; testRecords: { name: string; passed: boolean; signatures: Signature[] }[] }
export interface InitialAcceptanceStep { actor: Actor; items: { name: string; passed: boolean; signedBy: string }[]; leftoverIssues?: { title: string; description?: string }[]; signatures: Signature[] }
export interface TrialIssueStep { actor: Actor; title: string; description?: string }
export interface ResolveTrialIssueStep { actor: Actor; issueId: string; resolution: string }
export interface TrialReportStep { actor: Actor; summary: string }
export interface FinalAcceptanceStep { actor: Actor; passed: boolean; signatures: Signature[]; scores?: QualityScoreParts; issues?: { title: string; description?: string }[] }
export interface HandoverStep { actor: Actor; documents: { name: string; delivered: boolean }[]; signatures: Signature[] }
export interface CancelStep { actor: Actor; reason: string }

// --- State (answered by query) ----------------------------------------------------------------

export interface TimelineEntry { at: string; kind: string; actor?: string; summary: string }
export interface TrialIssue { id: string; title: string; description?: string; loggedAt: string; round: number; resolvedAt?: string; resolution?: string }
export interface TrialState { round: number; startedAt: string; endsAt: string; extensions: number; reportSubmittedAt?: string; status: 'running' | 'ended' }
export interface PendingDeadline { kind: string; dueAt: string; description: string }
export interface DoaCaseSummary { serial: string; workflowId: string; cause: DoaDamageCause }

export interface ProjectState {
  projectId: number;
  stage: ProjectStage;
  timeline: TimelineEntry[];
  weeklyReports: number;
  trial?: TrialState;
  trialIssues: TrialIssue[];
  doaCases: DoaCaseSummary[];
  deadlines: PendingDeadline[];
  qualityScore?: number;
  warranty?: { startsAt: string; endsAt: string };
  cancelReason?: string;
}

export const projectStateQuery = defineQuery<ProjectState>('projectState');

export const kickoffUpdate = defineUpdate<ProjectState, [KickoffStep]>('kickoff');
export const unboxingUpdate = defineUpdate<ProjectState, [UnboxingStep]>('unboxing');
export const weeklyReportUpdate = defineUpdate<ProjectState, [WeeklyReportStep]>('weeklyReport');
export const installationCompleteUpdate = defineUpdate<ProjectState, [InstallationCompleteStep]>('installationComplete');
export const initialAcceptanceUpdate = defineUpdate<ProjectState, [InitialAcceptanceStep]>('initialAcceptance');
export const trialIssueUpdate = defineUpdate<ProjectState, [TrialIssueStep]>('trialIssue');
export const resolveTrialIssueUpdate = defineUpdate<ProjectState, [ResolveTrialIssueStep]>('resolveTrialIssue');
export const trialReportUpdate = defineUpdate<ProjectState, [TrialReportStep]>('trialReport');
export const finalAcceptanceUpdate = defineUpdate<ProjectState, [FinalAcceptanceStep]>('finalAcceptance');
export const handoverUpdate = defineUpdate<ProjectState, [HandoverStep]>('handover');
export const cancelUpdate = defineUpdate<ProjectState, [CancelStep]>('cancel');

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

export const trialIssuesChangedSignal = defineSignal<[{ open: number }]>('trialIssuesChanged');
export const trialReportSubmittedSignal = defineSignal<[{ at: string }]>('trialReportSubmitted');
export const trialStateQuery = defineQuery<TrialState>('trialState');
/** Child → parent: the trial's current end and report deadline, so the project answers with them. */
export const trialProgressSignal = defineSignal<[{ round: number; endsAt: string; reportDueAt: string; extensions: number }]>('trialProgress');

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
}

export interface DoaShippedStep { actor: Actor; replacementSerial: string }
export interface DoaReceivedStep { actor: Actor }
export interface DoaReturnedStep { actor: Actor; acceptable: boolean; note?: string }

export const doaStateQuery = defineQuery<DoaState>('doaState');
export const doaShippedUpdate = defineUpdate<DoaState, [DoaShippedStep]>('doaShipped');
export const doaReceivedUpdate = defineUpdate<DoaState, [DoaReceivedStep]>('doaReceived');
export const doaReturnedUpdate = defineUpdate<DoaState, [DoaReturnedStep]>('doaReturned');
