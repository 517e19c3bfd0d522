import type { Knex } from 'knex';
import { rawRows, secondsBetween } from '../../platform/db/dialect';
import { TicketFiguresRepository } from './ticketFigures';

/**
 * The KPIs of PRODUCT §5 (002's 维修及时率, 维修成功率, 配件准确率, 客户满意度 and the dealer
 * figures), in SQL over the records the processes keep, on MySQL/MariaDB and SQLite. The ticket
 * KPIs are one query summing the period's kept per-ticket figures (ticketFigures.ts, caught up
 * first); the dealer figures read claim lines and claims, which keep their model and first posting.
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
  /** A product model (tickets.model; a claim's sold device's model, kept on the claim and its lines). */
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

/** The service KPIs over tickets, from one read of their kept figures. */
export interface TicketKpis {
  onTimeResponse: Rate;
  onTimeRepair: Rate;
  firstTimeFix: Rate;
  partsAccuracy: Rate;
  satisfaction: Mean;
  complaints: number;
  complaintClosureHours: Mean;
}

export class KpisRepository {
  private readonly figures: TicketFiguresRepository;

  constructor(private readonly knex: Knex) {
    this.figures = new TicketFiguresRepository(knex);
  }

  /** Seconds from instant `a` to instant `b`. */
  private seconds(a: string, b: string): string {
    return secondsBetween(this.knex, a, b);
  }

  // ---------------------------------------------------------------------------------------------
  // Shared pieces

  /**
   * The kept figures `f` of the filter's tickets: opened in the period, of the model, sold by the
   * dealer or by a dealer of the region (the selling dealer is kept on the figures).
   */
  private figuresOf(filter: KpiFilter): Sql {
    return and(
      { sql: 'f.opened_at >= ? AND f.opened_at < ?', bindings: [filter.from, filter.to] },
      filter.model !== undefined ? { sql: 'f.model = ?', bindings: [filter.model] } : null,
      filter.dealerId !== undefined ? { sql: 'f.dealer_id = ?', bindings: [filter.dealerId] } : null,
      filter.region !== undefined ? { sql: `f.dealer_id IN (${this.regionDealers()})`, bindings: [filter.region] } : null,
    );
  }

  /** Claim lines `l` of the filter's dealer, region and model, without joining their claims or sales. */
  private linesOf(filter: KpiFilter): Sql {
    return and(
      filter.dealerId !== undefined ? { sql: 'l.dealer_id = ?', bindings: [filter.dealerId] } : null,
      filter.region !== undefined ? { sql: `l.dealer_id IN (${this.regionDealers()})`, bindings: [filter.region] } : null,
      // The line keeps its claim's sale's model (migration 0028).
      filter.model !== undefined ? { sql: 'l.model = ?', bindings: [filter.model] } : null,
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
      // The claim keeps its sale's model (migration 0028).
      filter.model !== undefined ? { sql: 'c.model = ?', bindings: [filter.model] } : null,
    );
  }

  private async one(sql: string, bindings: unknown[]): Promise<Row> {
    return (await rawRows(this.knex, sql, bindings))[0] ?? {};
  }

  private all(sql: string, bindings: unknown[]): Promise<Row[]> {
    return rawRows(this.knex, sql, bindings);
  }

  /**
   * Every service KPI over the filter's tickets, summed from their kept figures in one read (the
   * definitions per ticket are TicketFiguresRepository's). `caughtUp`: the caller has just caught
   * the figures up.
   */
  async ticketKpis(filter: KpiFilter, caughtUp = false): Promise<TicketKpis> {
    if (!caughtUp) await this.figures.catchUp();
    const figures = this.figuresOf(filter);
    const complaint = `f.kind = 'complaint'`;
    const resolved = 'f.resolved_repair = 1';
    const row = await this.one(
      `SELECT SUM(f.response_on_time) AS response_on_time, SUM(f.response_due) AS response_due,
         SUM(f.repair_on_time) AS repair_on_time, SUM(f.repair_due) AS repair_due,
         SUM(f.resolved_repair) AS resolved,
         SUM(CASE WHEN ${resolved} AND f.fixed_first_time = 1 THEN 1 ELSE 0 END) AS fixed,
         SUM(CASE WHEN ${resolved} AND f.parts_held = 0 THEN 1 ELSE 0 END) AS accurate,
         SUM(f.score_total) AS score_total, SUM(f.score_count) AS score_count,
         SUM(CASE WHEN ${complaint} THEN 1 ELSE 0 END) AS complaints,
         SUM(CASE WHEN ${complaint} THEN f.closed_seconds END) / 3600 AS closure_hours,
         SUM(CASE WHEN ${complaint} AND f.closed_seconds IS NOT NULL THEN 1 ELSE 0 END) AS closed
       FROM ticket_figures f WHERE ${figures.sql}`,
      figures.bindings,
    );
    return {
      onTimeResponse: rate(row.response_on_time, row.response_due),
      onTimeRepair: rate(row.repair_on_time, row.repair_due),
      firstTimeFix: rate(row.fixed, row.resolved),
      partsAccuracy: rate(row.accurate, row.resolved),
      satisfaction: mean(row.score_total, row.score_count),
      complaints: num(row.complaints),
      complaintClosureHours: mean(row.closure_hours, row.closed),
    };
  }

  /** What the KPI page shows of the tickets: their KPIs and the staff appraisal, after one catch-up. */
  async serviceKpis(filter: KpiFilter): Promise<{ tickets: TicketKpis; engineers: EngineerKpis[] }> {
    await this.figures.catchUp();
    const [tickets, engineers] = await Promise.all([this.ticketKpis(filter, true), this.perEngineer(filter, true)]);
    return { tickets, engineers };
  }

  // ---------------------------------------------------------------------------------------------
  // The KPIs

  /** On-time response (维修及时率, response): respond and on-site clocks met on time / due. */
  async onTimeResponse(filter: KpiFilter): Promise<Rate> {
    return (await this.ticketKpis(filter)).onTimeResponse;
  }

  /** On-time repair (维修及时率): resolve clocks (each reopen's too) met on time / due. */
  async onTimeRepair(filter: KpiFilter): Promise<Rate> {
    return (await this.ticketKpis(filter)).onTimeRepair;
  }

  /** First-time fix (维修成功率): resolved repair tickets fixed the first time / resolved repair tickets. */
  async firstTimeFix(filter: KpiFilter): Promise<Rate> {
    return (await this.ticketKpis(filter)).firstTimeFix;
  }

  /** Parts accuracy (配件准确率): resolved repair tickets never held waiting for parts / resolved repair tickets. */
  async partsAccuracy(filter: KpiFilter): Promise<Rate> {
    return (await this.ticketKpis(filter)).partsAccuracy;
  }

  /** Satisfaction (客户满意度): the mean survey score (1–5) of the filter's tickets' answers. */
  async satisfaction(filter: KpiFilter): Promise<Mean> {
    return (await this.ticketKpis(filter)).satisfaction;
  }

  /** Complaints opened in the period. */
  async complaints(filter: KpiFilter): Promise<number> {
    return (await this.ticketKpis(filter)).complaints;
  }

  /** Complaint closure time: mean hours from a complaint's intake to its close, over those closed. */
  async complaintClosureHours(filter: KpiFilter): Promise<Mean> {
    return (await this.ticketKpis(filter)).complaintClosureHours;
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
  async perEngineer(filter: KpiFilter, caughtUp = false): Promise<EngineerKpis[]> {
    if (!caughtUp) await this.figures.catchUp();
    const figures = this.figuresOf(filter);
    const rows = await this.all(
      `SELECT f.assignee_user_id AS user_id, u.name, COUNT(*) AS resolved, SUM(f.fixed_first_time) AS fixed,
         SUM(1 - f.parts_held) AS accurate, SUM(f.repair_on_time) AS on_time, SUM(f.repair_due) AS due,
         SUM(f.score_total) AS score_total, SUM(f.score_count) AS answers
       FROM ticket_figures f JOIN users u ON u.id = f.assignee_user_id
       WHERE f.resolved_repair = 1 AND f.assignee_user_id IS NOT NULL AND ${figures.sql}
       GROUP BY f.assignee_user_id, u.name
       ORDER BY u.name, f.assignee_user_id`,
      figures.bindings,
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
    const [regions, deviceModels, saleModels, dealers] = await Promise.all([
      this.knex('dealers').whereNotNull('region').distinct('region').orderBy('region') as Promise<Array<{ region: string }>>,
      // The models of installed devices and of dealers' sales, each read from its model index.
      this.knex('devices').distinct('model').orderBy('model').limit(500) as Promise<Array<{ model: string }>>,
      this.knex('dealer_sales').distinct('model').orderBy('model').limit(500) as Promise<Array<{ model: string }>>,
      this.knex('dealers').select('id', 'name').orderBy('name') as Promise<Array<{ id: number; name: string }>>,
    ]);
    const models = [...new Set([...deviceModels, ...saleModels].map((m) => m.model))].sort().slice(0, 500).map((model) => ({ model }));
    return { regions: regions.map((r) => r.region), models: models.map((m) => m.model), dealers: dealers.map((d) => ({ id: Number(d.id), name: d.name })) };
  }
}
