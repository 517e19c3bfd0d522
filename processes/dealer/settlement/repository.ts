import type { Knex } from 'knex';
import { words } from '../../../domain/words';
import { DateTime } from 'luxon';
import { ALL_ROWS, type Scope } from '../../../domain/access';
import type { ServicePolicy } from '../../../domain/policy';
import { NotFoundError, isDeadlock, isUniqueViolation } from '../../../platform/db/errors';
import { keepFirstPostings } from '../../../platform/db/keptFigures';
import { fromJson, insertedId, toJson, toRequiredDate, toDate } from '../../../platform/db/mapping';
import { whereInScope } from '../../../platform/db/scope';
import { DeadlinesRepository } from '../../../schedule/deadlines/repository';
import { groupBy, num, openDeadline, StepRefused, type Row } from '../records';
import { ClaimsRepository } from '../claims/repository';
import { confirmRefusal, correctionRefusal, periodBounds, reviewOutcome, settlementActionRefusal, settlementStatusAfter, statementTotal, type SettlementAction, type SettlementStatus } from './rules';
import { settlementConfirmKey, settlementConfirmWorkflowId } from '../rules';

/** Settlements (statements), their review, the dealer's answer, and the receivables ledger. */

export type { SettlementStatus } from './rules';

export interface Settlement {
  id: number;
  dealerId: number;
  period: string;
  version: number;
  status: SettlementStatus;
  total: { amount: number; currency: string };
  confirmDueAt: Date | null;
  disputeReason: string | null;
  disputeAnswer: string | null;
  /** The claim lines the dealer disputed. */
  disputeLineIds: number[];
  lines: Array<{ claimLineId: number; claimId: number; lineNo: number; kind: string; amount: number }>;
}

/** A statement as a list shows it: without its lines. */
export type SettlementHead = Omit<Settlement, 'lines'>;

export interface LedgerEntry {
  id: number;
  dealerId: number;
  settlementId: number;
  kind: string;
  amount: { amount: number; currency: string };
  memo: string;
  postedAt: Date;
}

const toSettlementHead = (row: Row): SettlementHead => ({
  id: num(row.id),
  dealerId: num(row.dealer_id),
  period: String(row.period),
  version: num(row.version),
  status: row.status as SettlementStatus,
  total: { amount: num(row.total_minor), currency: String(row.currency) },
  confirmDueAt: toDate(row.confirm_due_at),
  disputeReason: (row.dispute_reason as string | null) ?? null,
  disputeAnswer: (row.dispute_answer as string | null) ?? null,
  disputeLineIds: row.dispute_lines === null || row.dispute_lines === undefined ? [] : fromJson<number[]>(row.dispute_lines),
});

export class SettlementRepository {
  constructor(private readonly db: Knex) {}


  /**
   * Freezes each dealer's approved, unsettled lines decided before the period's end into one
   * statement per dealer and currency. Safe to run twice, or twice at once: the statement of a
   * (dealer, period, currency) exists once and a line joins one statement ever (unique keys); a
   * run that loses the race answers the winner's statement.
   */
  async runSettlement(period: string, policy: ServicePolicy['dealer'], now: Date, dealerId?: number, startedBy?: number): Promise<number[]> {
    const { end } = periodBounds(period, policy.settlementTimeZone);
    await new ClaimsRepository(this.db).applyPartsDeadlines(DateTime.fromJSDate(now, { zone: policy.settlementTimeZone }).toISODate()!);
    const pending = this.db('claim_lines as l')
      .whereIn('l.status', ['approved'])
      .where('l.decided_at', '<', end)
      .whereNotExists((q) => q.select(this.db.raw('1')).from('settlement_lines as s').whereRaw('s.claim_line_id = l.id'))
      .distinct('l.dealer_id', 'l.currency');
    if (dealerId !== undefined) void pending.where('l.dealer_id', dealerId);
    const groups = (await pending) as Row[];
    for (const group of groups) {
      await this.freezeStatement(num(group.dealer_id), String(group.currency), period, end, now, startedBy ?? null);
    }
    // The period's statements, however many runs made them: a second run answers the first run's.
    let statements = this.db('settlements').where({ period }).orderBy('id').select('id');
    if (dealerId !== undefined) statements = statements.where({ dealer_id: dealerId });
    return ((await statements) as Row[]).map((r) => num(r.id));
  }

  private async freezeStatement(dealerId: number, currency: string, period: string, end: Date, now: Date, startedBy: number | null, attempt = 1): Promise<number | null> {
    try {
      return await this.db.transaction(async (trx) => {
        const existing = (await trx('settlements').where({ dealer_id: dealerId, period, currency }).first('id')) as Row | undefined;
        if (existing) return num(existing.id);
        const id = insertedId(await trx('settlements').insert({ dealer_id: dealerId, period, currency, status: 'review', total_minor: 0, started_by: startedBy, created_at: now, updated_at: now }));
        const lines = (await trx('claim_lines as l')
          .where({ 'l.dealer_id': dealerId, 'l.currency': currency, 'l.status': 'approved' })
          .where('l.decided_at', '<', end)
          .whereNotExists((q) => q.select(trx.raw('1')).from('settlement_lines as s').whereRaw('s.claim_line_id = l.id'))
          .select('l.id', 'l.approved_minor')) as Row[];
        if (lines.length > 0) await trx('settlement_lines').insert(lines.map((l) => ({ settlement_id: id, claim_line_id: num(l.id), amount_minor: num(l.approved_minor) })));
        // A new statement has no posting yet; kept all the same, so the order of writes never matters.
        await keepFirstPostings(trx, [id]);
        await this.retotal(trx, id);
        return id;
      });
    } catch (error) {
      // Two runs racing on the same keys may deadlock (MySQL picks a victim): the victim tries again.
      if (isDeadlock(error) && attempt < 4) return this.freezeStatement(dealerId, currency, period, end, now, startedBy, attempt + 1);
      // Another run froze this statement (or one of its lines) first: answer its statement.
      if (!isUniqueViolation(error)) throw error;
      const existing = (await this.db('settlements').where({ dealer_id: dealerId, period, currency }).first('id')) as Row | undefined;
      return existing ? num(existing.id) : null;
    }
  }

  private async retotal(trx: Knex.Transaction, id: number): Promise<void> {
    const amounts = ((await trx('settlement_lines').where({ settlement_id: id }).pluck('amount_minor')) as unknown[]).map(num);
    await trx('settlements').where({ id }).update({ total_minor: statementTotal(amounts), updated_at: new Date() });
  }

  async settlement(id: number, scope: Scope): Promise<Settlement | null> {
    const row = (await whereInScope(this.db('settlements').where({ id }), scope, { dealer: 'dealer_id' }).first()) as Row | undefined;
    if (!row) return null;
    return { ...toSettlementHead(row), lines: (await this.settlementLines([id])).get(id) ?? [] };
  }

  private async settlementLines(ids: number[]): Promise<Map<number, Settlement['lines']>> {
    if (ids.length === 0) return new Map();
    const lines = (await this.db('settlement_lines as s')
      .join('claim_lines as l', 'l.id', 's.claim_line_id')
      .whereIn('s.settlement_id', ids)
      .orderBy(['s.settlement_id', 'l.claim_id', 'l.line_no'])
      .select('s.settlement_id', 's.claim_line_id', 'l.claim_id', 'l.line_no', 'l.kind', 's.amount_minor')) as Row[];
    const out = new Map<number, Settlement['lines']>();
    for (const [id, rows] of groupBy(lines, 'settlement_id')) out.set(id, rows.map((l) => ({ claimLineId: num(l.claim_line_id), claimId: num(l.claim_id), lineNo: num(l.line_no), kind: String(l.kind), amount: num(l.amount_minor) })));
    return out;
  }

  /** The first 500 statements in reach (of a period), without their lines: what a list shows. */
  async listSettlementHeads(scope: Scope, period?: string): Promise<SettlementHead[]> {
    let query = whereInScope(this.db('settlements').orderBy('id'), scope, { dealer: 'dealer_id' });
    if (period) query = query.where({ period });
    return ((await query.limit(500)) as Row[]).map(toSettlementHead);
  }

  /** The same with their lines (the API's list): two queries, not one per statement. */
  async listSettlements(scope: Scope, period?: string): Promise<Settlement[]> {
    const heads = await this.listSettlementHeads(scope, period);
    const lines = await this.settlementLines(heads.map((h) => h.id));
    return heads.map((head) => ({ ...head, lines: lines.get(head.id) ?? [] }));
  }

  private async lockSettlement(trx: Knex.Transaction, id: number, scope: Scope, action: SettlementAction): Promise<Row> {
    const row = (await whereInScope(trx('settlements').where({ id }), scope, { dealer: 'dealer_id' }).forUpdate().first()) as Row | undefined;
    if (!row) throw new NotFoundError(words('refusal.dealer.noStatement', { settlementId: id }));
    const refusal = settlementActionRefusal(row.status as SettlementStatus, action);
    if (refusal) throw new StepRefused(refusal);
    return row;
  }

  /**
   * Finance's review: held lines leave the statement (they go to the next period's), corrected lines
   * take their new amount (at most what was claimed); the rest is sent to the dealer, whose
   * confirmation falls due at `confirmDueAt` (`dealer.settlementConfirmWithin` after `now`, see `dealerDeadlineAt`). On a disputed statement the review is finance's
   * answer, with a reason: corrections or held lines make a new version the dealer confirms again;
   * none stands firm (the same version, sent again).
   */
  async review(id: number, holdClaimLineIds: number[], policy: ServicePolicy['dealer'], now: Date, confirmDueAt: Date, answer?: string, corrections: Array<{ claimLineId: number; amount: number }> = []): Promise<Settlement> {
    await this.db.transaction(async (trx) => {
      const row = await this.lockSettlement(trx, id, ALL_ROWS, 'review');
      const outcome = reviewOutcome({ status: row.status as SettlementStatus, version: num(row.version) }, { answer, changesLines: holdClaimLineIds.length > 0 || corrections.length > 0 });
      if ('refused' in outcome) throw new StepRefused(outcome.refused, outcome.field);
      if (outcome.disputeAnswer !== null) await trx('settlements').where({ id }).update({ dispute_answer: outcome.disputeAnswer, version: outcome.version });
      if (holdClaimLineIds.length > 0) {
        const held = await trx('settlement_lines').where({ settlement_id: id }).whereIn('claim_line_id', holdClaimLineIds).delete();
        if (held !== holdClaimLineIds.length) throw new StepRefused(words('refusal.dealer.heldNotOnStatement'), 'holdLineIds');
      }
      for (const [index, correction] of corrections.entries()) {
        const line = (await trx('settlement_lines as s').join('claim_lines as l', 'l.id', 's.claim_line_id').where({ 's.settlement_id': id, 's.claim_line_id': correction.claimLineId }).first('s.id', 'l.claimed_minor')) as Row | undefined;
        if (!line) throw new StepRefused(words('refusal.dealer.lineNotOnStatement', { claimLineId: correction.claimLineId }), `corrections.${index}.claimLineId`);
        const refused = correctionRefusal(correction.claimLineId, correction.amount, num(line.claimed_minor));
        if (refused) throw new StepRefused(refused, `corrections.${index}.amount`);
        await trx('settlement_lines').where({ id: num(line.id) }).update({ amount_minor: correction.amount });
      }
      await this.retotal(trx, id);
      const dueAt = confirmDueAt;
      await trx('settlements').where({ id }).update({ status: settlementStatusAfter('review'), confirm_due_at: dueAt, updated_at: now });
      await openDeadline(trx, 'settlement', id, 'settlement_confirm', words('deadline.dealer.settlement_confirm', { settlementId: id }), dueAt, settlementConfirmKey(dueAt));
      void policy;
    });
    return (await this.settlement(id, ALL_ROWS))!;
  }

  /** The dealer disputes the statement: a reason, and the lines it disputes (each on this statement). */
  async dispute(id: number, reason: string, scope: Scope, now: Date, claimLineIds: number[] = []): Promise<Settlement> {
    await this.db.transaction(async (trx) => {
      await this.lockSettlement(trx, id, scope, 'dispute');
      const onStatement = ((await trx('settlement_lines').where({ settlement_id: id }).whereIn('claim_line_id', claimLineIds).select('claim_line_id')) as Row[]).map((r) => num(r.claim_line_id));
      const stranger = claimLineIds.findIndex((lineId) => !onStatement.includes(lineId));
      if (stranger >= 0) throw new StepRefused(words('refusal.dealer.lineNotOnStatement', { claimLineId: claimLineIds[stranger]! }), `claimLineIds.${stranger}`);
      await trx('settlements').where({ id }).update({ status: settlementStatusAfter('dispute'), dispute_reason: reason, dispute_lines: toJson(claimLineIds), updated_at: now });
      await new DeadlinesRepository(trx).closeAll(settlementConfirmWorkflowId(id), 'met', now);
    });
    return (await this.settlement(id, ALL_ROWS))!;
  }

  /** The dealer confirms; the total is posted to the ledger in the same transaction. */
  async confirm(id: number, version: number, scope: Scope, now: Date): Promise<Settlement> {
    await this.db.transaction(async (trx) => {
      const row = await this.lockSettlement(trx, id, scope, 'confirm');
      const refused = confirmRefusal(num(row.version), version);
      if (refused) throw new StepRefused(refused, 'version');
      await trx('settlements').where({ id }).update({ status: settlementStatusAfter('confirm'), updated_at: now });
      await new DeadlinesRepository(trx).closeAll(settlementConfirmWorkflowId(id), 'met', now);
      await this.insertLedgerEntry(trx, id, now);
    });
    return (await this.settlement(id, ALL_ROWS))!;
  }

  /**
   * Posts a confirmed statement's total as a deduction from the dealer's receivables, once: a
   * retried call (an activity retried after a worker kill) finds the entry and answers it.
   */
  async postToLedger(settlementId: number, now: Date): Promise<LedgerEntry> {
    await this.db.transaction(async (trx) => {
      const row = (await trx('settlements').where({ id: settlementId }).forUpdate().first('status')) as Row | undefined;
      if (!row) throw new NotFoundError(words('refusal.dealer.noStatement', { settlementId }));
      if (row.status !== 'confirmed') throw new StepRefused(words('refusal.dealer.statementNotConfirmed', { status: String(row.status) }));
      await this.insertLedgerEntry(trx, settlementId, now);
    });
    const entry = (await this.db('ledger_entries').where({ settlement_id: settlementId }).first('dealer_id')) as Row;
    return (await this.ledger(num(entry.dealer_id))).find((e) => e.settlementId === settlementId)!;
  }

  /**
   * The unique key on settlement_id makes a second posting a no-op, however it comes. The insert
   * also sets the first posting of the statement's claims (`claims.first_posted_at`, for days to
   * settle, migration 0027) in the same transaction.
   */
  private async insertLedgerEntry(trx: Knex.Transaction, settlementId: number, now: Date): Promise<void> {
    if (await trx('ledger_entries').where({ settlement_id: settlementId }).first('id')) return;
    const s = (await trx('settlements').where({ id: settlementId }).first()) as Row;
    await trx('ledger_entries').insert({
      dealer_id: num(s.dealer_id),
      settlement_id: settlementId,
      kind: 'warranty_writeoff',
      currency: String(s.currency),
      amount_minor: -num(s.total_minor),
      memo: `三包费用核销 ${String(s.period)} v${num(s.version)}`,
      posted_at: now,
    });
    await keepFirstPostings(trx, [settlementId]);
  }

  async ledger(dealerId: number): Promise<LedgerEntry[]> {
    const rows = (await this.db('ledger_entries').where({ dealer_id: dealerId }).orderBy('id')) as Row[];
    return rows.map((row) => ({
      id: num(row.id),
      dealerId: num(row.dealer_id),
      settlementId: num(row.settlement_id),
      kind: String(row.kind),
      amount: { amount: num(row.amount_minor), currency: String(row.currency) },
      memo: String(row.memo),
      postedAt: toRequiredDate(row.posted_at),
    }));
  }
}
