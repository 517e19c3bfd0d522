import { ApplicationFailure } from '@temporalio/activity';
import { localizeContext, NoticeRenderError, UnknownTemplateError, type Locale } from '../notices';
import type { ActivityDeps } from './deps';

export interface NoticeRequest {
  /** Unique per notice and stable across retries and replays, e.g. `project-7:weekly-report:3:reminder:pm@x`. */
  idempotencyKey: string;
  template: string;
  locale: Locale;
  to: { email: string; name?: string };
  /** `<name>Key` entries are turned into text in the recipient's language (see notices/labels.ts). */
  context: Record<string, unknown>;
  timeZone?: string;
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
