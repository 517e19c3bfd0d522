/**
 * A ticket's links to other records (P3 ↔ P4/P5), as one reader sees them: the care follow-up or visit
 * finding it came from, the return calls its close put on a care plan, the dealer task a 三包 repair
 * went to. A link names its record only to a reader who may open that record (domain/access.ts on the
 * facts api/access.ts uses, as the care and dealer pages ask them); to anyone else the link exists only
 * as the ticket's own fact (opened from asset care, routed to the dealer, a return call planned), with
 * no id, reason, date or party: an engineer who may not read the care plan learns nothing of it.
 */
import type { Knex } from 'knex';
import type { Ticket, TicketEvent } from '../repository';
import { words } from '../../../domain/words';
import { say } from '../../../platform/i18n/catalogue';
import type { LinkReach } from '../../../platform/http/access';

/** The ticket's own link columns, each null unless the reader may open the record it names. */
export async function linkIdsAsSeen(ticket: Ticket, reach: LinkReach) {
  const plan = ticket.carePlanId !== null && (await reach.plan(ticket.carePlanId));
  const dealerTask = ticket.dealerTaskId !== null && (await reach.dealerTask(ticket.dealerTaskId));
  return { carePlanId: plan ? ticket.carePlanId : null, careFollowUpId: plan ? ticket.careFollowUpId : null, dealerTaskId: dealerTask ? ticket.dealerTaskId : null };
}

const id = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Where a ticket from asset care came from, for a reader of its plan: the follow-up, and the call or visit (and finding) they may open. */
export async function careOriginAsSeen(knex: Knex, ticket: Ticket, reach: LinkReach) {
  if (ticket.careFollowUpId === null) return { opened: false as const, origin: null };
  const row = (await knex('care_follow_ups').where({ id: ticket.careFollowUpId }).first('plan_id', 'reason', 'call_id', 'visit_id', 'finding')) as { plan_id: unknown; reason: unknown; call_id: unknown; visit_id: unknown; finding: unknown } | undefined;
  if (!row || !(await reach.plan(Number(row.plan_id)))) return { opened: true as const, origin: null };
  const callId = id(row.call_id);
  const visitId = id(row.visit_id);
  const call = callId !== null && (await reach.call(callId));
  const visit = visitId !== null && (await reach.visit(visitId));
  return { opened: true as const, origin: { carePlanId: Number(row.plan_id), followUpId: ticket.careFollowUpId, reason: String(row.reason), callId: call ? callId : null, visitId: visit ? visitId : null, finding: visit ? id(row.finding) : null } };
}

/** The return calls a closed repair put on its device's care plan: those the reader may open, and how many there are in all. */
export async function returnCallsAsSeen(knex: Knex, ticketId: number, reach: LinkReach) {
  const rows = (await knex('care_calls').where({ ticket_id: ticketId }).orderBy('id').select('id', 'plan_id', 'task_key', 'status', 'due_at')) as { id: unknown; plan_id: unknown; task_key: unknown; status: unknown; due_at: unknown }[];
  const shown = [];
  for (const r of rows) {
    if (!(await reach.call(Number(r.id)))) continue;
    shown.push({ callId: Number(r.id), carePlanId: Number(r.plan_id), planReachable: await reach.plan(Number(r.plan_id)), taskKey: String(r.task_key), status: String(r.status), dueAt: new Date(r.due_at as string).toISOString() });
  }
  return { count: rows.length, shown };
}

/**
 * The timeline as the reader may see it: an event naming a care plan or dealer task out of their
 * reach keeps its kind and time, and says what happened without naming it.
 */
export async function timelineAsSeen(events: TicketEvent[], reach: LinkReach): Promise<TicketEvent[]> {
  const seen: TicketEvent[] = [];
  for (const event of events) {
    const data = (event.data ?? {}) as { carePlanId?: unknown; dealerTaskId?: unknown };
    const planId = id(data.carePlanId);
    const taskId = id(data.dealerTaskId);
    const hidden = (planId !== null && !(await reach.plan(planId))) || (taskId !== null && !(await reach.dealerTask(taskId)));
    const withheld = WITHHELD[event.kind] ?? 'timeline.ticket.withheld';
    seen.push(hidden ? { ...event, summary: say('en', words(withheld)), words: words(withheld), data: null } : event);
  }
  return seen;
}

/** What an event says to a reader who may not open the record it names. */
const WITHHELD: Record<string, string> = {
  opened_from_care: 'timeline.ticket.fromCare',
  return_call_scheduled: 'timeline.ticket.callScheduled',
  return_call_none: 'timeline.ticket.noCall',
  routed_to_dealer: 'timeline.ticket.dealerHidden',
};
