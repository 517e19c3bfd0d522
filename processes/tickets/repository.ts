import type { Knex } from 'knex';
import type { Scope } from '../../domain/access';
import type { Entitlement, TicketClocksRecord } from './rules';
import { noteTicketFigures, noteTicketsAndRepeats } from '../../platform/db/keptFigures';
import { fromJson, insertedId, toBool, toDate, toJson, toRequiredDate } from '../../platform/db/mapping';
import { whereInScope, type ScopeColumns } from '../../platform/db/scope';
import { storedWords, type Words } from '../../domain/words';

/** P3 tickets (migration 0011): the row work queues read and its timeline. */

export type TicketKind = 'repair' | 'complaint';
export type TicketStatus = 'open' | 'assigned' | 'acknowledged' | 'on_site' | 'resolved' | 'closed';

export interface TicketContact {
  name: string;
  email: string;
  phone?: string;
  locale?: 'zh-CN' | 'en';
}

export interface Ticket {
  id: number;
  kind: TicketKind;
  customerId: number;
  deviceId: number | null;
  serial: string | null;
  model: string | null;
  channel: string;
  symptom: string;
  faultLevel: number;
  entitlement: Entitlement;
  status: TicketStatus;
  onHold: boolean;
  assigneeUserId: number | null;
  contact: TicketContact;
  clockState: TicketClocksRecord;
  charges: unknown;
  progress: Record<string, unknown>;
  repeatOfTicketId: number | null;
  /** Opened from asset care: the care plan and the follow-up (a call's or a visit's finding) it answers. */
  carePlanId: number | null;
  careFollowUpId: number | null;
  /** A 三包 repair routed at intake to the dealer: the dealer task that took it. */
  dealerTaskId: number | null;
  workflowId: string | null;
  openedAt: Date;
  resolvedAt: Date | null;
  closedAt: Date | null;
}

export interface NewTicket {
  kind: TicketKind;
  customerId: number;
  deviceId: number | null;
  serial: string | null;
  model: string | null;
  channel: string;
  symptom: string;
  faultLevel: number;
  entitlement: Entitlement;
  assigneeUserId: number | null;
  contact: TicketContact;
  clockState: TicketClocksRecord;
  repeatOfTicketId: number | null;
  openedAt: Date;
  carePlanId?: number | null;
  careFollowUpId?: number | null;
  dealerTaskId?: number | null;
  /** Routed to a dealer at intake: the ticket is closed as it opens (the dealer task runs the work). */
  closed?: boolean;
  /** What the row shows before the first step (a complaint's category). */
  progress?: Record<string, unknown>;
}

/** What a step changes on the row; absent fields stay. */
export interface TicketPatch {
  status?: TicketStatus;
  onHold?: boolean;
  assigneeUserId?: number | null;
  faultLevel?: number;
  clockState?: TicketClocksRecord;
  charges?: unknown;
  progress?: Record<string, unknown>;
  resolvedAt?: string | null;
  closedAt?: string | null;
}

export interface TicketEvent {
  key: string;
  kind: string;
  at: Date;
  actor: { userId: number | null; name: string | null; role: string | null } | null;
  /** The English sentence, for exports and for rows stored before words (what old rows say). */
  summary: string;
  /** What the event says, said in each reader's language; null on a row stored before words. */
  words: Words | null;
  data: unknown;
}

export const TICKET_SCOPE_COLUMNS: ScopeColumns = { customer: 'customer_id', assignee: 'assignee_user_id' };

type Row = Record<string, unknown>;

function fromRow(row: Row): Ticket {
  return {
    id: Number(row.id),
    kind: row.kind as TicketKind,
    customerId: Number(row.customer_id),
    deviceId: row.device_id === null ? null : Number(row.device_id),
    serial: (row.serial as string | null) ?? null,
    model: (row.model as string | null) ?? null,
    channel: String(row.channel),
    symptom: String(row.symptom),
    faultLevel: Number(row.fault_level),
    entitlement: row.entitlement as Entitlement,
    status: row.status as TicketStatus,
    onHold: toBool(row.on_hold),
    assigneeUserId: row.assignee_user_id === null ? null : Number(row.assignee_user_id),
    contact: fromJson<TicketContact>(row.contact),
    clockState: fromJson<TicketClocksRecord>(row.clock_state),
    charges: row.charges === null ? null : fromJson<unknown>(row.charges),
    progress: row.progress === null || row.progress === undefined ? {} : fromJson<Record<string, unknown>>(row.progress),
    repeatOfTicketId: row.repeat_of_ticket_id === null ? null : Number(row.repeat_of_ticket_id),
    carePlanId: row.care_plan_id === null || row.care_plan_id === undefined ? null : Number(row.care_plan_id),
    careFollowUpId: row.care_follow_up_id === null || row.care_follow_up_id === undefined ? null : Number(row.care_follow_up_id),
    dealerTaskId: row.dealer_task_id === null || row.dealer_task_id === undefined ? null : Number(row.dealer_task_id),
    workflowId: (row.workflow_id as string | null) ?? null,
    openedAt: toRequiredDate(row.opened_at),
    resolvedAt: toDate(row.resolved_at),
    closedAt: toDate(row.closed_at),
  };
}

export interface TicketFilter {
  /** Only the tickets this scope admits (domain/access.ts); `ALL_ROWS` for every ticket. */
  scope: Scope;
  status?: TicketStatus[];
  assigneeUserId?: number | null;
  customerId?: number;
  kind?: TicketKind;
  ids?: number[];
  limit?: number;
  offset?: number;
}

/**
 * Every write a ticket's KPI figures depend on (not the workflow id) notes the ticket
 * (ticket_figure_changes, platform/db/keptFigures.ts) in the write's transaction: a write called
 * without a transaction gets one of its own.
 */
export class TicketsRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async create(input: NewTicket, now: Date): Promise<Ticket> {
    const id = await this.db.transaction(async (trx) => {
      const ticketId = insertedId(await trx('tickets').insert({
        kind: input.kind,
        customer_id: input.customerId,
        device_id: input.deviceId,
        serial: input.serial,
        model: input.model,
        channel: input.channel,
        symptom: input.symptom,
        fault_level: input.faultLevel,
        entitlement: input.entitlement,
        status: input.closed ? 'closed' : input.assigneeUserId === null ? 'open' : 'assigned',
        on_hold: false,
        assignee_user_id: input.assigneeUserId,
        contact: toJson(input.contact),
        clock_state: toJson(input.clockState),
        repeat_of_ticket_id: input.repeatOfTicketId,
        care_plan_id: input.carePlanId ?? null,
        care_follow_up_id: input.careFollowUpId ?? null,
        dealer_task_id: input.dealerTaskId ?? null,
        ...(input.progress ? { progress: toJson(input.progress) } : {}),
        opened_at: input.openedAt,
        ...(input.closed ? { closed_at: input.openedAt } : {}),
        updated_at: now,
      }));
      // The ticket, and the earlier one it repeats (no longer fixed first time).
      await noteTicketsAndRepeats(trx, [ticketId]);
      return ticketId;
    });
    return (await this.get(id))!;
  }

  async setWorkflowId(id: number, workflowId: string): Promise<void> {
    await this.db('tickets').where({ id }).update({ workflow_id: workflowId });
  }

  async get(id: number): Promise<Ticket | null> {
    const row = (await this.db('tickets').where({ id }).first()) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async list(filter: TicketFilter): Promise<Ticket[]> {
    let query = whereInScope(this.db('tickets').select('id'), filter.scope, TICKET_SCOPE_COLUMNS);
    if (filter.status) query = query.whereIn('status', filter.status);
    if (filter.assigneeUserId === null) query = query.whereNull('assignee_user_id');
    else if (filter.assigneeUserId !== undefined) query = query.where('assignee_user_id', filter.assigneeUserId);
    if (filter.customerId !== undefined) query = query.where('customer_id', filter.customerId);
    if (filter.kind) query = query.where('kind', filter.kind);
    if (filter.ids) query = query.whereIn('id', filter.ids);
    // The page's ids first, from an index (status or assignee, then opening time), and only then
    // their rows: sorting the open tickets' whole rows (clock JSON and all) to keep 100 was the
    // board's cost at 100,000 tickets.
    const page = query.orderBy([{ column: 'opened_at' }, { column: 'id' }]).limit(filter.limit ?? 200).offset(filter.offset ?? 0);
    const rows = (await this.db('tickets as t').join(page.as('p'), 'p.id', 't.id').select('t.*').orderBy([{ column: 't.opened_at' }, { column: 't.id' }])) as Row[];
    return rows.map(fromRow);
  }

  /** The last ticket on the same device closed within the window before `openedAt` (a repeat repair). */
  async lastRepairOf(serial: string, since: Date, before: Date): Promise<Ticket | null> {
    const row = (await this.db('tickets')
      .where({ serial, kind: 'repair' })
      .whereNotNull('resolved_at')
      .where('resolved_at', '>=', since)
      .where('opened_at', '<', before)
      .orderBy('resolved_at', 'desc')
      .first()) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Inserts the event unless its key is already on the timeline (a retried activity). */
  async addEvent(ticketId: number, event: { eventKey: string; kind: string; at: Date; actor?: { userId: number; name: string; role: string }; summary: string; words?: Words; data?: unknown }): Promise<boolean> {
    const exists = await this.db('ticket_events').where({ ticket_id: ticketId, event_key: event.eventKey }).first('id');
    if (exists) return false;
    await this.db.transaction(async (trx) => {
      await trx('ticket_events').insert({
        ticket_id: ticketId,
        event_key: event.eventKey,
        kind: event.kind,
        at: event.at,
        // 0: not one of our users (the customer answering through a survey link).
        actor_user_id: event.actor?.userId ? event.actor.userId : null,
        actor_name: event.actor?.name ?? null,
        actor_role: event.actor?.role ?? null,
        summary: event.summary,
        words: event.words ? toJson(event.words) : null,
        data: event.data === undefined ? null : toJson(event.data),
      });
      await noteTicketFigures(trx, [ticketId]);
    });
    return true;
  }

  async applyPatch(id: number, patch: TicketPatch, now: Date): Promise<void> {
    const values: Row = { updated_at: now };
    if (patch.status !== undefined) values.status = patch.status;
    if (patch.onHold !== undefined) values.on_hold = patch.onHold;
    if (patch.assigneeUserId !== undefined) values.assignee_user_id = patch.assigneeUserId;
    if (patch.faultLevel !== undefined) values.fault_level = patch.faultLevel;
    if (patch.clockState !== undefined) values.clock_state = toJson(patch.clockState);
    if (patch.charges !== undefined) values.charges = patch.charges === null ? null : toJson(patch.charges);
    if (patch.progress !== undefined) values.progress = toJson(patch.progress);
    if (patch.resolvedAt !== undefined) values.resolved_at = patch.resolvedAt === null ? null : new Date(patch.resolvedAt);
    if (patch.closedAt !== undefined) values.closed_at = patch.closedAt === null ? null : new Date(patch.closedAt);
    await this.db.transaction(async (trx) => {
      await trx('tickets').where({ id }).update(values);
      await noteTicketFigures(trx, [id]);
    });
  }

  /** Removes a ticket and its timeline (an intake undone); the ticket it repeated is noted too. */
  async delete(id: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await noteTicketsAndRepeats(trx, [id]);
      await trx('ticket_events').where({ ticket_id: id }).delete();
      await trx('tickets').where({ id }).delete();
    });
  }

  async timeline(ticketId: number): Promise<TicketEvent[]> {
    const rows = (await this.db('ticket_events').where({ ticket_id: ticketId }).orderBy([{ column: 'at' }, { column: 'id' }])) as Row[];
    return rows.map((row) => ({
      key: String(row.event_key),
      kind: String(row.kind),
      at: toRequiredDate(row.at),
      actor: row.actor_name === null ? null : { userId: row.actor_user_id === null ? null : Number(row.actor_user_id), name: (row.actor_name as string | null) ?? null, role: (row.actor_role as string | null) ?? null },
      summary: String(row.summary),
      words: storedWords(row.words),
      data: row.data === null ? null : fromJson<unknown>(row.data),
    }));
  }
}
