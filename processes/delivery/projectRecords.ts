/** The records of a project (PRODUCT §P1, §P2) as its repository (./repository.ts) returns and takes them. */
import type { Money } from '../../domain/money';
import type { Words } from '../../domain/words';
import type { DoaDamageCause, DoaStatus, ProjectStage } from './rules';
import type { Actor, Person } from './messages';

export interface Project {
  id: number;
  customerId: number;
  contractId: number;
  contractNo: string;
  name: string;
  projectManager: Person;
  /** The project_manager user who manages it (domain/access.ts): they alone of their role read and act on it. */
  projectManagerUserId: number | null;
  serviceManager: Person | null;
  stage: ProjectStage;
  /** `project-<id>` once the workflow is started. */
  workflowId: string | null;
  installationCompletedAt: Date | null;
  initialAcceptedAt: Date | null;
  trialStartedAt: Date | null;
  trialEndsAt: Date | null;
  trialExtensions: number;
  finalAcceptedAt: Date | null;
  /** Out of 100: hardware 30 + software 50 + documents 10 + customer satisfaction 10. */
  qualityScore: number | null;
  warrantyStartsAt: Date | null;
  warrantyEndsAt: Date | null;
  completedAt: Date | null;
  cancelReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewProject {
  customerId: number;
  contractId: number;
  contractNo: string;
  name: string;
  projectManager: Person;
  serviceManager?: Person | null;
  stage: ProjectStage;
  workflowId?: string | null;
}

/** What a workflow step changes on the project row. Instants are ISO-8601 strings (Dates are accepted too). */
export interface ProjectPatch {
  stage?: ProjectStage;
  installationCompletedAt?: string | null;
  initialAcceptedAt?: string | null;
  trialStartedAt?: string | null;
  trialEndsAt?: string | null;
  trialExtensions?: number;
  finalAcceptedAt?: string | null;
  qualityScore?: number | null;
  warrantyStartsAt?: string | null;
  warrantyEndsAt?: string | null;
  completedAt?: string | null;
  cancelReason?: string | null;
}

export interface NewProjectEvent {
  /** The workflow's name for the step, unique per project: a second event with the same key is ignored. */
  eventKey: string;
  kind: string;
  at: string | Date;
  actor?: Actor | null;
  /** English, for exports and logs; readers are told `words` in their language. */
  summary: string;
  words?: Words | null;
  data?: unknown;
}

export interface ProjectEvent {
  id: number;
  projectId: number;
  eventKey: string;
  kind: string;
  at: Date;
  actor: Actor | null;
  /** The stored English sentence: what a row written before words existed shows. */
  summary: string;
  /** What happened as words, said in the reader's language; null on rows written before. */
  words: Words | null;
  data: unknown;
}

export interface ProjectTrialIssue {
  id: number;
  projectId: number;
  /** The workflow's issue id, e.g. `I3`. */
  issueKey: string;
  title: string;
  description: string | null;
  round: number;
  loggedAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

export interface DoaDamage {
  description: string;
  /** One of DOA_DAMAGE_CAUSES; checked at runtime, since workflows hand it over as a plain string. */
  cause: string;
}

export interface DoaCase {
  id: number;
  projectId: number;
  serial: string;
  status: DoaStatus;
  cause: DoaDamageCause;
  damageDescription: string;
  exclusion: string | null;
  shipBy: Date | null;
  shippedAt: Date | null;
  replacementSerial: string | null;
  receivedAt: Date | null;
  returnDue: Date | null;
  returnedAt: Date | null;
  returnAcceptable: boolean | null;
  /** The catalogue price charged, in minor units with its currency. */
  chargedAmount: Money | null;
  updatedAt: Date;
}
