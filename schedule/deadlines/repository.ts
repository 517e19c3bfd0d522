import { storedWords, type Words } from '../../domain/words';
import type { Knex } from 'knex';
import type { Scope } from '../../domain/access';
import { noteTicketFigures } from '../../platform/db/keptFigures';
import { toBool, toDate, toRequiredDate } from '../../platform/db/mapping';
import { isMysql } from '../../platform/db/knex';
import { whereInScope, type ScopeColumns } from '../../platform/db/scope';

/**
 * Every pending deadline of every process, one row each (PRODUCT: nothing is forgotten). Workflows
 * open a row when they set a deadline and close it when it is met, moved or dropped; pages and work
 * queues read these rows instead of asking running workflows. Writes are keyed by (workflow, key)
 * and only change what differs, so a retried activity changes nothing.
 *
 * A ticket's clock rows (record_type 'ticket') are part of its KPI figures: every write notes the
 * tickets of the rows it writes (platform/db/keptFigures.ts) in its transaction.
 */

export type DeadlineStatus = 'open' | 'met' | 'moved' | 'dropped';

export interface Deadline {
  id: number;
  workflowId: string;
  key: string;
  recordType: string;
  recordId: number;
  kind: string;
  /** English, for exports and logs; what a reader sees is `words` in their language when the row has them. */
  description: string;
  words: Words | null;
  dueAt: Date;
  lastRung: string | null;
  provisional: boolean;
  status: DeadlineStatus;
  openedAt: Date;
  closedAt: Date | null;
}

export interface OpenDeadline {
  workflowId: string;
  key: string;
  recordType: string;
  recordId: number;
  kind: string;
  description: string;
  words?: Words;
  dueAt: Date;
  provisional?: boolean;
}

export interface DeadlineFilter {
  recordType?: string;
  recordIds?: number[];
  kind?: string;
  /** Open deadlines due before this instant (overdue: now; due this week: the week's end). */
  dueBefore?: Date;
  /** …and due at or after this one (due today: from now to the day's end). */
  dueFrom?: Date;
  /** Only rows whose ladder reached one of these rungs (escalation, breach…). */
  lastRungs?: string[];
  /** Only rows whose ladder reached some rung (a reminder or warning went out). */
  rungReached?: boolean;
  /** Latest due first (newest escalations first) instead of soonest first. */
  latestFirst?: boolean;
  limit?: number;
  offset?: number;
  /**
   * Only the deadlines of records the caller may read: one entry per record type (the table its
   * record_id points into, how that table's rows belong to someone, and the caller's scope there).
   * Record types not listed are left out. Absent: every deadline.
   */
  readable?: ReadableRecords[];
}

/** A kind of record whose deadlines a caller may read, and how to tell which (see DeadlineFilter.readable). */
export interface ReadableRecords {
  recordType: string;
  /** The records' table; or `source`, a query whose rows carry `id` and the scope columns (several rows per record allowed). */
  table: string;
  source?: (knex: Knex) => Knex.QueryBuilder;
  columns: ScopeColumns;
  scope: Scope;
}

/** Record types of the dealer-warranty deadlines and the tables (with dealer_id) they point into. */
export const DEALER_DEADLINE_TABLES = { claim: 'claims', dealer_sale: 'dealer_sales', dealer_task: 'dealer_tasks', settlement: 'settlements', parts_plan: 'parts_plans' } as const;
export type DealerRecordType = keyof typeof DEALER_DEADLINE_TABLES;

type Row = Record<string, unknown>;

function fromRow(row: Row): Deadline {
  return {
    id: Number(row.id),
    workflowId: String(row.workflow_id),
    key: String(row.deadline_key),
    recordType: String(row.record_type),
    recordId: Number(row.record_id),
    kind: String(row.kind),
    description: String(row.description),
    words: storedWords(row.words),
    dueAt: toRequiredDate(row.due_at),
    lastRung: (row.last_rung as string | null) ?? null,
    provisional: toBool(row.provisional),
    status: row.status as DeadlineStatus,
    openedAt: toRequiredDate(row.opened_at),
    closedAt: toDate(row.closed_at),
  };
}

export class DeadlinesRepository {
  constructor(private readonly knex: Knex) {}

  /** Opens the deadline, or moves an open one to its new due time (a recomputed calendar, an extension). */
  async open(input: OpenDeadline, now: Date): Promise<void> {
    const values = {
      record_type: input.recordType,
      record_id: input.recordId,
      kind: input.kind,
      description: input.description.slice(0, 500),
      words: input.words ? JSON.stringify(input.words) : null,
      due_at: input.dueAt,
      provisional: input.provisional ?? false,
    };
    const key = { workflow_id: input.workflowId, deadline_key: input.key };
    await this.knex.transaction(async (trx) => {
      const existing = (await trx('deadlines').where(key).first()) as Row | undefined;
      if (!existing) {
        await trx('deadlines')
          .insert({ ...key, ...values, status: 'open', opened_at: now })
          .onConflict(['workflow_id', 'deadline_key'])
          .ignore();
        if (input.recordType === 'ticket') await noteTicketFigures(trx, [input.recordId]);
        return;
      }
      const current = fromRow(existing);
      if (current.status !== 'open') return;
      if (current.dueAt.getTime() === input.dueAt.getTime() && current.provisional === values.provisional && current.description === values.description && JSON.stringify(current.words) === (values.words ?? 'null')) return;
      await trx('deadlines').where(key).update(values);
      await noteTicketFigures(trx, [current, { recordType: input.recordType, recordId: input.recordId }].filter((r) => r.recordType === 'ticket').map((r) => r.recordId));
    });
  }

  /** The rung of the ladder that fired last (reminder, second_reminder, escalation). */
  async markRung(workflowId: string, key: string, rung: string): Promise<void> {
    await this.updateNoting({ workflow_id: workflowId, deadline_key: key, status: 'open' }, { last_rung: rung });
  }

  /** Closes an open deadline; a closed one stays as it was closed. */
  async close(workflowId: string, key: string, status: Exclude<DeadlineStatus, 'open'>, now: Date): Promise<void> {
    await this.updateNoting({ workflow_id: workflowId, deadline_key: key, status: 'open' }, { status, closed_at: now });
  }

  /** Closes every open deadline of a workflow (it ended or was cancelled). */
  async closeAll(workflowId: string, status: Exclude<DeadlineStatus, 'open'>, now: Date): Promise<void> {
    await this.updateNoting({ workflow_id: workflowId, status: 'open' }, { status, closed_at: now });
  }

  /** Closes every open deadline of a record, whichever of its workflows set it (a project cancelled with its DOA cases). */
  async closeAllOfRecord(recordType: string, recordId: number, status: Exclude<DeadlineStatus, 'open'>, now: Date): Promise<void> {
    await this.updateNoting({ record_type: recordType, record_id: recordId, status: 'open' }, { status, closed_at: now });
  }

  /** Updates the rows `where` selects, noting the tickets whose clock rows they are, in one transaction. */
  private async updateNoting(where: Row, values: Row): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const tickets = (await trx('deadlines').where(where).where({ record_type: 'ticket' }).pluck('record_id')) as unknown[];
      await trx('deadlines').where(where).update(values);
      await noteTicketFigures(trx, tickets.map(Number));
    });
  }

  /** Open deadlines, soonest first. */
  async listOpen(filter: DeadlineFilter = {}): Promise<Deadline[]> {
    const direction = filter.latestFirst ? 'desc' : 'asc';
    const order = [{ column: 'due_at', order: direction }, { column: 'id', order: direction }];
    const limit = filter.limit ?? 500;
    const offset = filter.offset ?? 0;
    const readable = filter.readable?.filter((r) => r.scope.kind !== 'none');
    if (!readable || readable.length < 2) return ((await this.openQuery(filter).orderBy(order).limit(limit).offset(offset)) as Row[]).map(fromRow);
    // A person who reads several kinds of record: each kind's first rows in due order from the
    // (status, record_type, due_at, id) index, then merged. One query over all kinds walks every open
    // deadline of every kind in due order to find, say, a project manager's few (migration 0025).
    const branch = (records: ReadableRecords, i: number) => this.knex.select('*').from(this.openQuery({ ...filter, readable: [records] }).orderBy(order).limit(limit + offset).as(`b${i}`));
    let union = branch(readable[0]!, 0);
    for (const [i, records] of readable.slice(1).entries()) union = union.unionAll(branch(records, i + 1));
    return ((await this.knex.select('*').from(union.as('u')).orderBy(order).limit(limit).offset(offset)) as Row[]).map(fromRow);
  }

  /** How many open deadlines match (limit and offset aside). */
  async countOpen(filter: DeadlineFilter = {}): Promise<number> {
    const row = (await this.openQuery(filter).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /**
   * How many open deadlines match each of several filters (due and rung conditions only), within
   * what `common` admits: one pass over the rows instead of one count per filter (a person's home
   * counts five sections).
   */
  async countOpenEach<K extends string>(common: DeadlineFilter, filters: Record<K, Pick<DeadlineFilter, 'dueBefore' | 'dueFrom' | 'lastRungs' | 'rungReached'>>): Promise<Record<K, number>> {
    const keys = Object.keys(filters) as K[];
    const sums = keys.map((key, i) => {
      const filter = filters[key];
      const conditions: string[] = [];
      const bindings: unknown[] = [];
      const when = (sql: string, ...values: unknown[]) => {
        conditions.push(sql);
        bindings.push(...values);
      };
      if (filter.dueBefore) when('due_at < ?', filter.dueBefore);
      if (filter.dueFrom) when('due_at >= ?', filter.dueFrom);
      if (filter.lastRungs) when(filter.lastRungs.length === 0 ? '1 = 0' : `last_rung IN (${filter.lastRungs.map(() => '?').join(', ')})`, ...filter.lastRungs);
      if (filter.rungReached) when('last_rung IS NOT NULL');
      return this.knex.raw(`SUM(CASE WHEN ${conditions.join(' AND ') || '1 = 1'} THEN 1 ELSE 0 END) AS ??`, [...bindings, `n${i}`] as Knex.RawBinding[]);
    });
    const row = (await this.openQuery(common).first(sums)) as Record<string, number | string | null> | undefined;
    return Object.fromEntries(keys.map((key, i) => [key, Number(row?.[`n${i}`] ?? 0)])) as Record<K, number>;
  }

  private openQuery(filter: DeadlineFilter): Knex.QueryBuilder {
    // Rows by rung (a person's escalations): MariaDB would walk every open deadline in due order to
    // find none; the rung index finds the few (migration 0023). SQLite picks it by itself.
    const table = filter.lastRungs && isMysql(this.knex) ? this.knex.raw('?? FORCE INDEX (??)', ['deadlines', 'deadlines_open_rung_idx']) : 'deadlines';
    let query = this.knex.from(table).where({ status: 'open' });
    if (filter.recordType) query = query.andWhere('record_type', filter.recordType);
    if (filter.recordIds) query = query.whereIn('record_id', filter.recordIds);
    if (filter.kind) query = query.andWhere('kind', filter.kind);
    if (filter.dueBefore) query = query.andWhere('due_at', '<', filter.dueBefore);
    if (filter.dueFrom) query = query.andWhere('due_at', '>=', filter.dueFrom);
    if (filter.lastRungs) query = query.whereIn('last_rung', filter.lastRungs);
    if (filter.rungReached) query = query.whereNotNull('last_rung');
    if (filter.readable) {
      const readable = filter.readable.filter((r) => r.scope.kind !== 'none');
      query = query.andWhere((any) => {
        void any.whereRaw('1 = 0');
        for (const records of readable) {
          void any.orWhere((q) => {
            void q.where('record_type', records.recordType);
            const rows: Knex.QueryBuilder = records.source ? this.knex.from(records.source(this.knex).as('reach')) : this.knex(records.table);
            if (records.scope.kind !== 'all') void q.whereIn('record_id', whereInScope(rows.select('id'), records.scope, records.columns));
          });
        }
      });
    }
    return query;
  }

  async forRecord(recordType: string, recordId: number): Promise<Deadline[]> {
    return this.listOpen({ recordType, recordIds: [recordId] });
  }
}
