/** The serviceTicket workflow's input, steps and state (P3): shared by the workflow, its activities and the API. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Entitlement, FaultLevel, TicketClocksRecord } from './rules';
import type { ServicePolicy } from '../../domain/policy';
import type { Money } from '../../domain/money';
import type { Words } from '../../domain/words';
import type { StepMeta } from '../../platform/workflowKit/steps';
import type { Person } from '../delivery/messages';

export type { Person };

/** A person who may be assigned a ticket: a user with an address. */
export interface Assignee extends Person {
  userId: number;
}

export const COMPLAINT_CATEGORIES = ['quality', 'not_quality', 'other'] as const;
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];

/** A complaint's own record (P3c): its category, and at close the root cause and the resolution. */
export interface ComplaintRecord {
  category?: ComplaintCategory;
  rootCause?: string;
  resolution?: string;
}

export interface ServiceTicketInput {
  ticketId: number;
  kind: 'repair' | 'complaint';
  /** A complaint's category as given at intake. */
  complaint?: ComplaintRecord;
  customer: { id: number; name: string; timeZone: string; contacts: Person[] };
  device?: { serial: string; model: string };
  symptom: string;
  level: FaultLevel;
  entitlement: Entitlement;
  /** The customer's one-to-one engineer, or the engineer who opened the ticket on site. */
  engineer?: Assignee;
  /** The clocks as recorded at intake (start, lengths, calendar, zone). */
  clocks: TicketClocksRecord;
  policy: ServicePolicy;
  openedAt: string;
}

export type TicketStatus = 'open' | 'assigned' | 'acknowledged' | 'on_site' | 'resolved' | 'closed';

export interface ServiceTicketState {
  status: TicketStatus;
  level: FaultLevel;
  assignee?: Assignee;
  onHold: boolean;
  clocks: TicketClocksRecord;
  /** `clock:rung` of every rung that fired, in order. */
  fired: string[];
  charges?: unknown;
  lastStepAt?: string;
  /** When the customer's survey is due (set at close). */
  surveyDue?: string;
  /** No answer by surveyDue: the ticket stays closed as it stood ("survey missed"). */
  surveyMissedAt?: string;
  /** Every survey answer, in order; a low one reopened the ticket. */
  surveys: { score: number; comment?: string; satisfied: boolean; at: string; reopened: boolean }[];
  reopened: number;
  /** Out of scope: the quote the customer must accept before work starts. */
  quote?: { total: Money; labourMinutes: number; labourRate: Money; travel: Money; parts: ResolveStep['parts']; note?: string; status: 'pending' | 'accepted' | 'refused'; at: string };
  /** The resolve clock breached: a backup unit on site, the device to the factory, or a replacement (000, 003 §6). */
  backup?: { dueAt: string; deliveredAt?: string; serial?: string };
  factory?: { sentAt: string; dueAt: string; returnedAt?: string };
  replacement?: { serial: string; at: string };
  /** A complaint: category, root cause and resolution (the responsible person is its assignee). */
  complaint?: ComplaintRecord;
}

export interface AssignStep extends StepMeta {
  engineer: Assignee;
}
export type PlainStep = StepMeta;
/** Close: a complaint records its root cause and resolution (and may correct its category). */
export interface CloseStep extends StepMeta {
  category?: ComplaintCategory;
  rootCause?: string;
  resolution?: string;
}
export interface HoldStep extends StepMeta {
  reason: 'customer' | 'parts' | 'other';
  note?: string;
}
export interface LevelStep extends StepMeta {
  level: FaultLevel;
  reason: string;
}
export interface ResolveStep extends StepMeta {
  diagnosis: string;
  workDone: string;
  qualityFault: boolean;
  parts: { partNumber: string; quantity: number; unitCost: Money }[];
  /** Whole minutes of labour. */
  labourMinutes: number;
  labourRate: Money;
  travel: Money;
  customerSignature?: string;
}

export interface SurveyStep extends StepMeta {
  /** Satisfaction 1–5. */
  score: number;
  comment?: string;
  /** The customer says the problem is not solved, whatever the score. */
  notSatisfied?: boolean;
  /** The close this survey answers (0 the first, 1 after one reopen …): a return call of an earlier close is refused. */
  round?: number;
}
export interface ReopenStep extends StepMeta {
  reason: string;
}

export interface QuoteStep extends StepMeta {
  labourMinutes: number;
  labourRate: Money;
  travel: Money;
  parts: ResolveStep['parts'];
  note?: string;
}
export interface BackupUnitStep extends StepMeta {
  serial: string;
}
export interface FactoryRepairStep extends StepMeta {
  /** sent: the device leaves for the factory; returned: it is back, repaired. */
  action: 'sent' | 'returned';
}
export interface ReplaceStep extends StepMeta {
  /** The new unit, registered with its own warranty. */
  serial: string;
}

export interface TicketStepResult {
  status: TicketStatus;
  level: FaultLevel;
  onHold: boolean;
  at: string;
}

export const ticketStateQuery = defineQuery<ServiceTicketState>('ticketState');
export const assignTicketUpdate = defineUpdate<TicketStepResult, [AssignStep]>('ticketAssign');
export const acknowledgeTicketUpdate = defineUpdate<TicketStepResult, [PlainStep]>('ticketAcknowledge');
export const arriveTicketUpdate = defineUpdate<TicketStepResult, [PlainStep]>('ticketArrive');
export const holdTicketUpdate = defineUpdate<TicketStepResult, [HoldStep]>('ticketHold');
export const resumeTicketUpdate = defineUpdate<TicketStepResult, [PlainStep]>('ticketResume');
export const levelTicketUpdate = defineUpdate<TicketStepResult, [LevelStep]>('ticketLevel');
export const resolveTicketUpdate = defineUpdate<TicketStepResult, [ResolveStep]>('ticketResolve');
export const closeTicketUpdate = defineUpdate<TicketStepResult, [CloseStep]>('ticketClose');
export const surveyTicketUpdate = defineUpdate<TicketStepResult, [SurveyStep]>('ticketSurvey');
export const quoteTicketUpdate = defineUpdate<TicketStepResult, [QuoteStep]>('ticketQuote');
export const quoteAcceptedTicketUpdate = defineUpdate<TicketStepResult, [PlainStep]>('ticketQuoteAccepted');
export const quoteRefusedTicketUpdate = defineUpdate<TicketStepResult, [PlainStep]>('ticketQuoteRefused');
export const backupUnitTicketUpdate = defineUpdate<TicketStepResult, [BackupUnitStep]>('ticketBackupUnit');
export const factoryRepairTicketUpdate = defineUpdate<TicketStepResult, [FactoryRepairStep]>('ticketFactoryRepair');
export const replaceTicketUpdate = defineUpdate<TicketStepResult, [ReplaceStep]>('ticketReplace');
export const reopenTicketUpdate = defineUpdate<TicketStepResult, [ReopenStep]>('ticketReopen');

export const ticketWorkflowId = (ticketId: number): string => `ticket-${ticketId}`;

/** A survey given on the desk's return call after a repair, for that repair's round (the activity surveyTicketFromCall, which care's workflow calls). */
export interface CallSurveyRequest {
  ticketId: number;
  /** The update's id: one per call, so a retried activity is one answer. */
  updateId: string;
  step: SurveyStep;
}

/** Taken: the ticket recorded it (and reopened on a low score). Not taken: why the ticket refused it. */
/** Not taken: why, in English (`reason`, as before) and as words (`words`, to say it in a reader's language). */
export type CallSurveyOutcome = { taken: true; reopened: boolean } | { taken: false; reason: string; words?: Words };

/** The activity other processes use to find whom a rung of a ticket's ladder goes to (care's follow-up tickets). */
export interface TicketRecipientActivities {
  ticketRecipients(input: { role: string }): Promise<Person[]>;
}

/**
 * Where a ticket from asset care comes from: a care plan's follow-up (a return call's low score or
 * unsolved problem), or one finding of a done visit, whose own follow-up is written with the ticket.
 */
export type TicketCareOrigin = { planId: number; customerId: number } & ({ followUpId: number; reason: string } | { finding: { visitId: number; taskKey: string; index: number; summary: string } });

/**
 * What tickets need of asset care (P4), in tickets' terms: implemented by care
 * (`processes/care/forTickets.ts`) and handed in by the registries. `Db` is the database handle (knex,
 * or the ticket's transaction: the methods given `trx` write in it, so the follow-up, the care plan's
 * timeline entry and the ticket stand or fall together).
 */
export interface TicketCare<Db> {
  /** A care plan, as much of it as a ticket needs; null when there is none. */
  plan(db: Db, planId: number): Promise<{ id: number; customerId: number; deviceIds: number[] } | null>;
  /** One of the plan's follow-ups; null when the plan has no such follow-up. */
  followUp(db: Db, planId: number, followUpId: number): Promise<{ id: number; reason: string; summary: string; ticketId: number | null } | null>;
  /** A visit, with its status and its outcome (its findings); null when there is none. */
  visit(db: Db, visitId: number): Promise<{ id: number; planId: number; taskKey: string; status: string; outcome: unknown } | null>;
  /** The ticket already answering the origin's follow-up (or finding), or null. */
  answeringTicket(db: Db, origin: TicketCareOrigin): Promise<number | null>;
  /** The follow-up a ticket for this origin answers: a finding's own follow-up is written now (in `trx`). */
  followUpFor(trx: Db, origin: TicketCareOrigin, at: Date): Promise<number>;
  /** The follow-up names the ticket; false when another ticket took it meanwhile. */
  linkTicket(trx: Db, followUpId: number, ticketId: number): Promise<boolean>;
  /** The care plan's timeline says the ticket was opened for the origin (words, in `trx`). */
  ticketOpened(trx: Db, origin: TicketCareOrigin, ticket: { id: number; kind: 'repair' | 'complaint'; followUpId: number }, at: Date): Promise<void>;
}

/** A 三包 repair request as a ticket hands it to the dealer. */
export interface DealerRepairRequest {
  deviceSerial: string;
  customerName: string;
  customerPhone?: string;
  customerEmail: string;
  customerLocale: 'zh-CN' | 'en';
  request: string;
}

/** A dealer-sold device whose recognised warranty still runs: the dealer repairs it (PRODUCT §P5.2). */
export interface DealerWarrantyRoute<Db> {
  dealerId: number;
  saleId: number;
  warrantyEndsOn: string | null;
  /**
   * The dealer task, written in the ticket's transaction, and the start of its process (written with
   * it by the caller, started once both stand).
   */
  openTask(trx: Db, request: DealerRepairRequest, byUserId: number, at: Date): Promise<{ taskId: number; start: { workflowType: string; workflowId: string; input: unknown } }>;
}

/** What tickets need of the dealer (P5), in tickets' terms: implemented by `processes/dealer/forTickets.ts`. */
export interface TicketDealer<Db> {
  /** The 三包 route for a repair on this device opened at `at`; null when no dealer's warranty covers it. */
  warrantyRoute(db: Db, deviceSerial: string, at: Date): Promise<DealerWarrantyRoute<Db> | null>;
}

/** The partners a ticket's intake works with, handed in by the registries (`api/index.ts`). */
export interface TicketPartners<Db> {
  care: TicketCare<Db>;
  dealer: TicketDealer<Db>;
}
