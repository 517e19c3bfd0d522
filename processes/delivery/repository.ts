import type { Knex } from 'knex';
import type { Scope } from '../../domain/access';
import { whereInScope, type ScopeColumns } from '../../platform/db/scope';
import { normalizeContractNo } from '../../installedBase/contracts';
import { DOA_DAMAGE_CAUSES, PROJECT_STAGES, type DoaDamageCause, type DoaStatus, type ProjectStage } from './rules';
import type { DoaState, Locale, Person, TrialIssue } from './messages';
import { ConflictError, isForeignKeyViolation, isUniqueViolation, NotFoundError } from '../../platform/db/errors';
import { insertedId, toJson } from '../../platform/db/mapping';
import { words } from '../../domain/words';

/**
 * Projects (PRODUCT §P1) as the projectDelivery workflow leaves them on record: the project row
 * with its milestones, the timeline, trial-run issues and DOA cases (§P2).
 *
 * Every write the workflows' activities make is safe to repeat: events are keyed by
 * (project, event key), issues by (project, issue key), DOA cases by (project, serial), and rows
 * are only written where a value differs, so a retried activity changes nothing.
 */

export type { DoaCase, DoaDamage, NewProject, NewProjectEvent, Project, ProjectEvent, ProjectPatch, ProjectTrialIssue } from './projectRecords';
export { parseInstant } from './projectRows';
import {
  changedColumns,
  chargedMoney,
  DOA_INSTANTS,
  DOA_STATUSES,
  integerIn,
  isStage,
  nullableInstant,
  nullableText,
  oneOf,
  parseInstant,
  patchColumns,
  person,
  projectNotFound,
  requireKey,
  requireText,
  toDoaCase,
  toEvent,
  toProject,
  toTrialIssue,
  type ProjectRow,
  type EventRow,
  type TrialIssueRow,
  type DoaCaseRow,
  type Columns,
} from './projectRows';
import type { DoaCase, DoaDamage, NewProject, NewProjectEvent, Project, ProjectEvent, ProjectPatch, ProjectTrialIssue } from './projectRecords';

/** How a project row belongs to someone, for access scopes. Projects are sold direct: no dealer. */
export const PROJECT_SCOPE_COLUMNS: ScopeColumns = { customer: 'customer_id', manager: 'project_manager_user_id' };

export interface ProjectListFilter {
  stage?: ProjectStage;
  /** Only the projects this scope admits (domain/access.ts); `ALL_ROWS` for every project. */
  scope: Scope;
  limit?: number;
  offset?: number;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

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
      throw new NotFoundError(words('refusal.project.contractNotFound', { contractId: input.contractId, customerId: input.customerId }), { customerId: input.customerId, contractId: input.contractId });
    }
    if (contract.contract_no !== contractNo) {
      throw new ConflictError(words('refusal.project.contractNumberDiffers', { contractId: input.contractId, stored: contract.contract_no, contractNo }), { contractId: input.contractId, contractNo });
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
      if (isUniqueViolation(error)) throw new ConflictError(words('refusal.project.contractTaken', { contractNo }), { contractNo }, { cause: error });
      // The contract was deleted since the check above.
      if (isForeignKeyViolation(error)) throw new NotFoundError(words('refusal.project.contractNotFound', { contractId: input.contractId, customerId: input.customerId }), { customerId: input.customerId, contractId: input.contractId });
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
        words: event.words ? JSON.stringify(event.words) : null,
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
