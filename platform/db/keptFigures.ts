import type { Knex } from 'knex';
import { isMysql } from './knex';

/**
 * The figures the KPIs read that are kept on write (issue #12), kept by the application in the
 * transaction of the change (issue #20): not by triggers, which MySQL 8 with binary logging (the
 * default, and every managed MySQL) and MariaDB with `--log-bin` refuse to an application user
 * without SUPER (error 1419). Every writer of the records below calls these in the transaction of
 * its write; SQL that writes them in bulk (seeds, the benchmark) calls them once afterwards, with no
 * filter, as the migrations backfill.
 *
 * - `ticket_figure_changes` (migration 0026): a ticket whose figures may have changed is noted;
 *   the next KPI read recomputes its row (reports/kpis/ticketFigures.ts). A ticket's figures change
 *   with its own row (and a repeat repair naming it), its events, its clock deadline rows
 *   (record_type 'ticket') and the sale of its serial (dealer or serial changed, sale added or
 *   removed). A note too many costs a recomputation; a note missing leaves a figure wrong.
 * - `claims.first_posted_at` (0027): the earliest posting of a statement holding a line of the claim.
 *   Set after a ledger posting, and after lines join a statement (a posted one's lines are fixed,
 *   but the call is cheap and makes the order of writes not matter). Only an earlier posting moves it.
 * - `claims.model`, `claim_lines.model` (0028): the model of the sale of the claim's serial. Set when
 *   a claim or its lines are written, and for a serial's claims when its sale is added, removed,
 *   or changes model or serial (both serials then).
 */

type Db = Knex | Knex.Transaction;

const CHANGES = 'ticket_figure_changes';
/** Ids per statement: well below SQLite's and MySQL's limits on bound values. */
const CHUNK = 500;

function chunks<T>(values: T[]): T[][] {
  const out: T[][] = [];
  for (let first = 0; first < values.length; first += CHUNK) out.push(values.slice(first, first + CHUNK));
  return out;
}

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');

/** Notes the tickets as changed (their figures are recomputed on the next KPI read). */
export async function noteTicketFigures(db: Db, ticketIds: readonly number[]): Promise<void> {
  const ids = [...new Set(ticketIds.map(Number))];
  for (const chunk of chunks(ids)) await db(CHANGES).insert(chunk.map((ticket_id) => ({ ticket_id })));
}

/**
 * Notes the tickets and the earlier tickets they name as repeat repairs, as their rows stand now:
 * call after a ticket is written, and before one is deleted (and both before and after a change of
 * the ticket it repeats).
 */
export async function noteTicketsAndRepeats(db: Db, ticketIds: readonly number[]): Promise<void> {
  const ids = [...new Set(ticketIds.map(Number))];
  const repeated: number[] = [];
  for (const chunk of chunks(ids)) {
    const rows = (await db('tickets').whereIn('id', chunk).whereNotNull('repeat_of_ticket_id').pluck('repeat_of_ticket_id')) as unknown[];
    repeated.push(...rows.map(Number));
  }
  await noteTicketFigures(db, [...ids, ...repeated]);
}

/** Notes the tickets of devices whose sale was added, removed, or changed dealer or serial. */
export async function noteTicketsOfSerials(db: Db, serials: readonly string[]): Promise<void> {
  for (const chunk of chunks([...new Set(serials)])) {
    await db.raw(`INSERT INTO ${CHANGES} (ticket_id) SELECT id FROM tickets WHERE serial IN (${placeholders(chunk)}) ORDER BY id`, chunk);
  }
}

/** Notes every ticket: after tickets, or the records their figures depend on, were written in bulk. */
export async function noteAllTickets(db: Db): Promise<void> {
  await db.raw(`INSERT INTO ${CHANGES} (ticket_id) SELECT id FROM tickets ORDER BY id`);
}

/**
 * Sets the first posting of the claims on the statements (all statements when none are named):
 * the earliest posting of a statement holding a line of the claim, unless the claim has an earlier one.
 */
export async function keepFirstPostings(db: Db, settlementIds?: readonly number[]): Promise<void> {
  const run = async (ids: readonly number[] | undefined) => {
    const only = ids ? `WHERE sl.settlement_id IN (${placeholders(ids)})` : '';
    const postings = `SELECT l.claim_id, MIN(le.posted_at) AS posted_at FROM settlement_lines sl
      JOIN claim_lines l ON l.id = sl.claim_line_id
      JOIN ledger_entries le ON le.settlement_id = sl.settlement_id
      ${only} GROUP BY l.claim_id`;
    // MySQL by a joined UPDATE (its `WHERE id IN (subquery)` form scans, and locks, every claim).
    await db.raw(
      isMysql(db)
        ? `UPDATE claims c JOIN (${postings}) p ON p.claim_id = c.id SET c.first_posted_at = p.posted_at
           WHERE c.first_posted_at IS NULL OR c.first_posted_at > p.posted_at`
        : `UPDATE claims SET first_posted_at = p.posted_at FROM (${postings}) AS p
           WHERE p.claim_id = claims.id AND (claims.first_posted_at IS NULL OR claims.first_posted_at > p.posted_at)`,
      (ids ?? []) as Knex.RawBinding[],
    );
  };
  if (!settlementIds) return run(undefined);
  for (const chunk of chunks([...new Set(settlementIds.map(Number))])) await run(chunk);
}

/** Sets the model of the claims of the serials, and of their lines, to their sale's (all claims when no serials are named). */
export async function keepClaimModels(db: Db, serials?: readonly string[]): Promise<void> {
  const run = async (only: readonly string[] | undefined) => {
    const bindings = (only ?? []) as Knex.RawBinding[];
    const of = (column: string) => (only ? `WHERE ${column} IN (${placeholders(only)})` : '');
    if (isMysql(db)) {
      await db.raw(
        `UPDATE claims c LEFT JOIN dealer_sales s ON s.device_serial = c.device_serial LEFT JOIN claim_lines l ON l.claim_id = c.id
         SET c.model = s.model, l.model = s.model ${of('c.device_serial')}`,
        bindings,
      );
      return;
    }
    await db.raw(`UPDATE claims SET model = (SELECT s.model FROM dealer_sales s WHERE s.device_serial = claims.device_serial) ${of('device_serial')}`, bindings);
    const lines = only ? `WHERE claim_id IN (SELECT c.id FROM claims c ${of('c.device_serial')})` : '';
    await db.raw(`UPDATE claim_lines SET model = (SELECT c.model FROM claims c WHERE c.id = claim_lines.claim_id) ${lines}`, bindings);
  };
  if (!serials) return run(undefined);
  for (const chunk of chunks([...new Set(serials)])) await run(chunk);
}
