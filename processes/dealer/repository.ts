import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { ALL_ROWS, type Scope } from '../../domain/access';
import {
  cardClock,
  cardDueDate,
  cardStatus,
  checkClaim,
  dealerClaimWorkflowId,
  dealerTaskWorkflowId,
  endOfLocalDay,
  settlementConfirmKey,
  settlementConfirmWorkflowId,
  startOfLocalDay,
  warrantyCardWorkflowId,
  claimRefused,
  dealerTaskTimes,
  judgeDecision,
  lineAmount,
  linesLostToMissingParts,
  oldPartReturnDueDate,
  partsPlanWorkflowId,
  periodBounds,
  resubmitRefusal,
  sampledForAudit,
  warrantyEndDate,
  type Appraisal,
  type ClaimLimits,
  type ClaimLineInput,
  type ClaimReasonCode,
  type LineDecision,
  type LineReasonCode,
  type SaleFacts,
} from './rules';
import type { ServicePolicy } from '../../domain/policy';
import type { BusinessCalendar } from '../../domain/calendar';
import { ConflictError, NotFoundError, isDeadlock, isUniqueViolation } from '../../platform/db/errors';
import { keepClaimModels, keepFirstPostings, noteTicketsOfSerials } from '../../platform/db/keptFigures';
import { fromJson, insertedId, toJson, toRequiredDate, toDate } from '../../platform/db/mapping';
import { whereInScope } from '../../platform/db/scope';
import { CustomersRepository } from '../../installedBase/customers';
import { DeadlinesRepository, type DealerRecordType } from '../../schedule/deadlines/repository';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { DevicesRepository } from '../../installedBase/devices';

/**
 * Dealer warranty records: reference data, sales and cards, claims and their lines, settlements
 * and the receivables ledger. Each write is one transaction; the exactly-once rules of settlement
 * are unique keys (migration 0013), so concurrent or repeated calls cannot post twice.
 */

export class StepRefused extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

export interface DealerSale {
  id: number;
  dealerId: number;
  deviceSerial: string;
  model: string;
  saleDate: string;
  customerName: string;
  cardDueOn: string;
  cardCompletedOn: string | null;
  warranty: SaleFacts['warranty'];
  warrantyEndsOn: string | null;
  /** Why the warranty is not recognised (the card came late or never). */
  warrantyReason: string | null;
  /** The device the card registered. */
  deviceId: number | null;
}

export type ClaimStatus = 'in_review' | 'sent_back' | 'decided' | 'rejected';
export type LineStatus = 'open' | 'approved' | 'rejected' | 'sent_back' | 'lost';

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

export interface DealerTask {
  id: number;
  dealerId: number;
  deviceSerial: string;
  customerName: string;
  request: string;
  status: 'open' | 'arranged';
  arrangeDueAt: Date;
  clerkCheckAt: Date;
  arrangedAt: Date | null;
  visitAt: Date | null;
  arrangement: string | null;
  checkedAt: Date | null;
  customerEmail: string | null;
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

export type SettlementStatus = 'review' | 'sent' | 'confirmed' | 'disputed';

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

type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);

const toSale = (row: Row): DealerSale => ({
  id: num(row.id),
  dealerId: num(row.dealer_id),
  deviceSerial: String(row.device_serial),
  model: String(row.model),
  saleDate: String(row.sale_date),
  customerName: String(row.customer_name),
  cardDueOn: String(row.card_due_on),
  cardCompletedOn: (row.card_completed_on as string | null) ?? null,
  warranty: row.warranty as SaleFacts['warranty'],
  warrantyEndsOn: (row.warranty_ends_on as string | null) ?? null,
  warrantyReason: (row.warranty_reason as string | null) ?? null,
  deviceId: row.device_id === null || row.device_id === undefined ? null : num(row.device_id),
});

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

/** Rows by a numeric column, in the order given. */
function groupBy(rows: Row[], column: string): Map<number, Row[]> {
  const out = new Map<number, Row[]>();
  for (const row of rows) {
    const key = num(row[column]);
    const list = out.get(key);
    if (list) list.push(row);
    else out.set(key, [row]);
  }
  return out;
}

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

const toTask = (row: Row): DealerTask => ({
  id: num(row.id),
  dealerId: num(row.dealer_id),
  deviceSerial: String(row.device_serial),
  customerName: String(row.customer_name),
  request: String(row.request),
  status: row.status as DealerTask['status'],
  arrangeDueAt: toRequiredDate(row.arrange_due_at),
  clerkCheckAt: toRequiredDate(row.clerk_check_at),
  arrangedAt: toDate(row.arranged_at),
  visitAt: toDate(row.visit_at),
  arrangement: (row.arrangement as string | null) ?? null,
  checkedAt: toDate(row.checked_at),
  customerEmail: (row.customer_email as string | null) ?? null,
});

/** The device serial, fault and repair date that make a duplicate; set on live claims only. */
const duplicateKey = (serial: string, fault: string, repairDate: string): string => `${serial}|${fault.trim().toLowerCase()}|${repairDate}`;

/**
 * Pending dealer deadlines are rows in `deadlines` (work queues and GET /api/deadlines read them),
 * keyed by the process that chases them (warranty card, dealer task, claim); a statement's
 * confirmation, which no process chases yet, by the record's own key.
 */
const DEADLINE_OWNERS: Record<DealerRecordType, (id: number) => string> = {
  dealer_sale: warrantyCardWorkflowId,
  dealer_task: dealerTaskWorkflowId,
  claim: dealerClaimWorkflowId,
  settlement: settlementConfirmWorkflowId,
  parts_plan: partsPlanWorkflowId,
};

async function openDeadline(db: Knex, recordType: DealerRecordType, recordId: number, kind: string, description: string, dueAt: Date, key = kind): Promise<void> {
  await new DeadlinesRepository(db).open({ workflowId: DEADLINE_OWNERS[recordType](recordId), key, recordType, recordId, kind, description, dueAt }, new Date());
}

async function closeDeadline(db: Knex, recordType: DealerRecordType, recordId: number, kind: string, status: 'met' | 'dropped' = 'met'): Promise<void> {
  await new DeadlinesRepository(db).close(DEADLINE_OWNERS[recordType](recordId), kind, status, new Date());
}

export class DealerWarrantyRepository {
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

  // --- Sales and warranty cards --------------------------------------------------------------

  async createSale(input: { dealerId: number; deviceSerial: string; model: string; saleDate: string; customerName: string }, policy: ServicePolicy['dealer'], now: Date): Promise<DealerSale> {
    try {
      const id = await this.db.transaction(async (trx) => {
        const saleId = insertedId(
          await trx('dealer_sales').insert({
            dealer_id: input.dealerId,
            device_serial: input.deviceSerial,
            model: input.model,
            sale_date: input.saleDate,
            customer_name: input.customerName,
            card_due_on: cardDueDate(input.saleDate, policy.warrantyCardWithin),
            warranty: 'pending',
            created_at: now,
          }),
        );
        // The KPI figures: the serial's tickets now have a selling dealer, its claims a model.
        await noteTicketsOfSerials(trx, [input.deviceSerial]);
        await keepClaimModels(trx, [input.deviceSerial]);
        await openDeadline(trx, 'dealer_sale', saleId, 'warranty_card', `Warranty card for ${input.deviceSerial}`, cardClock(input.saleDate, now, policy, policy.settlementTimeZone).dueAt);
        return saleId;
      });
      return (await this.sale(id, ALL_ROWS))!;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`device ${input.deviceSerial} has a sale on record already`, { field: 'deviceSerial' }, { cause: error });
      throw error;
    }
  }

  /** Removes a sale whose process could not start (and its deadline row): nothing stands without its timers. */
  async deleteSale(id: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      const serials = (await trx('dealer_sales').where({ id }).pluck('device_serial')) as string[];
      await trx('deadlines').where({ workflow_id: warrantyCardWorkflowId(id) }).delete();
      await trx('dealer_sales').where({ id }).delete();
      // The KPI figures: the serial's tickets lose their selling dealer, its claims their model.
      await noteTicketsOfSerials(trx, serials);
      await keepClaimModels(trx, serials);
    });
  }

  async sale(id: number, scope: Scope): Promise<DealerSale | null> {
    const row = (await whereInScope(this.db('dealer_sales').where({ id }), scope, { dealer: 'dealer_id' }).first()) as Row | undefined;
    return row ? toSale(row) : null;
  }

  /** The dealer sale of a device whose card is recognised and whose warranty still runs on `today` (YYYY-MM-DD): a 三包 device. */
  async saleInWarranty(deviceSerial: string, today: string): Promise<DealerSale | null> {
    const row = (await this.db('dealer_sales').where({ device_serial: deviceSerial, warranty: 'recognised' }).where('warranty_ends_on', '>=', today).orderBy('id', 'desc').first()) as Row | undefined;
    return row ? toSale(row) : null;
  }

  /** Completes the card: in time, the warranty runs from the sale date; late, it is not recognised. */
  async completeCard(id: number, cardDate: string, card: Record<string, unknown>, policy: ServicePolicy, scope: Scope): Promise<DealerSale> {
    return this.db.transaction(async (trx) => {
      const row = (await whereInScope(trx('dealer_sales').where({ id }), scope, { dealer: 'dealer_id' }).forUpdate().first()) as Row | undefined;
      if (!row) throw new NotFoundError(`no dealer sale ${id}`);
      const sale = toSale(row);
      if (sale.cardCompletedOn) throw new StepRefused(`the card was completed on ${sale.cardCompletedOn}`);
      if (cardDate < sale.saleDate) throw new StepRefused('the card cannot be dated before the sale', 'cardDate');
      const status = cardStatus(sale.saleDate, cardDate, policy.dealer.warrantyCardWithin);
      const length = policy.warranty.length;
      const calendar = typeof length === 'string' ? null : await new CalendarsRepository(trx).load(policy.calendar);
      await trx('dealer_sales')
        .where({ id })
        .update({
          card_completed_on: cardDate,
          card: toJson(card),
          warranty: status === 'in_time' ? 'recognised' : 'not_recognised',
          warranty_ends_on: status === 'in_time' ? warrantyEndDate(sale.saleDate, length, calendar) : null,
        });
      await closeDeadline(trx, 'dealer_sale', id, 'warranty_card');
      return toSale((await trx('dealer_sales').where({ id }).first()) as Row);
    });
  }

  /**
   * The warranty card recorded in time (the warrantyCard process judged it): the warranty runs from
   * the sale date, and the device is registered with those dates (its end user as a customer when the
   * device is not on record yet). One transaction; a repeat finds the card and answers the same device.
   */
  async recordCardInTime(id: number, cardDate: string, card: Record<string, unknown>, warrantyEndsOn: string, timeZone: string, now: Date): Promise<{ deviceId: number }> {
    return this.db.transaction(async (trx) => {
      const row = (await trx('dealer_sales').where({ id }).forUpdate().first()) as Row | undefined;
      if (!row) throw new NotFoundError(`no dealer sale ${id}`);
      if (row.device_id !== null && row.device_id !== undefined) return { deviceId: num(row.device_id) };
      const sale = toSale(row);
      const devices = new DevicesRepository(trx);
      let device = await devices.getBySerial(sale.deviceSerial);
      if (!device) {
        const customer = await new CustomersRepository(trx).create({ name: sale.customerName, ...(typeof card.customerAddress === 'string' ? { address: card.customerAddress } : {}), timeZone }, now);
        device = (await devices.createMany(customer.id, [{ model: sale.model, serial: sale.deviceSerial }], now))[0]!;
      }
      await devices.setWarranty([sale.deviceSerial], startOfLocalDay(sale.saleDate, timeZone), endOfLocalDay(warrantyEndsOn, timeZone), now);
      await trx('dealer_sales')
        .where({ id })
        .update({ card_completed_on: cardDate, card: toJson(card), warranty: 'recognised', warranty_ends_on: warrantyEndsOn, device_id: device.id, warranty_reason: null });
      await closeDeadline(trx, 'dealer_sale', id, 'warranty_card');
      return { deviceId: device.id };
    });
  }

  /** No card by the deadline: the sale's warranty is not recognised, with the reason. Idempotent. */
  async expireCard(id: number, reason: string): Promise<boolean> {
    const changed = await this.db('dealer_sales').where({ id, warranty: 'pending' }).update({ warranty: 'not_recognised', warranty_reason: reason });
    return changed > 0;
  }

  // --- Dealer tasks ------------------------------------------------------------------------------

  /** A 三包 request for a dealer: its arrangement and the clerk's check fall due (rows in deadlines). */
  async createTask(input: { dealerId: number; deviceSerial: string; customerName: string; customerPhone?: string; customerEmail?: string; customerLocale?: 'zh-CN' | 'en'; request: string }, policy: ServicePolicy['dealer'], createdBy: number, now: Date): Promise<DealerTask> {
    const times = dealerTaskTimes(now, policy.taskArrangeWithin, policy.clerkCheckAt);
    const id = await this.db.transaction(async (trx) => {
      const taskId = insertedId(
        await trx('dealer_tasks').insert({
          dealer_id: input.dealerId,
          device_serial: input.deviceSerial,
          customer_name: input.customerName,
          customer_phone: input.customerPhone ?? null,
          customer_email: input.customerEmail ?? null,
          customer_locale: input.customerLocale ?? null,
          request: input.request,
          status: 'open',
          arrange_due_at: times.arrangeDueAt,
          clerk_check_at: times.clerkCheckAt,
          created_by: createdBy,
          created_at: now,
        }),
      );
      await openDeadline(trx, 'dealer_task', taskId, 'dealer_task_arrange', `Dealer arranges the service of ${input.deviceSerial}`, times.arrangeDueAt);
      await openDeadline(trx, 'dealer_task', taskId, 'dealer_task_clerk_check', `Sales clerk checks the dealer arranged ${input.deviceSerial}`, times.clerkCheckAt);
      return taskId;
    });
    return (await this.task(id, ALL_ROWS))!;
  }

  /** Removes a task whose process could not start (and its deadline rows). */
  async deleteTask(id: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('deadlines').where({ workflow_id: dealerTaskWorkflowId(id) }).delete();
      await trx('dealer_tasks').where({ id }).delete();
    });
  }

  async task(id: number, scope: Scope): Promise<DealerTask | null> {
    const row = (await whereInScope(this.db('dealer_tasks').where({ id }), scope, { dealer: 'dealer_id' }).first()) as Row | undefined;
    return row ? toTask(row) : null;
  }

  /** Tasks not yet checked by the sales clerk, in the caller's scope, the soonest arrangement deadline first. */
  async listOpenTasks(scope: Scope): Promise<DealerTask[]> {
    const rows = (await whereInScope(this.db('dealer_tasks').whereNull('checked_at').orderBy([{ column: 'arrange_due_at' }, { column: 'id' }]), scope, { dealer: 'dealer_id' }).limit(500)) as Row[];
    return rows.map(toTask);
  }

  /** Sales in the caller's scope, the card due soonest first. */
  async listSales(scope: Scope): Promise<DealerSale[]> {
    const rows = (await whereInScope(this.db('dealer_sales').orderBy([{ column: 'card_due_on' }, { column: 'id' }]), scope, { dealer: 'dealer_id' }).limit(500)) as Row[];
    return rows.map(toSale);
  }

  /** The dealer arranges the service (a visit time and what it will do); the arrangement deadline is met. */
  async arrangeTask(id: number, visitAt: Date, arrangement: string, scope: Scope, now: Date): Promise<DealerTask> {
    await this.db.transaction(async (trx) => {
      const row = (await whereInScope(trx('dealer_tasks').where({ id }), scope, { dealer: 'dealer_id' }).forUpdate().first('status')) as Row | undefined;
      if (!row) throw new NotFoundError(`no dealer task ${id}`);
      if (row.status !== 'open') {
        // The same arrangement again (a retried recording) changes nothing.
        const same = (await trx('dealer_tasks').where({ id, arrangement }).first('id')) as Row | undefined;
        if (same) return;
        throw new StepRefused('the task is arranged already');
      }
      await trx('dealer_tasks').where({ id }).update({ status: 'arranged', arranged_at: now, visit_at: visitAt, arrangement });
      await closeDeadline(trx, 'dealer_task', id, 'dealer_task_arrange');
    });
    return (await this.task(id, ALL_ROWS))!;
  }

  /** The sales clerk's check: done once the dealer arranged the task (its deadline met). Idempotent. */
  async checkTask(id: number, note = '', now: Date = new Date()): Promise<DealerTask> {
    const task = await this.task(id, ALL_ROWS);
    if (!task) throw new NotFoundError(`no dealer task ${id}`);
    if (task.status !== 'arranged') throw new StepRefused('the dealer has not arranged the task: escalate to leadership');
    await this.db.transaction(async (trx) => {
      await trx('dealer_tasks').where({ id }).whereNull('checked_at').update({ checked_at: now, check_note: note });
      await closeDeadline(trx, 'dealer_task', id, 'dealer_task_clerk_check');
    });
    return (await this.task(id, ALL_ROWS))!;
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
      if (result.claimCodes.includes('DUPLICATE_CLAIM')) throw new ConflictError('a claim for this device, fault and repair date exists already (DUPLICATE_CLAIM)', { field: 'faultCode', code: 'DUPLICATE_CLAIM' });
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
        if (isUniqueViolation(error)) throw new ConflictError('a claim for this device, fault and repair date exists already (DUPLICATE_CLAIM)', { field: 'faultCode', code: 'DUPLICATE_CLAIM' }, { cause: error });
        throw error;
      }
      await trx('claims').where({ id: claimId }).update({ audit_required: !refused && sampledForAudit(claimId, policy.auditSampleRate) });
      if (!refused && hasParts) {
        const dueOn = oldPartReturnDueDate(today, policy.oldPartReturnDeadlines);
        await openDeadline(trx, 'claim', claimId, 'old_part_return', `Old parts of claim ${claimId} (${input.deviceSerial})`, endOfLocalDay(dueOn, policy.settlementTimeZone));
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
  private async lockClaim(trx: Knex.Transaction, id: number, states: ClaimStatus[] = ['in_review']): Promise<Claim> {
    const row = (await trx('claims').where({ id }).forUpdate().first('id')) as Row | undefined;
    if (!row) throw new NotFoundError(`no claim ${id}`);
    const claim = (await this.claim(id, ALL_ROWS, trx))!;
    if (!states.includes(claim.status)) throw new StepRefused(`the claim is ${claim.status.replace('_', ' ')}`);
    return claim;
  }

  private static partLine(claim: Claim, lineNo: number): ClaimLine {
    const line = claim.lines.find((l) => l.lineNo === lineNo);
    if (!line) throw new StepRefused(`the claim has no line ${lineNo}`, 'lineNo');
    if (line.input.kind !== 'part') throw new StepRefused(`line ${lineNo} is not a part`, 'lineNo');
    return line;
  }

  async recordPartsReceived(id: number, lineNos: number[], receivedOn: string): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id);
      for (const lineNo of lineNos) {
        const line = DealerWarrantyRepository.partLine(claim, lineNo);
        if (line.receivedOn) throw new StepRefused(`the part of line ${lineNo} was received on ${line.receivedOn}`, 'lineNos');
        if (line.status === 'lost') throw new StepRefused(`the part of line ${lineNo} missed its return date ${claim.partsDueOn}`, 'lineNos');
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
      const claim = await this.lockClaim(trx, id);
      for (const { lineNo, appraisal } of appraisals) {
        const line = DealerWarrantyRepository.partLine(claim, lineNo);
        if (!line.receivedOn) throw new StepRefused(`the part of line ${lineNo} has not been received`, 'appraisals');
        await trx('claim_lines').where({ claim_id: id, line_no: lineNo }).update({ appraisal });
      }
    });
    return (await this.claim(id, ALL_ROWS))!;
  }

  async recordAudit(id: number, note: string, at: Date): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id);
      if (!claim.auditRequired) throw new StepRefused('this claim is not in the audit sample');
      if (claim.auditedAt) throw new StepRefused('the claim has been audited already');
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
      const claim = await this.lockClaim(trx, id, ['in_review', 'decided', 'sent_back']);
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
    if (!claim) throw new NotFoundError(`no claim ${id}`);
    const partsOutstanding = claim.lines.some((l) => l.input.kind === 'part' && !l.receivedOn && (l.status === 'open' || l.status === 'sent_back'));
    return { status: claim.status, sentBackAt: claim.sentBackAt?.toISOString() ?? null, partsOutstanding };
  }

  /**
   * The resubmission window closed: the lines still sent back are rejected (not resubmitted in time)
   * and the claim is decided. Idempotent: a claim no longer sent back is left alone. The line numbers rejected.
   */
  async closeResubmitWindow(id: number, within: string, now: Date): Promise<number[]> {
    return this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id, ['in_review', 'sent_back', 'decided', 'rejected']);
      if (claim.status !== 'sent_back') return [];
      const lines = claim.lines.filter((l) => l.status === 'sent_back').map((l) => l.lineNo);
      await trx('claim_lines').where({ claim_id: id, status: 'sent_back' }).update({ status: 'rejected', decision_reason: `not resubmitted within ${within}`, decided_at: now });
      await this.closeIfDecided(trx, id);
      return lines;
    });
  }

  /** Removes a claim whose process could not start: nothing stands without its timers. */
  async deleteClaim(id: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('deadlines').where({ workflow_id: dealerClaimWorkflowId(id) }).delete();
      await trx('claim_lines').where({ claim_id: id }).delete();
      await trx('claims').where({ id }).delete();
    });
  }

  private async closeIfDecided(trx: Knex.Transaction, id: number): Promise<void> {
    const open = (await trx('claim_lines').where({ claim_id: id }).whereIn('status', ['open', 'sent_back']).count({ n: '*' }).first()) as Row;
    const sentBack = (await trx('claim_lines').where({ claim_id: id, status: 'sent_back' }).count({ n: '*' }).first()) as Row;
    const stillOpen = (await trx('claim_lines').where({ claim_id: id, status: 'open' }).count({ n: '*' }).first()) as Row;
    if (num(open.n) === 0) await trx('claims').where({ id }).update({ status: 'decided', updated_at: new Date() });
    else if (num(stillOpen.n) === 0 && num(sentBack.n) > 0) await trx('claims').where({ id }).update({ status: 'sent_back', sent_back_at: new Date(), updated_at: new Date() });
  }

  /** A decision per line. Approving needs the audit done when the claim is in the sample. */
  async decide(id: number, decisions: Array<{ lineNo: number; decision: LineDecision }>, policy: ServicePolicy['dealer'], decidedBy: number, at: Date): Promise<Claim> {
    await this.db.transaction(async (trx) => {
      const claim = await this.lockClaim(trx, id);
      const saleRow = (await trx('dealer_sales').where({ device_serial: claim.deviceSerial }).first('model')) as Row | undefined;
      const limits = await this.limitsFor(trx, saleRow ? String(saleRow.model) : null, policy);
      for (const [index, { lineNo, decision }] of decisions.entries()) {
        const line = claim.lines.find((l) => l.lineNo === lineNo);
        if (!line) throw new StepRefused(`the claim has no line ${lineNo}`, `decisions.${index}.lineNo`);
        if (line.status !== 'open') throw new StepRefused(`line ${lineNo} is ${line.status.replace('_', ' ')}`, `decisions.${index}.lineNo`);
        if ((decision.kind === 'approve' || decision.kind === 'approve_part') && claim.auditRequired && !claim.auditedAt) throw new StepRefused('the claim is in the audit sample: the sales audit comes first');
        const judged = judgeDecision({ line: line.input, codes: line.codes, partReturn: { receivedOn: line.receivedOn, appraisal: line.appraisal } }, decision, limits);
        if ('refused' in judged) throw new StepRefused(`line ${lineNo}: ${judged.refused}`, `decisions.${index}`);
        await trx('claim_lines')
          .where({ id: line.id })
          .update({
            status: decision.kind === 'approve' || decision.kind === 'approve_part' ? 'approved' : decision.kind === 'reject' ? 'rejected' : 'sent_back',
            approved_minor: judged.approved?.amount ?? null,
            decision_reason: 'reason' in decision ? decision.reason : null,
            decided_at: at,
            decided_by: decidedBy,
          });
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
      if (!visible) throw new NotFoundError(`no claim ${id}`);
      const claim = await this.lockClaim(trx, id, ['sent_back']);
      const refusal = resubmitRefusal(claim.sentBackAt ?? now, now, claim.resubmissions, policy.resubmitWithin, calendar);
      if (refusal) throw new StepRefused(refusal);
      const saleRow = (await trx('dealer_sales').where({ device_serial: claim.deviceSerial }).first('model')) as Row | undefined;
      const limits = await this.limitsFor(trx, saleRow ? String(saleRow.model) : null, policy);
      const allLines = claim.lines.map((l) => amended.find((a) => a.lineNo === l.lineNo)?.line ?? l.input);
      const { lineCodes } = checkClaim({ dealerId: claim.dealerId, deviceSerial: claim.deviceSerial, faultCode: claim.faultCode, repairDate: claim.repairDate, lines: allLines }, null, limits, []);
      for (const [index, { lineNo, line }] of amended.entries()) {
        const current = claim.lines.find((l) => l.lineNo === lineNo);
        if (!current || current.status !== 'sent_back') throw new StepRefused(`line ${lineNo} was not sent back`, `lines.${index}.lineNo`);
        if (current.input.kind !== line.kind) throw new StepRefused(`line ${lineNo} is a ${current.input.kind} line`, `lines.${index}.kind`);
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

  // --- Settlement -------------------------------------------------------------------------------

  /**
   * Freezes each dealer's approved, unsettled lines decided before the period's end into one
   * statement per dealer and currency. Safe to run twice, or twice at once: the statement of a
   * (dealer, period, currency) exists once and a line joins one statement ever (unique keys); a
   * run that loses the race answers the winner's statement.
   */
  async runSettlement(period: string, policy: ServicePolicy['dealer'], now: Date, dealerId?: number, startedBy?: number): Promise<number[]> {
    const { end } = periodBounds(period, policy.settlementTimeZone);
    await this.applyPartsDeadlines(DateTime.fromJSDate(now, { zone: policy.settlementTimeZone }).toISODate()!);
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
    const sum = (await trx('settlement_lines').where({ settlement_id: id }).sum({ total: 'amount_minor' }).first()) as Row;
    await trx('settlements').where({ id }).update({ total_minor: num(sum.total ?? 0), updated_at: new Date() });
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

  private async lockSettlement(trx: Knex.Transaction, id: number, scope: Scope, states: SettlementStatus[]): Promise<Row> {
    const row = (await whereInScope(trx('settlements').where({ id }), scope, { dealer: 'dealer_id' }).forUpdate().first()) as Row | undefined;
    if (!row) throw new NotFoundError(`no settlement ${id}`);
    if (!states.includes(row.status as SettlementStatus)) throw new StepRefused(`the statement is ${String(row.status)}`);
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
      const row = await this.lockSettlement(trx, id, ALL_ROWS, ['review', 'disputed']);
      const changesLines = holdClaimLineIds.length > 0 || corrections.length > 0;
      if (row.status === 'disputed') {
        if (!answer?.trim()) throw new StepRefused('the dealer disputed the statement: answer the dispute', 'answer');
        await trx('settlements')
          .where({ id })
          .update({ dispute_answer: answer, version: changesLines ? num(row.version) + 1 : num(row.version) });
      }
      if (holdClaimLineIds.length > 0) {
        const held = await trx('settlement_lines').where({ settlement_id: id }).whereIn('claim_line_id', holdClaimLineIds).delete();
        if (held !== holdClaimLineIds.length) throw new StepRefused('every held line must be on this statement', 'holdLineIds');
      }
      for (const [index, correction] of corrections.entries()) {
        const line = (await trx('settlement_lines as s').join('claim_lines as l', 'l.id', 's.claim_line_id').where({ 's.settlement_id': id, 's.claim_line_id': correction.claimLineId }).first('s.id', 'l.claimed_minor')) as Row | undefined;
        if (!line) throw new StepRefused(`claim line ${correction.claimLineId} is not on this statement`, `corrections.${index}.claimLineId`);
        if (correction.amount > num(line.claimed_minor)) throw new StepRefused(`at most ${num(line.claimed_minor)} was claimed for line ${correction.claimLineId}`, `corrections.${index}.amount`);
        await trx('settlement_lines').where({ id: num(line.id) }).update({ amount_minor: correction.amount });
      }
      await this.retotal(trx, id);
      const dueAt = confirmDueAt;
      await trx('settlements').where({ id }).update({ status: 'sent', confirm_due_at: dueAt, updated_at: now });
      await openDeadline(trx, 'settlement', id, 'settlement_confirm', `Dealer confirms statement ${id}`, dueAt, settlementConfirmKey(dueAt));
      void policy;
    });
    return (await this.settlement(id, ALL_ROWS))!;
  }

  /** The dealer disputes the statement: a reason, and the lines it disputes (each on this statement). */
  async dispute(id: number, reason: string, scope: Scope, now: Date, claimLineIds: number[] = []): Promise<Settlement> {
    await this.db.transaction(async (trx) => {
      await this.lockSettlement(trx, id, scope, ['sent']);
      const onStatement = ((await trx('settlement_lines').where({ settlement_id: id }).whereIn('claim_line_id', claimLineIds).select('claim_line_id')) as Row[]).map((r) => num(r.claim_line_id));
      const stranger = claimLineIds.findIndex((lineId) => !onStatement.includes(lineId));
      if (stranger >= 0) throw new StepRefused(`claim line ${claimLineIds[stranger]} is not on this statement`, `claimLineIds.${stranger}`);
      await trx('settlements').where({ id }).update({ status: 'disputed', dispute_reason: reason, dispute_lines: toJson(claimLineIds), updated_at: now });
      await new DeadlinesRepository(trx).closeAll(settlementConfirmWorkflowId(id), 'met', now);
    });
    return (await this.settlement(id, ALL_ROWS))!;
  }

  /** The dealer confirms; the total is posted to the ledger in the same transaction. */
  async confirm(id: number, version: number, scope: Scope, now: Date): Promise<Settlement> {
    await this.db.transaction(async (trx) => {
      const row = await this.lockSettlement(trx, id, scope, ['sent']);
      if (num(row.version) !== version) throw new StepRefused(`the statement is at version ${num(row.version)}, not ${version}`, 'version');
      await trx('settlements').where({ id }).update({ status: 'confirmed', updated_at: now });
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
      if (!row) throw new NotFoundError(`no settlement ${settlementId}`);
      if (row.status !== 'confirmed') throw new StepRefused(`the statement is ${String(row.status)}, not confirmed`);
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
