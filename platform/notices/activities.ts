import { NotFoundError } from '../db/errors';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { say } from '../console/messages';
import { words } from '../../domain/words';
import { localizeContext, type DeliveryResult, type NoticeRequest as OutboxNoticeRequest } from '.';
import type { Person } from '../../domain/people';
import type { ActivityDeps } from '../temporal/activityDeps';

/** What a workflow asks for: an outbox notice whose `<name>Key` context entries are localized here. */
export interface NoticeRequest extends OutboxNoticeRequest {
  /** Path under the console the notice links to, e.g. `/projects/7`. */
  actionPath?: string;
}

/** Who gets an escalation when no service manager is named, and whether they are the admins. */
export interface EscalationFallback {
  people: Person[];
  /** No active service manager is on record, so the escalation went to the administrators. */
  sentToAdmins: boolean;
}

/** Timeline event keys are at most 191 characters; idempotency keys may already be that long. */
const EVENT_KEY_LENGTH = 191;

export function noticeFailedEventKey(idempotencyKey: string): string {
  return `notice-failed:${idempotencyKey}`.slice(0, EVENT_KEY_LENGTH);
}

/** Activities that run on the notices task queue, served by their own bounded worker. */
export function createNoticeActivities(deps: ActivityDeps) {
  const recordFailureOnProject = async (projectId: number, request: NoticeRequest, reason: string) => {
    try {
      const said = words('timeline.notice.failed', { template: request.template, to: request.to.email, reason });
      // Said in each reader's language from its words; the English summary is for exports and rows read before words.
      const event = {
        eventKey: noticeFailedEventKey(request.idempotencyKey),
        kind: 'notice_failed',
        at: deps.now().toISOString(),
        summary: say('en', said).slice(0, 1000),
        words: said,
        data: { idempotencyKey: request.idempotencyKey, template: request.template, to: request.to.email, reason },
      };
      await new ProjectsRepository(deps.knex).addEvent(projectId, event);
    } catch (error) {
      // A record that does not exist has no timeline; the failed row is still listed for the service managers.
      if (!(error instanceof NotFoundError)) throw error;
    }
  };

  return {
    /**
     * Sends one notice through the outbox, at most once. Transient trouble (SMTP down, a 4xx) throws,
     * so Temporal retries; a notice that can never go out answers `failed` and, when it names its
     * record, puts the failure on that record's timeline. It never fails the process.
     */
    async sendNotice(request: NoticeRequest): Promise<DeliveryResult> {
      const context = {
        actionUrl: `${deps.publicUrl}${request.actionPath ?? '/'}`,
        ...localizeContext(request.context, request.locale),
      };
      const { actionPath: _actionPath, ...notice } = request;
      const result = await deps.outbox.send({ ...notice, context });
      if (result.status === 'failed') {
        if (request.record?.type === 'project') await recordFailureOnProject(request.record.id, request, result.reason);
        return { status: 'failed', reason: result.reason };
      }
      return { status: 'sent', messageId: result.messageId, alreadySent: result.alreadySent };
    },
  };
}

/** Interactive: a quick read that decides who an escalation goes to. */
export function createEscalationActivities(deps: ActivityDeps) {
  return {
    /** The active service managers; when there is none, the active administrators, flagged so the notice says so. */
    async escalationFallbackRecipients(): Promise<EscalationFallback> {
      const managers = await new ProjectsRepository(deps.knex).activeServiceManagers();
      if (managers.length > 0) return { people: managers, sentToAdmins: false };
      const admins = (await deps.knex('users').where({ role: 'admin', active: true }).orderBy('id').select('name', 'email', 'locale')) as Array<{
        name: string;
        email: string;
        locale: Person['locale'] | null;
      }>;
      return { people: admins.map((a) => (a.locale ? { name: a.name, email: a.email, locale: a.locale } : { name: a.name, email: a.email })), sentToAdmins: true };
    },
  };
}
