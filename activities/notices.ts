import { ApplicationFailure } from '@temporalio/activity';
import { localizeContext, NoticeRenderError, UnknownTemplateError, type NoticeRequest as OutboxNoticeRequest } from '../notices';
import type { ActivityDeps } from './deps';

/** What a workflow asks for: an outbox notice whose `<name>Key` context entries are localized here. */
export interface NoticeRequest extends OutboxNoticeRequest {
  /** Path under the console the notice links to, e.g. `/projects/7`. */
  actionPath?: string;
}

export function createNoticeActivities(deps: ActivityDeps) {
  return {
    /** Retried by Temporal until SMTP answers; the outbox makes every retry send at most once. */
    async sendNotice(request: NoticeRequest): Promise<{ messageId: string; alreadySent: boolean }> {
      const context = {
        actionUrl: `${deps.publicUrl}${request.actionPath ?? '/'}`,
        ...localizeContext(request.context, request.locale),
      };
      try {
        const result = await deps.outbox.send({ ...request, context });
        return { messageId: result.messageId, alreadySent: result.alreadySent };
      } catch (error) {
        // A template that cannot render will not render on retry either: fail loudly instead of looping.
        if (error instanceof NoticeRenderError || error instanceof UnknownTemplateError) {
          throw ApplicationFailure.nonRetryable(error.message, error.name);
        }
        throw error;
      }
    },
  };
}
