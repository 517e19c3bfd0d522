import type { Knex } from 'knex';
import { rawRows, secondsBetween } from '../../platform/db/dialect';
import { isDeadlock } from '../../platform/db/errors';
import { isMysql } from '../../platform/db/knex';
import { toRequiredDate } from '../../platform/db/mapping';

/**
 * Each ticket's KPI figures, kept in `ticket_figures` (migration 0026) so that a KPI over a period
 * sums the period's rows instead of computing every ticket's clocks, events and repeat repairs on
 * every read. Triggers note which tickets changed (`ticket_figure_changes`); `catchUp` recomputes
 * those tickets' rows from the records and drops the notes, and every KPI read calls it first, so a
 * figure is never staler than the read.
 *
 * The definitions per ticket (the README's KPI table) are here:
 * - response / repair clocks on time and due: a clock row is due once it stopped (met) or its
 *   breach rung fired on the open row; on time means met without its breach rung having fired;
 * - fixed first time: never reopened (by a step or a low survey), the engineer on site at most
 *   once, and no later ticket recorded as its repeat repair;
 * - parts held: the clock record shows a hold waiting for parts;
 * - the survey scores (the `surveyed` and survey-`reopened` events carry them);
 * - seconds from intake to close, once closed.
 */

/** Clock kinds of the ticket deadline rows (workflows/serviceTicket.ts: `ticket_<clock>`). */
export const RESPONSE_CLOCKS = ['ticket_respond', 'ticket_onSite'] as const;
export const REPAIR_CLOCKS = ['ticket_resolve'] as const;

/** Notes recomputed per transaction: a batch's locks are short, its statement one. */
const BATCH = 500;

export const FIGURE_COLUMNS = [
  'ticket_id',
  'opened_at',
  'kind',
  'model',
  'dealer_id',
  'assignee_user_id',
  'resolved_repair',
  'fixed_first_time',
  'parts_held',
  'response_on_time',
  'response_due',
  'repair_on_time',
  'repair_due',
  'score_total',
  'score_count',
  'closed_seconds',
] as const;

type Row = Record<string, unknown>;

/** One ticket's figures as read back: numbers as numbers and the instant as a Date, whatever the driver. */
export type TicketFigures = Record<(typeof FIGURE_COLUMNS)[number], string | number | Date | null>;

const TEXT_COLUMNS: ReadonlySet<string> = new Set(['kind', 'model']);
function figuresOf(row: Row): TicketFigures {
  return Object.fromEntries(
    FIGURE_COLUMNS.map((column) => {
      const value = row[column];
      if (value === null || value === undefined) return [column, null];
      if (column === 'opened_at') return [column, toRequiredDate(value)];
      return [column, TEXT_COLUMNS.has(column) ? String(value) : Number(value)];
    }),
  ) as TicketFigures;
}

export class TicketFiguresRepository {
  private readonly mysql: boolean;

  constructor(private readonly knex: Knex) {
    this.mysql = isMysql(knex);
  }

  /**
   * Recomputes the figures of every ticket noted as changed, in batches, and drops those notes;
   * answers how many notes it drained. Safe to run concurrently: each batch deletes the figure rows
   * and inserts them again from the records in one transaction, and drops only the notes it read, so
   * a change noted meanwhile stays noted. On MySQL the INSERT … SELECT reads the records with shared
   * locks, so a change committing meanwhile is either seen or waits for the batch (then its note
   * stays for the next catch-up); a deadlock with such a change is retried.
   */
  async catchUp(): Promise<number> {
    let drained = 0;
    for (;;) {
      const notes = (await this.knex('ticket_figure_changes').orderBy('id').limit(BATCH).select('id', 'ticket_id')) as Row[];
      if (notes.length === 0) return drained;
      const ticketIds = [...new Set(notes.map((n) => Number(n.ticket_id)))];
      await this.recompute(
        ticketIds,
        notes.map((n) => Number(n.id)),
      );
      drained += notes.length;
    }
  }

  /** Figures of every ticket computed again from the records (after a definition changes). */
  async rebuild(): Promise<void> {
    await this.knex.raw('INSERT INTO ticket_figure_changes (ticket_id) SELECT id FROM tickets ORDER BY id');
    await this.catchUp();
  }

  /** How many changes wait to be caught up. */
  async pending(): Promise<number> {
    const row = (await this.knex('ticket_figure_changes').count({ n: '*' }).first()) as Row | undefined;
    return Number(row?.n ?? 0);
  }

  /** The figures every ticket has now by the definitions (tests compare the kept rows with them). */
  async computed(): Promise<TicketFigures[]> {
    const source = this.source();
    return (await rawRows(this.knex, `${source.sql} ORDER BY t.id`, source.bindings)).map(figuresOf);
  }

  /** The kept rows, in the same shape. */
  async kept(): Promise<TicketFigures[]> {
    return ((await this.knex('ticket_figures').orderBy('ticket_id').select(...FIGURE_COLUMNS)) as Row[]).map(figuresOf);
  }

  private async recompute(ticketIds: number[], noteIds: number[], attempt = 1): Promise<void> {
    const source = this.source(ticketIds);
    try {
      await this.knex.transaction(async (trx) => {
        await trx('ticket_figures').whereIn('ticket_id', ticketIds).delete();
        // A ticket deleted since its note is not selected, so its figures stay deleted.
        await trx.raw(`INSERT INTO ticket_figures (${FIGURE_COLUMNS.join(', ')}) ${source.sql}`, source.bindings as Knex.RawBinding[]);
        await trx('ticket_figure_changes').whereIn('id', noteIds).delete();
      });
    } catch (error) {
      if (isDeadlock(error) && attempt < 5) return this.recompute(ticketIds, noteIds, attempt + 1);
      throw error;
    }
  }

  /** The figures of the tickets (all when no ids), one row each, in FIGURE_COLUMNS' order. */
  private source(ticketIds?: number[]): { sql: string; bindings: unknown[] } {
    const breached = `COALESCE(dl.last_rung, '') LIKE 'breach%'`;
    const clocks = (kinds: readonly string[], which: 'on_time' | 'due') =>
      `(SELECT COUNT(*) FROM deadlines dl
         WHERE dl.record_type = 'ticket' AND dl.record_id = t.id AND dl.kind IN (${kinds.map((k) => `'${k}'`).join(', ')})
           AND ${which === 'on_time' ? `dl.status = 'met' AND NOT ${breached}` : `(dl.status = 'met' OR (dl.status = 'open' AND ${breached}))`})`;
    const score = this.jsonNumber('e.data', '$.score');
    const surveys = (aggregate: string) => `(SELECT ${aggregate} FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind IN ('surveyed', 'reopened'))`;
    const where = ticketIds ? `WHERE t.id IN (${ticketIds.map(() => '?').join(', ')})` : '';
    return {
      sql: `SELECT t.id AS ticket_id, t.opened_at, t.kind, t.model,
          (SELECT s.dealer_id FROM dealer_sales s WHERE s.device_serial = t.serial) AS dealer_id,
          t.assignee_user_id,
          CASE WHEN t.kind = 'repair' AND t.resolved_at IS NOT NULL THEN 1 ELSE 0 END AS resolved_repair,
          CASE WHEN ${this.firstTimeFixed()} THEN 1 ELSE 0 END AS fixed_first_time,
          CASE WHEN ${this.partsHold()} THEN 1 ELSE 0 END AS parts_held,
          ${clocks(RESPONSE_CLOCKS, 'on_time')} AS response_on_time,
          ${clocks(RESPONSE_CLOCKS, 'due')} AS response_due,
          ${clocks(REPAIR_CLOCKS, 'on_time')} AS repair_on_time,
          ${clocks(REPAIR_CLOCKS, 'due')} AS repair_due,
          COALESCE(${surveys(`SUM(${score})`)}, 0) AS score_total,
          ${surveys(`COUNT(${score})`)} AS score_count,
          CASE WHEN t.closed_at IS NOT NULL THEN ${secondsBetween(this.knex, 't.opened_at', 't.closed_at')} END AS closed_seconds
        FROM tickets t ${where}`,
      bindings: ticketIds ?? [],
    };
  }

  /** Never reopened, on site at most once, and no later ticket recorded as its repeat repair. */
  private firstTimeFixed(): string {
    return `NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'reopened')
      AND (SELECT COUNT(*) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'arrived') <= 1
      AND NOT EXISTS (SELECT 1 FROM tickets r WHERE r.repeat_of_ticket_id = t.id)`;
  }

  /** Whether ticket `t` was ever put on hold waiting for parts (its clock record's holds). */
  private partsHold(): string {
    return this.mysql
      ? `COALESCE(JSON_CONTAINS(JSON_EXTRACT(t.clock_state, '$.holds[*].reason'), '"parts"'), 0) = 1`
      : `EXISTS (SELECT 1 FROM json_each(t.clock_state, '$.holds') h WHERE json_extract(h.value, '$.reason') = 'parts')`;
  }

  /** A number inside a JSON column, or NULL. */
  private jsonNumber(column: string, path: string): string {
    return this.mysql ? `CAST(JSON_UNQUOTE(JSON_EXTRACT(${column}, '${path}')) AS DECIMAL(12,4))` : `json_extract(${column}, '${path}')`;
  }

}
