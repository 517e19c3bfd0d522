/**
 * Asset care as tickets need it (processes/tickets/messages.ts, TicketCare): a ticket opened from a
 * care follow-up or a visit's finding reads the plan, writes the finding's follow-up, links the
 * follow-up to the ticket and puts the ticket on the plan's timeline, in the ticket's transaction.
 * Handed to tickets by the registries (api/index.ts).
 */
import type { Knex } from 'knex';
import { words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';
import type { TicketCare, TicketCareOrigin } from '../tickets/messages';
import { CareRepository } from './repository';

/** The plan's timeline entry for a ticket opened from it: words (the English kept as its summary). */
function ticketOpenedWords(origin: TicketCareOrigin, ticket: { id: number; kind: 'repair' | 'complaint' }) {
  return 'followUpId' in origin
    ? words('timeline.care.ticket_opened', { kind: ticket.kind, ticket: ticket.id, origin: 'follow_up', followUp: origin.followUpId, reason: origin.reason })
    : words('timeline.care.ticket_opened', { kind: ticket.kind, ticket: ticket.id, origin: 'finding', n: origin.finding.index, visit: origin.finding.taskKey });
}

export const careForTickets: TicketCare<Knex> = {
  async plan(db, planId) {
    const plan = await new CareRepository(db).getPlan(planId);
    return plan ? { id: plan.id, customerId: plan.customerId, deviceIds: plan.deviceIds } : null;
  },

  async followUp(db, planId, followUpId) {
    const followUp = await new CareRepository(db).getFollowUp(planId, followUpId);
    return followUp ? { id: followUp.id, reason: followUp.reason, summary: followUp.summary, ticketId: followUp.ticketId } : null;
  },

  async visit(db, visitId) {
    const visit = await new CareRepository(db).getVisit(visitId);
    return visit ? { id: visit.id, planId: visit.planId, taskKey: visit.taskKey, status: visit.status, outcome: visit.outcome } : null;
  },

  async answeringTicket(db, origin) {
    const query = db('care_follow_ups').where({ plan_id: origin.planId }).whereNotNull('ticket_id');
    const taken = (await ('followUpId' in origin ? query.where({ id: origin.followUpId }) : query.where({ visit_id: origin.finding.visitId, finding: origin.finding.index })).first('ticket_id')) as { ticket_id: number } | undefined;
    return taken ? Number(taken.ticket_id) : null;
  },

  async followUpFor(trx, origin, at) {
    if ('followUpId' in origin) return origin.followUpId;
    const { finding } = origin;
    return (await new CareRepository(trx).findingFollowUp({ id: origin.planId, customerId: origin.customerId }, { id: finding.visitId, taskKey: finding.taskKey }, finding.index, finding.summary, at, at)).id;
  },

  async linkTicket(trx, followUpId, ticketId) {
    return new CareRepository(trx).linkTicket(followUpId, ticketId);
  },

  async ticketOpened(trx, origin, ticket, at) {
    const said = ticketOpenedWords(origin, ticket);
    await new CareRepository(trx).addEvent(origin.planId, { eventKey: `ticket:${ticket.id}`, kind: 'ticket_opened', at, summary: say('en', said), words: said, data: { ticketId: ticket.id, kind: ticket.kind, followUpId: ticket.followUpId } });
  },
};
