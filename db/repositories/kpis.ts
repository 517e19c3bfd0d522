import type { Knex } from 'knex';
import { isMysql } from '../knex';

/**
 * The KPIs of PRODUCT §5 (002's 维修及时率, 维修成功率, 配件准确率, 客户满意度 and the dealer
 * figures), each ONE SQL query over the records the processes keep, on MySQL/MariaDB and SQLite.
 * Their definitions are the README's KPI table; a change here changes it there.
 *
 * A rate comes back with its counts, and as null when nothing was counted (never NaN, never 0 %).
 * A KPI that a filter does not apply to (visits have no dealer) answers null with that filter set
 * rather than an unfiltered figure.
 */

export interface KpiFilter {
  /** The period: from (inclusive) to (exclusive). */
  from: Date;
  to: Date;
  /** A dealer's region (dealers.region); a ticket's is its device's selling dealer's. */
  region?: string;
  /** A product model (tickets.model; a claim's sold device's model). */
  model?: string;
  dealerId?: number;
}

export interface Rate {
  /** numerator / denominator, or null when the denominator is 0. */
  value: number | null;
  numerator: number;
  denominator: number;
}

/** A mean (hours, days, score) with how many it averages; null over nothing. */
export interface Mean {
  value: number | null;
  count: number;
}

export interface DealerKpis {
  dealerId: number;
  dealer: string;
  region: string | null;
  approval: Rate;
  daysToSettle: Mean;
}

export interface EngineerKpis {
  userId: number;
  engineer: string;
  resolved: number;
  onTimeRepair: Rate;
  firstTimeFix: Rate;
  partsAccuracy: Rate;
  satisfaction: Mean;
}

type Row = Record<string, unknown>;
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
const rate = (numerator: unknown, denominator: unknown): Rate => {
  const n = num(numerator);
  const d = num(denominator);
  return { value: d === 0 ? null : n / d, numerator: n, denominator: d };
};
const mean = (sum: unknown, count: unknown): Mean => {
  const c = num(count);
  return { value: c === 0 ? null : num(sum) / c, count: c };
};

/** A WHERE fragment with its bindings. */
interface Sql {
  sql: string;
  bindings: unknown[];
}
const and = (...parts: (Sql | null)[]): Sql => {
  const kept = parts.filter((p): p is Sql => p !== null);
  return { sql: kept.map((p) => `(${p.sql})`).join(' AND ') || '1 = 1', bindings: kept.flatMap((p) => p.bindings) };
};

/** Clock kinds of the ticket deadline rows (workflows/serviceTicket.ts: `ticket_<clock>`). */
export const RESPONSE_CLOCKS = ['ticket_respond', 'ticket_onSite'] as const;
export const REPAIR_CLOCKS = ['ticket_resolve'] as const;

export class KpisRepository {
  private readonly mysql: boolean;

  constructor(private readonly knex: Knex) {
    this.mysql = isMysql(knex);
  }

  // ---------------------------------------------------------------------------------------------
  // Dialect: the few expressions MySQL and SQLite write differently (instants are DATETIME(3) on
  // MySQL, epoch milliseconds on SQLite; JSON functions differ).

  /** Seconds from instant `a` to instant `b`. */
  private seconds(a: string, b: string): string {
    return this.mysql ? `(TIMESTAMPDIFF(MICROSECOND, ${a}, ${b}) / 1000000)` : `((${b} - ${a}) / 1000.0)`;
  }

  /** A number inside a JSON column, or NULL. */
  private jsonNumber(column: string, path: string): string {
    return this.mysql ? `CAST(JSON_UNQUOTE(JSON_EXTRACT(${column}, '${path}')) AS DECIMAL(12,4))` : `json_extract(${column}, '${path}')`;
  }

  /** Whether ticket `t` was ever put on hold waiting for parts (its clock record's holds). */
  private partsHold(): string {
    return this.mysql
      ? `COALESCE(JSON_CONTAINS(JSON_EXTRACT(t.clock_state, '$.holds[*].reason'), '"parts"'), 0) = 1`
      : `EXISTS (SELECT 1 FROM json_each(t.clock_state, '$.holds') h WHERE json_extract(h.value, '$.reason') = 'parts')`;
  }

  // ---------------------------------------------------------------------------------------------
  // Shared pieces

  /** Tickets of the filter: opened in the period, of the model, sold by the dealer / in the region. */
  private ticketsOf(filter: KpiFilter): Sql {
    const soldBy =
      filter.dealerId !== undefined || filter.region !== undefined
        ? and(
            { sql: 's.device_serial = t.serial', bindings: [] },
            filter.dealerId !== undefined ? { sql: 's.dealer_id = ?', bindings: [filter.dealerId] } : null,
            filter.region !== undefined ? { sql: 'd.region = ?', bindings: [filter.region] } : null,
          )
        : null;
    return and(
      { sql: 't.opened_at >= ? AND t.opened_at < ?', bindings: [filter.from, filter.to] },
      filter.model !== undefined ? { sql: 't.model = ?', bindings: [filter.model] } : null,
      soldBy ? { sql: `EXISTS (SELECT 1 FROM dealer_sales s JOIN dealers d ON d.id = s.dealer_id WHERE ${soldBy.sql})`, bindings: soldBy.bindings } : null,
    );
  }

  /** Claim lines `l` of the filter's dealer, region and model, without joining their claims. */
  private linesOf(filter: KpiFilter): Sql {
    return and(
      filter.dealerId !== undefined ? { sql: 'l.dealer_id = ?', bindings: [filter.dealerId] } : null,
      filter.region !== undefined ? { sql: `l.dealer_id IN (${this.regionDealers()})`, bindings: [filter.region] } : null,
      filter.model !== undefined ? { sql: 'EXISTS (SELECT 1 FROM claims c JOIN dealer_sales s ON s.device_serial = c.device_serial WHERE c.id = l.claim_id AND s.model = ?)', bindings: [filter.model] } : null,
    );
  }

  /**
   * The dealers of a region, as a subquery on its one binding: dealers are few, so a region's
   * lines and claims are read by dealer from the (dealer_id, …) indexes, dealer by dealer.
   */
  private regionDealers(): string {
    return 'SELECT d.id FROM dealers d WHERE d.region = ?';
  }

  /**
   * Claims `c` of the filter first settled in the period: the ledger deduction of the first
   * statement that settled a line of the claim was posted in the period. That posting is kept on
   * the claim (`claims.first_posted_at`, set by triggers on the postings and statement lines,
   * migration 0027), so the claims come from an index by period, or by dealer and period.
   */
  private firstSettledClaims(filter: KpiFilter): Sql {
    return and({ sql: 'c.first_posted_at >= ? AND c.first_posted_at < ?', bindings: [filter.from, filter.to] }, this.claimsOf(filter));
  }

  /** Claims of the filter's dealer, region and model (the period is each KPI's own). */
  private claimsOf(filter: KpiFilter): Sql {
    return and(
      filter.dealerId !== undefined ? { sql: 'c.dealer_id = ?', bindings: [filter.dealerId] } : null,
      filter.region !== undefined ? { sql: `c.dealer_id IN (${this.regionDealers()})`, bindings: [filter.region] } : null,
      filter.model !== undefined ? { sql: 'EXISTS (SELECT 1 FROM dealer_sales s WHERE s.device_serial = c.device_serial AND s.model = ?)', bindings: [filter.model] } : null,
    );
  }

  /**
   * A resolved repair ticket `t` fixed the first time: never reopened (by a step or a low survey),
   * the engineer on site at most once, and no later ticket recorded as its repeat repair.
   */
  private firstTimeFixed(): string {
    return `NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'reopened')
      AND (SELECT COUNT(*) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'arrived') <= 1
      AND NOT EXISTS (SELECT 1 FROM tickets r WHERE r.repeat_of_ticket_id = t.id)`;
  }

  /** Survey answers of ticket `t`: the `surveyed` and survey-`reopened` events carry the score. */
  private surveyScore(): string {
    return this.jsonNumber('e.data', '$.score');
  }

  private async one(sql: string, bindings: unknown[]): Promise<Row> {
    const result = (await this.knex.raw(sql, bindings as Knex.RawBinding[])) as unknown;
    const rows = (this.mysql ? (result as [Row[]])[0] : (result as Row[])) ?? [];
    return rows[0] ?? {};
  }

  private async all(sql: string, bindings: unknown[]): Promise<Row[]> {
    const result = (await this.knex.raw(sql, bindings as Knex.RawBinding[])) as unknown;
    return (this.mysql ? (result as [Row[]])[0] : (result as Row[])) ?? [];
  }

  /**
   * Clocks met / clocks due, over the clock deadline rows of the filter's tickets. A clock is due
   * once it stopped (row met) or breached (its breach rung fired on the open row); met on time
   * means stopped before its breach rung fired. A clock still running before its breach, or held,
   * is not yet due.
   */
  private async clocksOnTime(kinds: readonly string[], filter: KpiFilter): Promise<Rate> {
    return (await this.clockGroupsOnTime({ only: kinds }, filter)).only;
  }

  /**
   * The same for several groups of clocks in one pass over the period's tickets and their clock
   * rows (the page asks for response and repair together: one read of the rows, not two).
   */
  private async clockGroupsOnTime<K extends string>(groups: Record<K, readonly string[]>, filter: KpiFilter): Promise<Record<K, Rate>> {
    const tickets = this.ticketsOf(filter);
    const breached = `COALESCE(dl.last_rung, '') LIKE 'breach%'`;
    const names = Object.keys(groups) as K[];
    const inGroup = (name: K) => `dl.kind IN (${groups[name].map(() => '?').join(', ')})`;
    const kinds = [...new Set(names.flatMap((name) => [...groups[name]]))];
    const sums = names.map(
      (name, i) => `SUM(CASE WHEN ${inGroup(name)} AND dl.status = 'met' AND NOT ${breached} THEN 1 ELSE 0 END) AS on_time${i},
         SUM(CASE WHEN ${inGroup(name)} AND (dl.status = 'met' OR (dl.status = 'open' AND ${breached})) THEN 1 ELSE 0 END) AS due${i}`,
    );
    const row = await this.one(
      `SELECT ${sums.join(',\n         ')}
       FROM deadlines dl JOIN tickets t ON t.id = dl.record_id
       WHERE dl.record_type = 'ticket' AND dl.kind IN (${kinds.map(() => '?').join(', ')}) AND ${tickets.sql}`,
      [...names.flatMap((name) => [...groups[name], ...groups[name]]), ...kinds, ...tickets.bindings],
    );
    return Object.fromEntries(names.map((name, i) => [name, rate(row[`on_time${i}`], row[`due${i}`])])) as Record<K, Rate>;
  }

  /** First-time fix and parts accuracy: both over the resolved repair tickets, read once. */
  async resolvedRepairFigures(filter: KpiFilter): Promise<{ firstTimeFix: Rate; partsAccuracy: Rate }> {
    const tickets = this.ticketsOf(filter);
    const row = await this.one(
      `SELECT SUM(CASE WHEN ${this.firstTimeFixed()} THEN 1 ELSE 0 END) AS fixed,
         SUM(CASE WHEN ${this.partsHold()} THEN 0 ELSE 1 END) AS accurate, COUNT(*) AS resolved
       FROM tickets t WHERE t.kind = 'repair' AND t.resolved_at IS NOT NULL AND ${tickets.sql}`,
      tickets.bindings,
    );
    return { firstTimeFix: rate(row.fixed, row.resolved), partsAccuracy: rate(row.accurate, row.resolved) };
  }

  /** On-time response and on-time repair in one pass (see onTimeResponse, onTimeRepair). */
  onTimeFigures(filter: KpiFilter): Promise<{ response: Rate; repair: Rate }> {
    return this.clockGroupsOnTime({ response: RESPONSE_CLOCKS, repair: REPAIR_CLOCKS }, filter);
  }

  // ---------------------------------------------------------------------------------------------
  // The KPIs

  /** On-time response (维修及时率, response): respond and on-site clocks met on time / due. */
  onTimeResponse(filter: KpiFilter): Promise<Rate> {
    return this.clocksOnTime(RESPONSE_CLOCKS, filter);
  }

  /** On-time repair (维修及时率): resolve clocks (each reopen's too) met on time / due. */
  onTimeRepair(filter: KpiFilter): Promise<Rate> {
    return this.clocksOnTime(REPAIR_CLOCKS, filter);
  }

  /** First-time fix (维修成功率): resolved repair tickets fixed the first time / resolved repair tickets. */
  async firstTimeFix(filter: KpiFilter): Promise<Rate> {
    return (await this.resolvedRepairFigures(filter)).firstTimeFix;
  }

  /** Parts accuracy (配件准确率): resolved repair tickets never held waiting for parts / resolved repair tickets. */
  async partsAccuracy(filter: KpiFilter): Promise<Rate> {
    return (await this.resolvedRepairFigures(filter)).partsAccuracy;
  }

  /** Satisfaction (客户满意度): the mean survey score (1–5) of the filter's tickets' answers. */
  async satisfaction(filter: KpiFilter): Promise<Mean> {
    const tickets = this.ticketsOf(filter);
    const score = this.surveyScore();
    const row = await this.one(
      `SELECT SUM(${score}) AS total, COUNT(${score}) AS answers
       FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
       WHERE e.kind IN ('surveyed', 'reopened') AND ${tickets.sql}`,
      tickets.bindings,
    );
    return mean(row.total, row.answers);
  }

  /** Complaints opened in the period. */
  async complaints(filter: KpiFilter): Promise<number> {
    const tickets = this.ticketsOf(filter);
    const row = await this.one(`SELECT COUNT(*) AS n FROM tickets t WHERE t.kind = 'complaint' AND ${tickets.sql}`, tickets.bindings);
    return num(row.n);
  }

  /** Complaint closure time: mean hours from a complaint's intake to its close, over those closed. */
  async complaintClosureHours(filter: KpiFilter): Promise<Mean> {
    const tickets = this.ticketsOf(filter);
    const row = await this.one(
      `SELECT SUM(${this.seconds('t.opened_at', 't.closed_at')}) / 3600 AS hours, COUNT(*) AS closed
       FROM tickets t WHERE t.kind = 'complaint' AND t.closed_at IS NOT NULL AND ${tickets.sql}`,
      tickets.bindings,
    );
    return mean(row.hours, row.closed);
  }

  /** Overdue visits: care visits due in the period, still not done after their window closed (`now`). */
  async overdueVisits(filter: KpiFilter, now: Date): Promise<number | null> {
    if (filter.dealerId !== undefined || filter.region !== undefined || filter.model !== undefined) return null;
    const row = await this.one(`SELECT COUNT(*) AS n FROM care_visits v WHERE v.status = 'due' AND v.window_end < ? AND v.due_at >= ? AND v.due_at < ?`, [now, filter.from, filter.to]);
    return num(row.n);
  }

  /** Overdue calls: return calls due in the period, still not made after their window closed (`now`). */
  async overdueCalls(filter: KpiFilter, now: Date): Promise<number | null> {
    if (filter.dealerId !== undefined || filter.region !== undefined || filter.model !== undefined) return null;
    const row = await this.one(`SELECT COUNT(*) AS n FROM care_calls c WHERE c.status = 'due' AND c.window_end < ? AND c.due_at >= ? AND c.due_at < ?`, [now, filter.from, filter.to]);
    return num(row.n);
  }

  /** Claim approval: claim lines approved (wholly or partly) / lines decided in the period. */
  async claimApproval(filter: KpiFilter): Promise<Rate> {
    const lines = this.linesOf(filter);
    const row = await this.one(
      `SELECT SUM(CASE WHEN l.status = 'approved' THEN 1 ELSE 0 END) AS approved, COUNT(*) AS decided
       FROM claim_lines l
       WHERE l.status IN ('approved', 'rejected') AND l.decided_at >= ? AND l.decided_at < ? AND ${lines.sql}`,
      [filter.from, filter.to, ...lines.bindings],
    );
    return rate(row.approved, row.decided);
  }

  /**
   * Days to settle: mean days from a claim's submission to the ledger deduction of the statement
   * that first settled a line of it, over claims so settled in the period.
   */
  async daysToSettle(filter: KpiFilter): Promise<Mean> {
    const settled = this.firstSettledClaims(filter);
    const row = await this.one(
      `SELECT SUM(${this.seconds('c.created_at', 'c.first_posted_at')}) / 86400 AS days, COUNT(*) AS claims
       FROM claims c WHERE ${settled.sql}`,
      settled.bindings,
    );
    return mean(row.days, row.claims);
  }

  /** Approval and days to settle per dealer (the dealers with either in the period), by name. */
  async perDealer(filter: KpiFilter): Promise<DealerKpis[]> {
    const lines = this.linesOf(filter);
    const settled = this.firstSettledClaims(filter);
    const rows = await this.all(
      `SELECT d.id, d.name, d.region, a.approved, a.decided, s.seconds / 86400 AS settle_days, s.settled
       FROM dealers d
       LEFT JOIN (SELECT l.dealer_id, SUM(CASE WHEN l.status = 'approved' THEN 1 ELSE 0 END) AS approved, COUNT(*) AS decided
                  FROM claim_lines l
                  WHERE l.status IN ('approved', 'rejected') AND l.decided_at >= ? AND l.decided_at < ? AND ${lines.sql}
                  GROUP BY l.dealer_id) a ON a.dealer_id = d.id
       LEFT JOIN (SELECT c.dealer_id, SUM(${this.seconds('c.created_at', 'c.first_posted_at')}) AS seconds, COUNT(*) AS settled
                  FROM claims c WHERE ${settled.sql}
                  GROUP BY c.dealer_id) s ON s.dealer_id = d.id
       WHERE (a.decided IS NOT NULL OR s.settled IS NOT NULL)
       ORDER BY d.name, d.id`,
      [filter.from, filter.to, ...lines.bindings, ...settled.bindings],
    );
    return rows.map((r) => ({ dealerId: Number(r.id), dealer: String(r.name), region: (r.region as string | null) ?? null, approval: rate(r.approved, r.decided), daysToSettle: mean(r.settle_days, r.settled) }));
  }

  /**
   * The staff appraisal (002): per engineer, over the repair tickets assigned to them that they
   * resolved (opened in the period): on-time repair, first-time fix, parts accuracy, satisfaction.
   */
  async perEngineer(filter: KpiFilter): Promise<EngineerKpis[]> {
    const tickets = this.ticketsOf(filter);
    const resolved = `t.kind = 'repair' AND t.resolved_at IS NOT NULL AND t.assignee_user_id IS NOT NULL AND ${tickets.sql}`;
    const breached = `COALESCE(dl.last_rung, '') LIKE 'breach%'`;
    const score = this.surveyScore();
    const rows = await this.all(
      `SELECT r.assignee_user_id AS user_id, u.name, r.resolved, r.fixed, r.accurate, c.on_time, c.due, s.score_total, s.answers
       FROM (SELECT t.assignee_user_id, COUNT(*) AS resolved,
               SUM(CASE WHEN ${this.firstTimeFixed()} THEN 1 ELSE 0 END) AS fixed,
               SUM(CASE WHEN ${this.partsHold()} THEN 0 ELSE 1 END) AS accurate
             FROM tickets t WHERE ${resolved} GROUP BY t.assignee_user_id) r
       JOIN users u ON u.id = r.assignee_user_id
       LEFT JOIN (SELECT t.assignee_user_id,
               SUM(CASE WHEN dl.status = 'met' AND NOT ${breached} THEN 1 ELSE 0 END) AS on_time,
               SUM(CASE WHEN dl.status = 'met' OR (dl.status = 'open' AND ${breached}) THEN 1 ELSE 0 END) AS due
             FROM tickets t JOIN deadlines dl ON dl.record_type = 'ticket' AND dl.record_id = t.id AND dl.kind = 'ticket_resolve'
             WHERE ${resolved} GROUP BY t.assignee_user_id) c ON c.assignee_user_id = r.assignee_user_id
       LEFT JOIN (SELECT t.assignee_user_id, SUM(${score}) AS score_total, COUNT(${score}) AS answers
             FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id AND e.kind IN ('surveyed', 'reopened')
             WHERE ${resolved} GROUP BY t.assignee_user_id) s ON s.assignee_user_id = r.assignee_user_id
       ORDER BY u.name, r.assignee_user_id`,
      [...tickets.bindings, ...tickets.bindings, ...tickets.bindings],
    );
    return rows.map((r) => ({
      userId: Number(r.user_id),
      engineer: String(r.name),
      resolved: num(r.resolved),
      onTimeRepair: rate(r.on_time, r.due),
      firstTimeFix: rate(r.fixed, r.resolved),
      partsAccuracy: rate(r.accurate, r.resolved),
      satisfaction: mean(r.score_total, r.answers),
    }));
  }

  /** The regions, models and dealers the filters offer. */
  async choices(): Promise<{ regions: string[]; models: string[]; dealers: Array<{ id: number; name: string }> }> {
    const [regions, models, dealers] = await Promise.all([
      this.knex('dealers').whereNotNull('region').distinct('region').orderBy('region') as Promise<Array<{ region: string }>>,
      // The models of installed devices and of dealers' sales.
      this.knex.select('model').from('devices').union((q) => void q.select('model').from('dealer_sales')).orderBy('model').limit(500) as Promise<Array<{ model: string }>>,
      this.knex('dealers').select('id', 'name').orderBy('name') as Promise<Array<{ id: number; name: string }>>,
    ]);
    return { regions: regions.map((r) => r.region), models: models.map((m) => m.model), dealers: dealers.map((d) => ({ id: Number(d.id), name: d.name })) };
  }
}
