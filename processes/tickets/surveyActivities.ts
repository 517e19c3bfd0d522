import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { newSurveyToken, TicketSurveyLinksRepository } from './surveyLinks';
import type { DeliveryResult } from '../../platform/notices';
import type { Person } from '../delivery/messages';
import { surveyTicketUpdate, ticketWorkflowId, type CallSurveyOutcome, type CallSurveyRequest } from './messages';

export type { CallSurveyOutcome, CallSurveyRequest } from './messages';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';
import { storedWords, words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';

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
 * Hands a return call's answers to the ticket as its survey, through the ticket's own survey step
 * (validated and recorded by the ticket's process, like the customer's link). Uses the worker's client.
 */
export async function surveyTicketFromCall(request: CallSurveyRequest): Promise<CallSurveyOutcome> {
  try {
    const answer = await Context.current()
      .client.workflow.getHandle(ticketWorkflowId(request.ticketId))
      .executeUpdate(surveyTicketUpdate, { args: [request.step], updateId: request.updateId });
    return { taken: true, reopened: answer.status !== 'closed' };
  } catch (error) {
    // The ticket's refusal is an answer (already surveyed, reopened since, closed for good); anything else is retried.
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && (error.cause.type === 'StepRejected' || error.cause.type === 'InvalidStep')) {
      const said = storedWords((error.cause.details?.[0] as { words?: unknown } | undefined)?.words);
      return said ? { taken: false, reason: say('en', said, error.cause.message), words: said } : { taken: false, reason: error.cause.message };
    }
    if (error instanceof WorkflowNotFoundError) return { taken: false, reason: 'the ticket is closed for good', words: words('refusal.ticket.closedForGood') };
    throw error;
  }
}

/**
 * P3 survey links. A notices-queue activity: the random token is drawn here, its hash stored, and the
 * mail (the only place the raw token lives) put in the outbox, so neither the workflow's history nor
 * the database holds a usable link.
 */
export function createTicketSurveyActivities(deps: ActivityDeps) {
  const links = new TicketSurveyLinksRepository(deps.knex);
  return {
    surveyTicketFromCall,
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
