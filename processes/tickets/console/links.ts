/**
 * A ticket's linked records on its console page: the care follow-up or visit finding it came from,
 * the return calls after its close, the 三包 dealer task. Each is a link only for a reader who may
 * open the record (api/tickets/links.ts, as the API answers); anyone else reads that the link exists,
 * with no id, reason or date.
 */
import type { Knex } from 'knex';
import { careOriginAsSeen, returnCallsAsSeen } from '../useCases/links';
import type { LinkReach } from '../../../platform/http/access';
import type { Locale } from '../../../people/roles';
import type { Ticket } from '../repository';
import { codeWord } from '../../../platform/console/views';
import { translate, type MessageKey } from '../../../platform/i18n/catalogue';

export interface LinkPart {
  text: string;
  href: string | null;
  at: Date | null;
}
export interface TicketLinkView {
  kind: 'care' | 'return_call' | 'dealer_task';
  parts: LinkPart[];
}

const part = (text: string, href: string | null = null, at: Date | null = null): LinkPart => ({ text, href, at });

async function taskKeyOf(knex: Knex, table: 'care_calls' | 'care_visits', id: number): Promise<string> {
  const row = (await knex(table).where({ id }).first('task_key')) as { task_key: string } | undefined;
  return row?.task_key ?? `#${id}`;
}

export async function ticketLinksView(knex: Knex, locale: Locale, ticket: Ticket, reach: LinkReach): Promise<TicketLinkView[]> {
  const w = (key: MessageKey, values?: Record<string, string | number>) => translate(locale, key, values);
  const links: TicketLinkView[] = [];
  const care = await careOriginAsSeen(knex, ticket, reach);
  if (care.origin) {
    const o = care.origin;
    const parts = [part(w('ticket.link.care', { id: o.carePlanId }), `/care-plans/${o.carePlanId}`), part(codeWord(locale, 'care.followUpReason', o.reason))];
    if (o.callId !== null) parts.push(part(w('ticket.link.call', { key: await taskKeyOf(knex, 'care_calls', o.callId) }), `/calls/${o.callId}`));
    if (o.visitId !== null) parts.push(part(w('ticket.link.visit', { key: await taskKeyOf(knex, 'care_visits', o.visitId) }), `/visits/${o.visitId}`), ...(o.finding !== null ? [part(w('ticket.link.finding', { n: o.finding + 1 }))] : []));
    links.push({ kind: 'care', parts });
  } else if (care.opened) {
    links.push({ kind: 'care', parts: [part(w('ticket.link.careHidden'))] });
  }
  const calls = await returnCallsAsSeen(knex, ticket.id, reach);
  for (const c of calls.shown) {
    links.push({
      kind: 'return_call',
      parts: [
        part(w('ticket.link.returnCall', { key: c.taskKey }), `/calls/${c.callId}`),
        part(codeWord(locale, 'care.callStatus', c.status), null, new Date(c.dueAt)),
        ...(c.planReachable ? [part(w('ticket.link.onPlan', { id: c.carePlanId }), `/care-plans/${c.carePlanId}`)] : []),
      ],
    });
  }
  const hidden = calls.count - calls.shown.length;
  if (hidden > 0) links.push({ kind: 'return_call', parts: [part(w('ticket.link.returnCallsHidden', { count: hidden }))] });
  if (ticket.dealerTaskId !== null) {
    const open = await reach.dealerTask(ticket.dealerTaskId);
    links.push({ kind: 'dealer_task', parts: [open ? part(w('ticket.link.dealerTask', { id: ticket.dealerTaskId }), `/dealer/tasks/${ticket.dealerTaskId}`) : part(w('ticket.link.dealerTaskHidden'))] });
  }
  return links;
}
