import { newSurveyToken, TicketSurveyLinksRepository } from '../db/repositories/ticketSurveyLinks';
import type { DeliveryResult } from '../notices';
import type { Person } from '../workflows/projectDelivery.messages';
import type { ActivityDeps } from './deps';

export interface SurveyLinkRequest {
  /** The outbox key of this mail: one per ticket, round and recipient. */
  idempotencyKey: string;
  ticketId: number;
  round: number;
  to: Person;
  /** The link is good until the survey is due (ticket.surveyWithin after the close). */
  dueAt: string;
  timeZone: string;
  context: Record<string, unknown>;
}

/**
 * P3 survey links. A notices-queue activity: the random token is drawn here, its hash stored, and the
 * mail (the only place the raw token lives) put in the outbox, so neither the workflow's history nor
 * the database holds a usable link.
 */
export function createTicketSurveyActivities(deps: ActivityDeps) {
  const links = new TicketSurveyLinksRepository(deps.knex);
  return {
    /** Sends the survey link once. A retry after the mail was stored delivers that mail, with its token. */
    async sendTicketSurveyLink(request: SurveyLinkRequest): Promise<DeliveryResult> {
      if (!(await deps.outbox.get(request.idempotencyKey))) {
        const { token, hash } = newSurveyToken();
        const locale = request.to.locale ?? 'zh-CN';
        // The hash first: a mail is never out with a token the database does not know.
        await links.add({ ticketId: request.ticketId, round: request.round, email: request.to.email, name: request.to.name, locale, expiresAt: new Date(request.dueAt), tokenHash: hash }, deps.now());
        await deps.outbox.enqueue({
          idempotencyKey: request.idempotencyKey,
          template: 'ticket-survey',
          locale,
          to: { email: request.to.email, name: request.to.name },
          context: { ...request.context, dueAt: request.dueAt, recipientName: request.to.name, actionUrl: `${deps.publicUrl}/survey/${token}` },
          timeZone: request.timeZone,
        });
      }
      return deps.outbox.deliver(request.idempotencyKey);
    },
  };
}
