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

/**
 * What a process does with a notice that can never go out, when the notice names its record (the
 * delivery process puts it on the project's timeline). Given by the activities registry, so the
 * platform names no process.
 */
export type NoticeFailureRecorder = (record: { type: string; id: number }, request: NoticeRequest, reason: string) => Promise<void>;

/** Activities that run on the notices task queue, served by their own bounded worker. */
export function createNoticeActivities(deps: ActivityDeps, recordFailure: NoticeFailureRecorder = async () => {}) {
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
        if (request.record) await recordFailure(request.record, request, result.reason);
        return { status: 'failed', reason: result.reason };
      }
      return { status: 'sent', messageId: result.messageId, alreadySent: result.alreadySent };
    },
  };
}

/** Interactive: a quick read that decides who an escalation goes to. */
export function createEscalationActivities(deps: ActivityDeps) {
  const activeWithRole = async (role: 'service_manager' | 'admin'): Promise<Person[]> => {
    const rows = (await deps.knex('users').where({ role, active: true }).orderBy('id').select('name', 'email', 'locale')) as Array<{ name: string; email: string; locale: Person['locale'] | null }>;
    return rows.map((row) => (row.locale ? { name: row.name, email: row.email, locale: row.locale } : { name: row.name, email: row.email }));
  };
  return {
    /** The active service managers; when there is none, the active administrators, flagged so the notice says so. */
    async escalationFallbackRecipients(): Promise<EscalationFallback> {
      const managers = await activeWithRole('service_manager');
      if (managers.length > 0) return { people: managers, sentToAdmins: false };
      return { people: await activeWithRole('admin'), sentToAdmins: true };
    },
  };
}
