import type { Knex } from 'knex';
import { words } from '../../../domain/words';
import { ALL_ROWS, type Scope } from '../../../domain/access';
import type { ServicePolicy } from '../../../domain/policy';
import type { BusinessCalendar } from '../../../domain/calendar';
import { ConflictError, NotFoundError, isUniqueViolation } from '../../../platform/db/errors';
import { fromJson, insertedId, toJson, toRequiredDate, toDate } from '../../../platform/db/mapping';
import { whereInScope } from '../../../platform/db/scope';
import { closeDeadline, groupBy, num, openDeadline, StepRefused, type Row } from '../records';
import { toSale } from '../sales/repository';
import { checkClaim, claimRefused, claimActionRefusal, claimActs, claimStatusAfterLines, decideLine, lineAmount, linesLostToMissingParts, oldPartReturnDueDate, resubmitRefusal, sampledForAudit, type Appraisal, type ClaimLimits, type ClaimLineInput, type ClaimReasonCode, type ClaimAction, type ClaimStatus, type LineDecision, type LineStatus, type LineReasonCode } from './rules';
import { endOfLocalDay } from '../rules';

/** Dealer claims and their lines, and the models' reference data the automatic checks use. */

export type { ClaimStatus, LineStatus } from './rules';

export interface ClaimLine {
  id: number;
  lineNo: number;
  input: ClaimLineInput;
  claimed: { amount: number; currency: string };
  codes: LineReasonCode[];
  status: LineStatus;
  approved: { amount: number; currency: string } | null;
  decisionReason: string | null;
  receivedOn: string | null;
  appraisal: Appraisal | null;
}

export interface Claim {
  id: number;
  dealerId: number;
  deviceSerial: string;
  faultCode: string;
  repairDate: string;
  workDone: string;
  signatureRef: string | null;
  attachments: string[];
  status: ClaimStatus;
  claimCodes: ClaimReasonCode[];
  partsDueOn: string | null;
  auditRequired: boolean;
  auditedAt: Date | null;
  resubmissions: number;
  sentBackAt: Date | null;
  createdAt: Date;
  lines: ClaimLine[];
}

export interface ClaimSubmission {
  dealerId: number;
  deviceSerial: string;
  faultCode: string;
  repairDate: string;
  workDone: string;
  signatureRef?: string;
  attachments?: string[];
  lines: ClaimLineInput[];
}

/** A claim as a list shows it: what was claimed and approved, in the currency of its first line. */
export interface ClaimSummary {
  id: number;
  dealerId: number;
  deviceSerial: string;
  repairDate: string;
  status: ClaimStatus;
  claimed: { amount: number; currency: string };
  approved: { amount: number; currency: string };
}

export function claimSummary(claim: Pick<Claim, 'id' | 'dealerId' | 'deviceSerial' | 'repairDate' | 'status'> & { lines: Array<Pick<ClaimLine, 'claimed' | 'approved'>> }): ClaimSummary {
  const currency = claim.lines[0]?.claimed.currency ?? 'CNY';
  return {
    id: claim.id,
    dealerId: claim.dealerId,
    deviceSerial: claim.deviceSerial,
    repairDate: claim.repairDate,
    status: claim.status,
    claimed: { amount: claim.lines.reduce((sum, l) => sum + l.claimed.amount, 0), currency },
    approved: { amount: claim.lines.reduce((sum, l) => sum + (l.approved?.amount ?? 0), 0), currency },
  };
}

const toLine = (row: Row): ClaimLine => ({
  id: num(row.id),
  lineNo: num(row.line_no),
  input: fromJson<ClaimLineInput>(row.detail),
  claimed: { amount: num(row.claimed_minor), currency: String(row.currency) },
  codes: fromJson<LineReasonCode[]>(row.codes),
  status: row.status as LineStatus,
  approved: row.approved_minor === null || row.approved_minor === undefined ? null : { amount: num(row.approved_minor), currency: String(row.currency) },
  decisionReason: (row.decision_reason as string | null) ?? null,
  receivedOn: (row.received_on as string | null) ?? null,
  appraisal: (row.appraisal as Appraisal | null) ?? null,
});

const toClaim = (row: Row, lines: ClaimLine[]): Claim => ({
  id: num(row.id),
  dealerId: num(row.dealer_id),
  deviceSerial: String(row.device_serial),
  faultCode: String(row.fault_code),
  repairDate: String(row.repair_date),
  workDone: String(row.work_done),
  signatureRef: (row.signature_ref as string | null) ?? null,
  attachments: fromJson<string[]>(row.attachments),
  status: row.status as ClaimStatus,
  claimCodes: fromJson<ClaimReasonCode[]>(row.claim_codes),
  partsDueOn: (row.parts_due_on as string | null) ?? null,
  auditRequired: Boolean(Number(row.audit_required)),
  auditedAt: toDate(row.audited_at),
  resubmissions: num(row.resubmissions),
  sentBackAt: toDate(row.sent_back_at),
  createdAt: toRequiredDate(row.created_at),
  lines,
});

/** The device serial, fault and repair date that make a duplicate; set on live claims only. */
const duplicateKey = (serial: string, fault: string, repairDate: string): string => `${serial}|${fault.trim().toLowerCase()}|${repairDate}`;

export class ClaimsRepository {
  constructor(private readonly db: Knex) {}

  // --- Reference data -------------------------------------------------------------------------

  async putModelReference(model: string, parts: Array<{ partNo: string; name?: string }>, operations: Array<{ operation: string; standardHundredths: number }>): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('model_parts').where({ model }).delete();
      await trx('model_operations').where({ model }).delete();
      if (parts.length > 0) await trx('model_parts').insert(parts.map((p) => ({ model, part_no: p.partNo, name: p.name ?? null })));
      if (operations.length > 0) await trx('model_operations').insert(operations.map((o) => ({ model, operation: o.operation, standard_hundredths: o.standardHundredths })));
    });
  }

  private async limitsFor(trx: Knex, model: string | null, policy: ServicePolicy['dealer']): Promise<ClaimLimits> {
    const parts = model ? ((await trx('model_parts').where({ model }).select('part_no')) as Row[]) : [];
    const operations = model ? ((await trx('model_operations').where({ model }).select('operation', 'standard_hundredths')) as Row[]) : [];
    return {
      partsOnModel: parts.map((p) => String(p.part_no)),
      operationHundredths: Object.fromEntries(operations.map((o) => [String(o.operation), num(o.standard_hundredths)])),
      maxLabourRate: policy.maxLabourRate,
      travelCap: policy.travelCap,
    };
  }
  // --- Claims -----------------------------------------------------------------------------------

  /**
   * Runs the automatic checks and records the claim. A duplicate is refused before anything is
   * written (ConflictError, also when two submissions race: the unique duplicate_key); any other
   * claim code records the claim as rejected, every line carrying why.
   */
  async submitClaim(input: ClaimSubmission, policy: ServicePolicy['dealer'], submittedBy: number, now: Date, today: string): Promise<Claim> {
    const id = await this.db.transaction(async (trx) => {
      const saleRow = (await trx('dealer_sales').where({ device_serial: input.deviceSerial }).first()) as Row | undefined;
      const sale = saleRow ? toSale(saleRow) : null;
      // Another dealer's sale and claims say nothing to this claim (NOT_SOLD_BY_DEALER refuses it
      // anyway): not its model's lists, not its claims as duplicates, else the answer would tell.
      const ownSale = sale && sale.dealerId === input.dealerId ? sale : null;
      const limits = await this.limitsFor(trx, ownSale?.model ?? null, policy);
      const earlier = (await trx('claims').where({ device_serial: input.deviceSerial, dealer_id: input.dealerId }).whereNot({ status: 'rejected' }).select('device_serial', 'fault_code', 'repair_date')) as Row[];
      const result = checkClaim({ ...input }, sale, limits, earlier.map((e) => ({ deviceSerial: String(e.device_serial), faultCode: String(e.fault_code), repairDate: String(e.repair_date) })));
      if (result.claimCodes.includes('DUPLICATE_CLAIM')) throw new ConflictError(words('refusal.dealer.duplicateClaim'), { field: 'faultCode', code: 'DUPLICATE_CLAIM' });
      const refused = claimRefused(result);
      const hasParts = input.lines.some((line) => line.kind === 'part');
      let claimId: number;
      try {
        claimId = insertedId(
          await trx('claims').insert({
            dealer_id: input.dealerId,
            sale_id: ownSale?.id ?? null,
            device_serial: input.deviceSerial,
            fault_code: input.faultCode.trim(),
            repair_date: input.repairDate,
            work_done: input.workDone,
            signature_ref: input.signatureRef ?? null,
            attachments: toJson(input.attachments ?? []),
            status: refused ? 'rejected' : 'in_review',
            claim_codes: toJson(result.claimCodes),
            duplicate_key: refused ? null : duplicateKey(input.deviceSerial, input.faultCode, input.repairDate),
            parts_due_on: !refused && hasParts ? oldPartReturnDueDate(today, policy.oldPartReturnDeadlines) : null,
            audit_required: false,
            // The model the dealer KPIs filter by: the sale's, whichever dealer sold it.
            model: sale?.model ?? null,
            submitted_by: submittedBy,
            created_at: now,
            updated_at: now,
          }),
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(words('refusal.dealer.duplicateClaim'), { field: 'faultCode', code: 'DUPLICATE_CLAIM' }, { cause: error });
        throw error;
      }
      await trx('claims').where({ id: claimId }).update({ audit_required: !refused && sampledForAudit(claimId, policy.auditSampleRate) });
      if (!refused && hasParts) {
        const dueOn = oldPartReturnDueDate(today, policy.oldPartReturnDeadlines);
        await openDeadline(trx, 'claim', claimId, 'old_part_return', words('deadline.dealer.old_part_return', { claimId, serial: input.deviceSerial }), endOfLocalDay(dueOn, policy.settlementTimeZone));
      }
      await trx('claim_lines').insert(
        input.lines.map((line, index) => {
          const claimed = lineAmount(line);
          return {
            claim_id: claimId,
            dealer_id: input.dealerId,
            line_no: index + 1,
            kind: line.kind,
            detail: toJson(line),
            currency: claimed.currency,
            claimed_minor: claimed.amount,
            codes: toJson(result.lineCodes[index] ?? []),
            status: refused ? 'rejected' : 'open',
            decision_reason: refused ? result.claimCodes.join(', ') : null,
            model: sale?.model ?? null,
          };
        }),
      );
      return claimId;
    });
    return (await this.claim(id, ALL_ROWS))!;
  }

  async claim(id: number, scope: Scope, db: Knex = this.db): Promise<Claim | null> {
    const row = (await whereInScope(db('claims').where({ id }), scope, { dealer: 'dealer_id' }).first()) as Row | undefined;
    if (!row) return null;
    const lines = ((await db('claim_lines').where({ claim_id: id }).orderBy('line_no')) as Row[]).map(toLine);
    return toClaim(row, lines);
  }

  /** The first 500 claims in reach, with their lines: two queries, not one per claim (a dealer's page at volume). */
  async listClaims(scope: Scope, status?: ClaimStatus): Promise<Claim[]> {
    let query = whereInScope(this.db('claims').orderBy('id'), scope, { dealer: 'dealer_id' });
    if (status) query = query.where({ status });
    const rows = (await query.limit(500)) as Row[];
    const lines = rows.length === 0 ? [] : ((await this.db('claim_lines').whereIn('claim_id', rows.map((r) => num(r.id))).orderBy([{ column: 'claim_id' }, { column: 'line_no' }])) as Row[]);
    const byClaim = groupBy(lines, 'claim_id');
    return rows.map((row) => toClaim(row, (byClaim.get(num(row.id)) ?? []).map(toLine)));
  }

  /**
   * The same claims as listClaims, as a list shows them: their amounts summed from the lines' money
   * columns, without reading each line's detail and codes (JSON) that a list does not show.
   */
  async listClaimSummaries(scope: Scope, status?: ClaimStatus): Promise<ClaimSummary[]> {
    let query = whereInScope(this.db('claims').orderBy('id'), scope, { dealer: 'dealer_id' }).select('id', 'dealer_id', 'device_serial', 'repair_date', 'status');
    if (status) query = query.where({ status });
    const rows = (await query.limit(500)) as Row[];
    const lines = rows.length === 0 ? [] : ((await this.db('claim_lines').whereIn('claim_id', rows.map((r) => num(r.id))).orderBy([{ column: 'claim_id' }, { column: 'line_no' }]).select('claim_id', 'currency', 'claimed_minor', 'approved_minor')) as Row[]);
    const byClaim = groupBy(lines, 'claim_id');
    return rows.map((row) => {
      const of = byClaim.get(num(row.id)) ?? [];
      return claimSummary({
        id: num(row.id),
        dealerId: num(row.dealer_id),
        deviceSerial: String(row.device_serial),
        repairDate: String(row.repair_date),
        status: row.status as ClaimStatus,
        lines: of.map((l) => ({ claimed: { amount: num(l.claimed_minor), currency: String(l.currency) }, approved: l.approved_minor === null || l.approved_minor === undefined ? null : { amount: num(l.approved_minor), currency: String(l.currency) } })),
      });
    });
  }

  /** Locks the claim for a step; refuses one no longer in review. */
  private async lockClaim(trx: Knex.Transaction, id: number, action: ClaimAction): Promise<Claim> {
    const row = (await trx('claims').where({ id }).forUpdate().first('id')) as Row | undefined;
    if (!row) throw new NotFoundError(words('refusal.dealer.noClaim', { claimId: id }));
    const claim = (await this.claim(id, ALL_ROWS, trx))!;
    const refusal = claimActionRefusal(claim.status, action);
    if (refusal) throw new StepRefused(refusal);
    return claim;
  }

  private static partLine(claim: Claim, lineNo: number): ClaimLine {
    const line = claim.lines.find((l) => l.lineNo === lineNo);
    if (!line) throw new StepRefused(words('refusal.dealer.noLine', { lineNo }), 'lineNo');
    if (line.input.kind !== 'part') throw new StepRefused(words('refusal.dealer.notPart', { lineNo }), 'lineNo');
    return line;
  }

  async recordPartsReceived(id: number, lineNos: number[], receivedOn: string): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id, 'parts-received');
      for (const lineNo of lineNos) {
        const line = ClaimsRepository.partLine(claim, lineNo);
        if (line.receivedOn) throw new StepRefused(words('refusal.dealer.partReceived', { lineNo, date: line.receivedOn }), 'lineNos');
        if (line.status === 'lost') throw new StepRefused(words('refusal.dealer.partLost', { lineNo, date: claim.partsDueOn }), 'lineNos');
      }
      await trx('claim_lines').where({ claim_id: id }).whereIn('line_no', lineNos).update({ received_on: receivedOn });
      const awaited = (await trx('claim_lines').where({ claim_id: id, kind: 'part' }).whereNull('received_on').whereNot({ status: 'lost' }).count({ n: '*' }).first()) as Row;
      if (num(awaited.n) === 0) await closeDeadline(trx, 'claim', id, 'old_part_return');
      await trx('claims').where({ id }).update({ updated_at: new Date() });
    });
    return (await this.claim(id, ALL_ROWS))!;
  }

  async recordAppraisal(id: number, appraisals: Array<{ lineNo: number; appraisal: Appraisal }>): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id, 'appraisal');
      for (const { lineNo, appraisal } of appraisals) {
        const line = ClaimsRepository.partLine(claim, lineNo);
        if (!line.receivedOn) throw new StepRefused(words('refusal.dealer.partNotReceived', { lineNo }), 'appraisals');
        await trx('claim_lines').where({ claim_id: id, line_no: lineNo }).update({ appraisal });
      }
    });
    return (await this.claim(id, ALL_ROWS))!;
  }

  async recordAudit(id: number, note: string, at: Date): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id, 'audit');
      if (!claim.auditRequired) throw new StepRefused(words('refusal.dealer.notInAudit'));
      if (claim.auditedAt) throw new StepRefused(words('refusal.dealer.audited'));
      await trx('claims').where({ id }).update({ audited_at: at, audit_note: note, updated_at: at });
    });
    return (await this.claim(id, ALL_ROWS))!;
  }

  /**
   * Marks the lines lost to missing parts once the return date has passed (and the labour that
   * fitted them); the claim's other lines go on. Idempotent: a line already lost stays lost.
   */
  async applyPartsDeadline(id: number, today: string): Promise<number[]> {
    return this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id, 'parts-deadline');
      if (!claim.partsDueOn) return [];
      const returns = new Map(claim.lines.map((l) => [l.lineNo, { receivedOn: l.receivedOn, appraisal: l.appraisal }]));
      const lost = linesLostToMissingParts(
        claim.lines.map((l) => l.input),
        returns,
        claim.partsDueOn,
        today,
      ).filter((lineNo) => claim.lines.find((l) => l.lineNo === lineNo)?.status === 'open');
      if (lost.length > 0) {
        await trx('claim_lines').where({ claim_id: id }).whereIn('line_no', lost).update({ status: 'lost', decision_reason: `old part not returned by ${claim.partsDueOn}` });
        await closeDeadline(trx, 'claim', id, 'old_part_return', 'dropped');
        await this.closeIfDecided(trx, id);
      }
      return lost;
    });
  }

  /**
   * Applies the old-part return date to every claim whose date has passed (a settlement run does
   * this first, so a missing part is never written off): the claim ids that lost lines.
   */
  async applyPartsDeadlines(today: string): Promise<number[]> {
    const due = (await this.db('claims').whereIn('status', ['in_review', 'sent_back', 'decided']).where('parts_due_on', '<', today).select('id')) as Row[];
    const touched: number[] = [];
    for (const row of due) if ((await this.applyPartsDeadline(num(row.id), today)).length > 0) touched.push(num(row.id));
    return touched;
  }

  /** What the claim's timers need: its status, when it was sent back, and whether a part is still awaited. */
  async claimTimerFacts(id: number): Promise<{ status: ClaimStatus; sentBackAt: string | null; partsOutstanding: boolean }> {
    const claim = await this.claim(id, ALL_ROWS);
    if (!claim) throw new NotFoundError(words('refusal.dealer.noClaim', { claimId: id }));
    const partsOutstanding = claim.lines.some((l) => l.input.kind === 'part' && !l.receivedOn && (l.status === 'open' || l.status === 'sent_back'));
    return { status: claim.status, sentBackAt: claim.sentBackAt?.toISOString() ?? null, partsOutstanding };
  }

  /**
   * The resubmission window closed: the lines still sent back are rejected (not resubmitted in time)
   * and the claim is decided. Idempotent: a claim no longer sent back is left alone. The line numbers rejected.
   */
  async closeResubmitWindow(id: number, within: string, now: Date): Promise<number[]> {
    return this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id, 'resubmit-window');
      if (!claimActs(claim.status, 'resubmit-window')) return [];
      const lines = claim.lines.filter((l) => l.status === 'sent_back').map((l) => l.lineNo);
      await trx('claim_lines').where({ claim_id: id, status: 'sent_back' }).update({ status: 'rejected', decision_reason: `not resubmitted within ${within}`, decided_at: now });
      await this.closeIfDecided(trx, id);
      return lines;
    });
  }


  private async closeIfDecided(trx: Knex.Transaction, id: number): Promise<void> {
    const lines = (await trx('claim_lines').where({ claim_id: id }).pluck('status')) as LineStatus[];
    const status = claimStatusAfterLines(lines);
    if (status === 'decided') await trx('claims').where({ id }).update({ status: 'decided', updated_at: new Date() });
    else if (status === 'sent_back') await trx('claims').where({ id }).update({ status: 'sent_back', sent_back_at: new Date(), updated_at: new Date() });
  }

  /** A decision per line. Approving needs the audit done when the claim is in the sample. */
  async decide(id: number, decisions: Array<{ lineNo: number; decision: LineDecision }>, policy: ServicePolicy['dealer'], decidedBy: number, at: Date): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id, 'decision');
      const saleRow = (await trx('dealer_sales').where({ device_serial: claim.deviceSerial }).first('model')) as Row | undefined;
      const limits = await this.limitsFor(trx, saleRow ? String(saleRow.model) : null, policy);
      for (const [index, { lineNo, decision }] of decisions.entries()) {
        const line = claim.lines.find((l) => l.lineNo === lineNo);
        const state = line && { status: line.status, line: line.input, codes: line.codes, partReturn: { receivedOn: line.receivedOn, appraisal: line.appraisal } };
        const decided = decideLine(lineNo, state, claim.auditRequired && !claim.auditedAt, decision, limits);
        if ('refused' in decided) throw new StepRefused(decided.refused, decided.field === 'lineNo' ? `decisions.${index}.lineNo` : decided.field === 'decision' ? `decisions.${index}` : undefined);
        await trx('claim_lines')
          .where({ id: line!.id })
          .update({ status: decided.status, approved_minor: decided.approved?.amount ?? null, decision_reason: decided.reason, decided_at: at, decided_by: decidedBy });
      }
      await this.closeIfDecided(trx, id);
    });
    return (await this.claim(id, ALL_ROWS))!;
  }

  /** The dealer amends the lines sent back (same kinds, new figures) and resubmits, once, in time. */
  /** `calendar`: the business calendar a window in working days is counted on (null for an ISO window). */
  async resubmit(id: number, amended: Array<{ lineNo: number; line: ClaimLineInput }>, policy: ServicePolicy['dealer'], now: Date, scope: Scope, calendar: BusinessCalendar | null = null): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const visible = (await whereInScope(trx('claims').where({ id }), scope, { dealer: 'dealer_id' }).first('id')) as Row | undefined;
      if (!visible) throw new NotFoundError(words('refusal.dealer.noClaim', { claimId: id }));
      const claim = await this.lockClaim(trx, id, 'resubmit');
      const refusal = resubmitRefusal(claim.sentBackAt ?? now, now, claim.resubmissions, policy.resubmitWithin, calendar);
      if (refusal) throw new StepRefused(refusal);
      const saleRow = (await trx('dealer_sales').where({ device_serial: claim.deviceSerial }).first('model')) as Row | undefined;
      const limits = await this.limitsFor(trx, saleRow ? String(saleRow.model) : null, policy);
      const allLines = claim.lines.map((l) => amended.find((a) => a.lineNo === l.lineNo)?.line ?? l.input);
      const { lineCodes } = checkClaim({ dealerId: claim.dealerId, deviceSerial: claim.deviceSerial, faultCode: claim.faultCode, repairDate: claim.repairDate, lines: allLines }, null, limits, []);
      for (const [index, { lineNo, line }] of amended.entries()) {
        const current = claim.lines.find((l) => l.lineNo === lineNo);
        if (!current || current.status !== 'sent_back') throw new StepRefused(words('refusal.dealer.lineNotSentBack', { lineNo }), `lines.${index}.lineNo`);
        if (current.input.kind !== line.kind) throw new StepRefused(words('refusal.dealer.lineKind', { lineNo, kind: current.input.kind }), `lines.${index}.kind`);
      }
      for (const l of claim.lines.filter((x) => x.status === 'sent_back')) {
        const line = allLines[l.lineNo - 1]!;
        const amount = lineAmount(line);
        await trx('claim_lines')
          .where({ id: l.id })
          .update({ detail: toJson(line), currency: amount.currency, claimed_minor: amount.amount, codes: toJson(lineCodes[l.lineNo - 1] ?? []), status: 'open', decision_reason: null });
      }
      await trx('claims').where({ id }).update({ status: 'in_review', resubmissions: claim.resubmissions + 1, updated_at: now });
    });
    return (await this.claim(id, ALL_ROWS))!;
  }
}
