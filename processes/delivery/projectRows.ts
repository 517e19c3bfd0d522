/**
 * The project tables' rows: their shapes, how a record is read from a row, and how a value is checked
 * before ./repository.ts writes it (bad input is a RangeError, which the activities make non-retryable).
 */
import { NotFoundError } from '../../platform/db/errors';
import { storedWords, words } from '../../domain/words';
import { fromJson, toBool, toDate, toRequiredDate } from '../../platform/db/mapping';
import { fromLegacyAmount, type Money } from '../../domain/money';
import { PROJECT_STAGES, type DoaDamageCause, type DoaStatus, type ProjectStage } from './rules';
import type { Locale, Person } from './messages';
import type { DoaCase, Project, ProjectEvent, ProjectPatch, ProjectTrialIssue } from './projectRecords';

export interface ProjectRow {
  id: number;
  customer_id: number;
  contract_id: number;
  contract_no: string;
  name: string;
  pm_name: string;
  pm_email: string;
  pm_locale: Locale | null;
  project_manager_user_id: number | null;
  service_manager_name: string | null;
  service_manager_email: string | null;
  service_manager_locale: Locale | null;
  stage: ProjectStage;
  workflow_id: string | null;
  installation_completed_at: unknown;
  initial_accepted_at: unknown;
  trial_started_at: unknown;
  trial_ends_at: unknown;
  trial_extensions: unknown;
  final_accepted_at: unknown;
  quality_score: unknown;
  warranty_starts_at: unknown;
  warranty_ends_at: unknown;
  completed_at: unknown;
  cancel_reason: string | null;
  created_at: unknown;
  updated_at: unknown;
}

export interface EventRow {
  id: number;
  project_id: number;
  event_key: string;
  kind: string;
  at: unknown;
  actor_user_id: number | null;
  actor_name: string | null;
  actor_role: string | null;
  summary: string;
  words?: unknown;
  data: unknown;
}

export interface TrialIssueRow {
  id: number;
  project_id: number;
  issue_key: string;
  title: string;
  description: string | null;
  round: unknown;
  logged_at: unknown;
  resolved_at: unknown;
  resolution: string | null;
}

export interface DoaCaseRow {
  id: number;
  project_id: number;
  serial: string;
  status: DoaStatus;
  cause: DoaDamageCause;
  damage_description: string;
  exclusion: string | null;
  ship_by: unknown;
  shipped_at: unknown;
  replacement_serial: string | null;
  received_at: unknown;
  return_due: unknown;
  returned_at: unknown;
  return_acceptable: unknown;
  charged_amount_minor: unknown;
  charged_currency: string | null;
  updated_at: unknown;
}

export type Columns = Record<string, unknown>;

export const PATCH_INSTANTS = {
  installationCompletedAt: 'installation_completed_at',
  initialAcceptedAt: 'initial_accepted_at',
  trialStartedAt: 'trial_started_at',
  trialEndsAt: 'trial_ends_at',
  finalAcceptedAt: 'final_accepted_at',
  warrantyStartsAt: 'warranty_starts_at',
  warrantyEndsAt: 'warranty_ends_at',
  completedAt: 'completed_at',
} as const;

export const DOA_INSTANTS = {
  shipBy: 'ship_by',
  shippedAt: 'shipped_at',
  receivedAt: 'received_at',
  returnDue: 'return_due',
  returnedAt: 'returned_at',
} as const;

/** Indexed key columns are VARCHAR(191) or shorter; SQLite would store a longer key that MySQL rejects. */
export const KEY_LENGTH = { eventKey: 191, issueKey: 64, serial: 191 } as const;

/** Every DoaStatus, checked by the compiler against domain/delivery.ts. */
export const DOA_STATUSES = Object.keys({
  excluded: true,
  awaiting_shipment: true,
  awaiting_receipt: true,
  awaiting_return: true,
  returned: true,
  charged: true,
  cancelled: true,
} satisfies Record<DoaStatus, true>);

// --- Input parsing: bad input is a RangeError (the activities make it non-retryable) ------------

/** An instant from an ISO-8601 string, a Date or epoch milliseconds. */
export function parseInstant(value: unknown, field: string): Date {
  const date = value instanceof Date ? new Date(value.getTime()) : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw new RangeError(`${field} must be an ISO-8601 instant, got ${JSON.stringify(value)}`);
  return date;
}

export function nullableInstant(value: unknown, field: string): Date | null {
  return value === null ? null : parseInstant(value, field);
}

export function requireKey(value: unknown, field: keyof typeof KEY_LENGTH): string {
  const key = typeof value === 'string' ? value.trim() : '';
  if (key === '' || key.length > KEY_LENGTH[field]) throw new RangeError(`${field} must be 1 to ${KEY_LENGTH[field]} characters, got ${JSON.stringify(value)}`);
  return key;
}

export function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function nullableText(value: unknown, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw new RangeError(`${field} must be a string or null, got ${JSON.stringify(value)}`);
  return value;
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly string[]): T {
  if (typeof value !== 'string' || !allowed.includes(value)) throw new RangeError(`${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export function requireText(value: unknown, field: string, maxLength = Infinity): string {
  if (typeof value !== 'string' || value.length > maxLength) {
    const limit = Number.isFinite(maxLength) ? ` of at most ${maxLength} characters` : '';
    throw new RangeError(`${field} must be a string${limit}, got ${JSON.stringify(value)?.slice(0, 100)}`);
  }
  return value;
}

export function isStage(value: unknown): value is ProjectStage {
  return typeof value === 'string' && (PROJECT_STAGES as readonly string[]).includes(value);
}

/** The columns a patch sets. Keys it does not know and values left undefined are ignored. */
export function patchColumns(patch: ProjectPatch | Record<string, unknown>): Columns {
  const input = patch as Record<string, unknown>;
  const columns: Columns = {};
  if (input.stage !== undefined) {
    if (!isStage(input.stage)) throw new RangeError(`stage must be one of ${PROJECT_STAGES.join(', ')}, got ${JSON.stringify(input.stage)}`);
    columns.stage = input.stage;
  }
  for (const [field, column] of Object.entries(PATCH_INSTANTS)) {
    if (input[field] !== undefined) columns[column] = nullableInstant(input[field], field);
  }
  if (input.trialExtensions !== undefined) columns.trial_extensions = integerIn(input.trialExtensions, 'trialExtensions', 0, 1_000);
  if (input.qualityScore !== undefined) columns.quality_score = input.qualityScore === null ? null : integerIn(input.qualityScore, 'qualityScore', 0, 100);
  if (input.cancelReason !== undefined) columns.cancel_reason = nullableText(input.cancelReason, 'cancelReason');
  return columns;
}

// --- Row ↔ domain -------------------------------------------------------------------------------

export function person(name: string, email: string, locale: Locale | null): Person {
  return locale ? { name, email, locale } : { name, email };
}

export function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function toProject(row: ProjectRow): Project {
  return {
    id: Number(row.id),
    customerId: Number(row.customer_id),
    contractId: Number(row.contract_id),
    contractNo: row.contract_no,
    name: row.name,
    projectManager: person(row.pm_name, row.pm_email, row.pm_locale),
    projectManagerUserId: nullableNumber(row.project_manager_user_id),
    serviceManager:
      row.service_manager_name !== null && row.service_manager_email !== null
        ? person(row.service_manager_name, row.service_manager_email, row.service_manager_locale)
        : null,
    stage: row.stage,
    workflowId: row.workflow_id,
    installationCompletedAt: toDate(row.installation_completed_at),
    initialAcceptedAt: toDate(row.initial_accepted_at),
    trialStartedAt: toDate(row.trial_started_at),
    trialEndsAt: toDate(row.trial_ends_at),
    trialExtensions: Number(row.trial_extensions),
    finalAcceptedAt: toDate(row.final_accepted_at),
    qualityScore: nullableNumber(row.quality_score),
    warrantyStartsAt: toDate(row.warranty_starts_at),
    warrantyEndsAt: toDate(row.warranty_ends_at),
    completedAt: toDate(row.completed_at),
    cancelReason: row.cancel_reason,
    createdAt: toRequiredDate(row.created_at),
    updatedAt: toRequiredDate(row.updated_at),
  };
}

export function toEvent(row: EventRow): ProjectEvent {
  const hasActor = row.actor_user_id !== null || row.actor_name !== null || row.actor_role !== null;
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    eventKey: row.event_key,
    kind: row.kind,
    at: toRequiredDate(row.at),
    actor: hasActor ? { userId: Number(row.actor_user_id), name: row.actor_name ?? '', role: row.actor_role ?? '' } : null,
    summary: row.summary,
    words: storedWords(row.words),
    data: row.data === null || row.data === undefined ? null : fromJson<unknown>(row.data),
  };
}

export function toTrialIssue(row: TrialIssueRow): ProjectTrialIssue {
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    issueKey: row.issue_key,
    title: row.title,
    description: row.description,
    round: Number(row.round),
    loggedAt: toRequiredDate(row.logged_at),
    resolvedAt: toDate(row.resolved_at),
    resolution: row.resolution,
  };
}

export function toDoaCase(row: DoaCaseRow): DoaCase {
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    serial: row.serial,
    status: row.status,
    cause: row.cause,
    damageDescription: row.damage_description,
    exclusion: row.exclusion,
    shipBy: toDate(row.ship_by),
    shippedAt: toDate(row.shipped_at),
    replacementSerial: row.replacement_serial,
    receivedAt: toDate(row.received_at),
    returnDue: toDate(row.return_due),
    returnedAt: toDate(row.returned_at),
    returnAcceptable: row.return_acceptable === null || row.return_acceptable === undefined ? null : toBool(row.return_acceptable),
    chargedAmount: row.charged_amount_minor === null || row.charged_amount_minor === undefined || !row.charged_currency ? null : { amount: Number(row.charged_amount_minor), currency: row.charged_currency },
    updatedAt: toRequiredDate(row.updated_at),
  };
}

/** Whether a stored value (as either driver returns it) already equals the value we would write. */
export function sameValue(stored: unknown, wanted: unknown): boolean {
  if (wanted === null || wanted === undefined) return stored === null || stored === undefined;
  if (stored === null || stored === undefined) return false;
  if (wanted instanceof Date) return toDate(stored)?.getTime() === wanted.getTime();
  if (typeof wanted === 'boolean') return toBool(stored) === wanted;
  if (typeof wanted === 'number') return Number(stored) === wanted;
  return stored === wanted;
}

export function changedColumns(row: Columns, wanted: Columns): Columns {
  return Object.fromEntries(Object.entries(wanted).filter(([column, value]) => !sameValue(row[column], value)));
}

export function projectNotFound(id: number): NotFoundError {
  return new NotFoundError(words('refusal.project.notFound', { id }), { projectId: id });
}

/** BIGINT minor units and the currency; a plain number is a charge recorded before money had a currency (CNY). */
export function chargedMoney(amount: unknown): Money {
  const charged = fromLegacyAmount(amount);
  if (!charged) throw new RangeError(`chargedAmount must be {amount: integer minor units, currency: ISO-4217 code}, got ${JSON.stringify(amount)}`);
  return charged;
}
