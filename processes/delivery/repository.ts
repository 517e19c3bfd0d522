import type { Knex } from 'knex';
import type { Scope } from '../../domain/access';
import { whereInScope, type ScopeColumns } from '../../platform/db/scope';
import { normalizeContractNo } from '../../installedBase/contracts';
import { fromLegacyAmount, type Money } from '../../domain/money';
import { DOA_DAMAGE_CAUSES, PROJECT_STAGES, type DoaDamageCause, type DoaStatus, type ProjectStage } from './rules';
import type { Actor, DoaState, Locale, Person, TrialIssue } from './messages';
import { ConflictError, isForeignKeyViolation, isUniqueViolation, NotFoundError } from '../../platform/db/errors';
import { fromJson, insertedId, toBool, toDate, toJson, toRequiredDate } from '../../platform/db/mapping';

/**
 * Projects (PRODUCT §P1) as the projectDelivery workflow leaves them on record: the project row
 * with its milestones, the timeline, trial-run issues and DOA cases (§P2).
 *
 * Every write the workflows' activities make is safe to repeat: events are keyed by
 * (project, event key), issues by (project, issue key), DOA cases by (project, serial), and rows
 * are only written where a value differs, so a retried activity changes nothing.
 */

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
  summary: string;
  data?: unknown;
}

export interface ProjectEvent {
  id: number;
  projectId: number;
  eventKey: string;
  kind: string;
  at: Date;
  actor: Actor | null;
  summary: string;
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

/** How a project row belongs to someone, for access scopes. Projects are sold direct: no dealer. */
export const PROJECT_SCOPE_COLUMNS: ScopeColumns = { customer: 'customer_id', manager: 'project_manager_user_id' };

export interface ProjectListFilter {
  stage?: ProjectStage;
  /** Only the projects this scope admits (domain/access.ts); `ALL_ROWS` for every project. */
  scope: Scope;
  limit?: number;
  offset?: number;
}

interface ProjectRow {
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

interface EventRow {
  id: number;
  project_id: number;
  event_key: string;
  kind: string;
  at: unknown;
  actor_user_id: number | null;
  actor_name: string | null;
  actor_role: string | null;
  summary: string;
  data: unknown;
}

interface TrialIssueRow {
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

interface DoaCaseRow {
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

type Columns = Record<string, unknown>;

const PATCH_INSTANTS = {
  installationCompletedAt: 'installation_completed_at',
  initialAcceptedAt: 'initial_accepted_at',
  trialStartedAt: 'trial_started_at',
  trialEndsAt: 'trial_ends_at',
  finalAcceptedAt: 'final_accepted_at',
  warrantyStartsAt: 'warranty_starts_at',
  warrantyEndsAt: 'warranty_ends_at',
  completedAt: 'completed_at',
} as const;

const DOA_INSTANTS = {
  shipBy: 'ship_by',
  shippedAt: 'shipped_at',
  receivedAt: 'received_at',
  returnDue: 'return_due',
  returnedAt: 'returned_at',
} as const;

/** Indexed key columns are VARCHAR(191) or shorter; SQLite would store a longer key that MySQL rejects. */
const KEY_LENGTH = { eventKey: 191, issueKey: 64, serial: 191 } as const;

/** Every DoaStatus, checked by the compiler against domain/delivery.ts. */
const DOA_STATUSES = Object.keys({
  excluded: true,
  awaiting_shipment: true,
  awaiting_receipt: true,
  awaiting_return: true,
  returned: true,
  charged: true,
  cancelled: true,
} satisfies Record<DoaStatus, true>);

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

// --- Input parsing: bad input is a RangeError (the activities make it non-retryable) ------------

/** An instant from an ISO-8601 string, a Date or epoch milliseconds. */
export function parseInstant(value: unknown, field: string): Date {
  const date = value instanceof Date ? new Date(value.getTime()) : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) throw new RangeError(`${field} must be an ISO-8601 instant, got ${JSON.stringify(value)}`);
  return date;
}

function nullableInstant(value: unknown, field: string): Date | null {
  return value === null ? null : parseInstant(value, field);
}

function requireKey(value: unknown, field: keyof typeof KEY_LENGTH): string {
  const key = typeof value === 'string' ? value.trim() : '';
  if (key === '' || key.length > KEY_LENGTH[field]) throw new RangeError(`${field} must be 1 to ${KEY_LENGTH[field]} characters, got ${JSON.stringify(value)}`);
  return key;
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nullableText(value: unknown, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw new RangeError(`${field} must be a string or null, got ${JSON.stringify(value)}`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly string[]): T {
  if (typeof value !== 'string' || !allowed.includes(value)) throw new RangeError(`${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function requireText(value: unknown, field: string, maxLength = Infinity): string {
  if (typeof value !== 'string' || value.length > maxLength) {
    const limit = Number.isFinite(maxLength) ? ` of at most ${maxLength} characters` : '';
    throw new RangeError(`${field} must be a string${limit}, got ${JSON.stringify(value)?.slice(0, 100)}`);
  }
  return value;
}

function isStage(value: unknown): value is ProjectStage {
  return typeof value === 'string' && (PROJECT_STAGES as readonly string[]).includes(value);
}

/** The columns a patch sets. Keys it does not know and values left undefined are ignored. */
function patchColumns(patch: ProjectPatch | Record<string, unknown>): Columns {
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

function person(name: string, email: string, locale: Locale | null): Person {
  return locale ? { name, email, locale } : { name, email };
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toProject(row: ProjectRow): Project {
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

function toEvent(row: EventRow): ProjectEvent {
  const hasActor = row.actor_user_id !== null || row.actor_name !== null || row.actor_role !== null;
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    eventKey: row.event_key,
    kind: row.kind,
    at: toRequiredDate(row.at),
    actor: hasActor ? { userId: Number(row.actor_user_id), name: row.actor_name ?? '', role: row.actor_role ?? '' } : null,
    summary: row.summary,
    data: row.data === null || row.data === undefined ? null : fromJson<unknown>(row.data),
  };
}

function toTrialIssue(row: TrialIssueRow): ProjectTrialIssue {
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

function toDoaCase(row: DoaCaseRow): DoaCase {
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
function sameValue(stored: unknown, wanted: unknown): boolean {
  if (wanted === null || wanted === undefined) return stored === null || stored === undefined;
  if (stored === null || stored === undefined) return false;
  if (wanted instanceof Date) return toDate(stored)?.getTime() === wanted.getTime();
  if (typeof wanted === 'boolean') return toBool(stored) === wanted;
  if (typeof wanted === 'number') return Number(stored) === wanted;
  return stored === wanted;
}

function changedColumns(row: Columns, wanted: Columns): Columns {
  return Object.fromEntries(Object.entries(wanted).filter(([column, value]) => !sameValue(row[column], value)));
}

function projectNotFound(id: number): NotFoundError {
  return new NotFoundError(`Project ${id} not found`, { projectId: id });
}

/** Contract numbers match exactly (binary collation on MySQL); stray whitespace is never part of one. */
export class ProjectsRepository {
  constructor(private readonly db: Knex) {}

  /**
   * ConflictError when the contract already has a project or its number differs from `contractNo`;
   * NotFoundError when the customer or contract is unknown, or the contract is another customer's.
   */
  async create(input: NewProject, now: Date = new Date()): Promise<Project> {
    const contractNo = normalizeContractNo(input.contractNo);
    if (!isStage(input.stage)) throw new RangeError(`stage must be one of ${PROJECT_STAGES.join(', ')}, got ${JSON.stringify(input.stage)}`);
    const contract = (await this.db('contracts').where({ id: input.contractId }).first('customer_id', 'contract_no')) as
      | { customer_id: number; contract_no: string }
      | undefined;
    if (!contract || Number(contract.customer_id) !== input.customerId) {
      throw new NotFoundError(`Contract ${input.contractId} not found for customer ${input.customerId}`, { customerId: input.customerId, contractId: input.contractId });
    }
    if (contract.contract_no !== contractNo) {
      throw new ConflictError(`Contract ${input.contractId} is ${contract.contract_no}, not ${contractNo}`, { contractId: input.contractId, contractNo });
    }
    const serviceManager = input.serviceManager ?? null;
    try {
      const id = insertedId(
        await this.db('projects').insert({
          customer_id: input.customerId,
          contract_id: input.contractId,
          contract_no: contractNo,
          name: input.name,
          pm_name: input.projectManager.name,
          pm_email: input.projectManager.email,
          pm_locale: input.projectManager.locale ?? null,
          service_manager_name: serviceManager?.name ?? null,
          service_manager_email: serviceManager?.email ?? null,
          service_manager_locale: serviceManager?.locale ?? null,
          stage: input.stage,
          workflow_id: input.workflowId ?? null,
          trial_extensions: 0,
          created_at: now,
          updated_at: now,
        }),
      );
      return await this.require(id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A project for contract ${contractNo} already exists`, { contractNo }, { cause: error });
      // The contract was deleted since the check above.
      if (isForeignKeyViolation(error)) throw new NotFoundError(`Contract ${input.contractId} not found for customer ${input.customerId}`, { customerId: input.customerId, contractId: input.contractId });
      throw error;
    }
  }

  async setWorkflowId(id: number, workflowId: string, now: Date = new Date()): Promise<Project> {
    const project = await this.require(id);
    if (project.workflowId === workflowId) return project;
    await this.db('projects').where({ id }).update({ workflow_id: workflowId, updated_at: now });
    return this.require(id);
  }

  async get(id: number): Promise<Project | null> {
    const row = (await this.db('projects').where({ id }).first()) as ProjectRow | undefined;
    return row ? toProject(row) : null;
  }

  async getByContractNo(contractNo: string): Promise<Project | null> {
    const row = (await this.db('projects').where({ contract_no: normalizeContractNo(contractNo) }).first()) as ProjectRow | undefined;
    return row ? toProject(row) : null;
  }

  /** Oldest first; at most 1000 a page (100 unless asked). */
  async list(filter: ProjectListFilter): Promise<Project[]> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? DEFAULT_PAGE), 1), MAX_PAGE);
    const offset = Math.max(Math.trunc(filter.offset ?? 0), 0);
    const query = this.db('projects').orderBy('id').limit(limit).offset(offset);
    if (filter.stage) query.where({ stage: filter.stage });
    whereInScope(query, filter.scope, PROJECT_SCOPE_COLUMNS);
    return ((await query) as ProjectRow[]).map(toProject);
  }

  /**
   * Writes the patched fields that differ from the row (and then updated_at), so applying the same
   * patch again changes nothing. RangeError for a malformed value; NotFoundError for an unknown project.
   */
  async applyPatch(projectId: number, patch: ProjectPatch | Record<string, unknown>, now: Date = new Date()): Promise<Project> {
    const wanted = patchColumns(patch);
    const row = (await this.db('projects').where({ id: projectId }).first()) as ProjectRow | undefined;
    if (!row) throw projectNotFound(projectId);
    const changes = changedColumns(row as unknown as Columns, wanted);
    if (Object.keys(changes).length === 0) return toProject(row);
    await this.db('projects').where({ id: projectId }).update({ ...changes, updated_at: now });
    return this.require(projectId);
  }

  /** Records a timeline event once: `inserted` is false when the project already has this event key. */
  async addEvent(projectId: number, event: NewProjectEvent): Promise<{ inserted: boolean }> {
    const eventKey = requireKey(event.eventKey, 'eventKey');
    const at = parseInstant(event.at, 'at');
    try {
      await this.db('project_events').insert({
        project_id: projectId,
        event_key: eventKey,
        kind: requireText(event.kind, 'kind', 64),
        at,
        actor_user_id: event.actor?.userId ?? null,
        actor_name: event.actor?.name ?? null,
        actor_role: event.actor?.role ?? null,
        summary: requireText(event.summary, 'summary'),
        data: event.data === undefined || event.data === null ? null : toJson(event.data),
      });
      return { inserted: true };
    } catch (error) {
      // A failed statement leaves an enclosing transaction usable on MySQL and SQLite alike.
      if (isUniqueViolation(error)) return { inserted: false };
      if (isForeignKeyViolation(error)) throw projectNotFound(projectId);
      throw error;
    }
  }

  /** The project's timeline in the order it happened. */
  async timeline(projectId: number): Promise<ProjectEvent[]> {
    const rows = (await this.db('project_events').where({ project_id: projectId }).orderBy([{ column: 'at' }, { column: 'id' }])) as EventRow[];
    return rows.map(toEvent);
  }

  /**
   * Logs or updates a trial-run issue by its key. Fields the issue leaves out are kept as stored,
   * so a late retry of the logging call never reopens an issue resolved since.
   */
  async upsertTrialIssue(projectId: number, issue: TrialIssue): Promise<ProjectTrialIssue> {
    const issueKey = requireKey(issue.id, 'issueKey');
    const values: Columns = {
      title: requireText(issue.title, 'title', 500),
      round: integerIn(issue.round, 'round', 0, 1_000),
      logged_at: parseInstant(issue.loggedAt, 'loggedAt'),
    };
    if (issue.description !== undefined) values.description = nullableText(issue.description, 'description');
    if (issue.resolvedAt !== undefined) values.resolved_at = nullableInstant(issue.resolvedAt, 'resolvedAt');
    if (issue.resolution !== undefined) values.resolution = nullableText(issue.resolution, 'resolution');
    const key = { project_id: projectId, issue_key: issueKey };
    await this.upsert('trial_issues', key, values, {});
    return toTrialIssue((await this.db('trial_issues').where(key).first()) as TrialIssueRow);
  }

  async trialIssues(projectId: number): Promise<ProjectTrialIssue[]> {
    const rows = (await this.db('trial_issues').where({ project_id: projectId }).orderBy([{ column: 'logged_at' }, { column: 'id' }])) as TrialIssueRow[];
    return rows.map(toTrialIssue);
  }

  /**
   * Saves a DOA case by (project, serial) from the DOA workflow's state. Fields the state leaves
   * out are kept as stored; updated_at moves only when something else changed.
   */
  async upsertDoaCase(projectId: number, input: { damage: DoaDamage; state: DoaState }, now: Date = new Date()): Promise<DoaCase> {
    const { damage, state } = input;
    const serial = requireKey(state.serial, 'serial');
    const values: Columns = {
      status: oneOf<DoaStatus>(state.status, 'status', DOA_STATUSES),
      cause: oneOf<DoaDamageCause>(damage.cause, 'cause', DOA_DAMAGE_CAUSES),
      damage_description: requireText(damage.description, 'damage.description'),
    };
    for (const [field, column] of Object.entries(DOA_INSTANTS)) {
      const value = state[field as keyof typeof DOA_INSTANTS];
      if (value !== undefined) values[column] = nullableInstant(value, field);
    }
    if (state.exclusion !== undefined) values.exclusion = state.exclusion === null ? null : requireText(state.exclusion, 'exclusion', 500);
    if (state.replacementSerial !== undefined) values.replacement_serial = nullableText(state.replacementSerial, 'replacementSerial');
    if (state.returnAcceptable !== undefined) values.return_acceptable = state.returnAcceptable === null ? null : Boolean(state.returnAcceptable);
    if (state.chargedAmount !== undefined) {
      const charged = state.chargedAmount === null ? null : chargedMoney(state.chargedAmount);
      values.charged_amount_minor = charged?.amount ?? null;
      values.charged_currency = charged?.currency ?? null;
    }
    const key = { project_id: projectId, serial };
    await this.upsert('doa_cases', key, values, { updated_at: now });
    return toDoaCase((await this.db('doa_cases').where(key).first()) as DoaCaseRow);
  }

  async doaCases(projectId: number): Promise<DoaCase[]> {
    const rows = (await this.db('doa_cases').where({ project_id: projectId }).orderBy('id')) as DoaCaseRow[];
    return rows.map(toDoaCase);
  }

  /** Escalation recipients when a project names no service manager: every active service manager. */
  async activeServiceManagers(): Promise<Person[]> {
    const rows = (await this.db('users').where({ role: 'service_manager', active: true }).orderBy('id').select('name', 'email', 'locale')) as Array<{
      name: string;
      email: string;
      locale: Locale | null;
    }>;
    return rows.map((row) => person(row.name, row.email, row.locale));
  }

  private async require(id: number): Promise<Project> {
    const project = await this.get(id);
    if (!project) throw projectNotFound(id);
    return project;
  }

  /**
   * Inserts the row for `key`, or writes the columns of `values` that differ from it (with
   * `stamp`). A concurrent insert of the same key falls through to the update.
   */
  private async upsert(table: string, key: { project_id: number } & Columns, values: Columns, stamp: Columns): Promise<void> {
    let row = (await this.db(table).where(key).first()) as (Columns & { id: number }) | undefined;
    if (!row) {
      try {
        await this.db(table).insert({ ...key, ...values, ...stamp });
        return;
      } catch (error) {
        if (isForeignKeyViolation(error)) throw projectNotFound(key.project_id);
        if (!isUniqueViolation(error)) throw error;
        row = (await this.db(table).where(key).first()) as (Columns & { id: number }) | undefined;
        if (!row) throw error;
      }
    }
    const changes = changedColumns(row, values);
    if (Object.keys(changes).length === 0) return;
    await this.db(table).where({ id: row.id }).update({ ...changes, ...stamp });
  }
}

/** BIGINT minor units and the currency; a plain number is a charge recorded before money had a currency (CNY). */
function chargedMoney(amount: unknown): Money {
  const charged = fromLegacyAmount(amount);
  if (!charged) throw new RangeError(`chargedAmount must be {amount: integer minor units, currency: ISO-4217 code}, got ${JSON.stringify(amount)}`);
  return charged;
}
