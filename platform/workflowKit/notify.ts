/** How workflows address notices: one idempotency key per notice, stable across retries and replays. */
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createEscalationActivities, createNoticeActivities } from '../notices/activities';
import type { Person } from '../../domain/people';
import { noticesTaskQueue } from '../temporal/taskQueues';

type Activities = ReturnType<typeof createNoticeActivities> & ReturnType<typeof createEscalationActivities>;

/*
 * Notices go to their own task queue, served by a worker with bounded slots, so a pile of them
 * (10,000 projects starting) never takes the slots that people's steps need. The queue is derived
 * from the workflow's own task queue, which history records, so replay picks the same one.
 */
/** `sendNotice` addressed to the notices queue; call it inside workflow code only. */
export function noticeActivities(): Pick<Activities, 'sendNotice'> {
  return proxyActivities<Activities>({
    taskQueue: noticesTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1 minute',
    // SMTP may be down for hours; the notice waits in the outbox and the activity keeps retrying.
    // A notice that can never go out does not throw: it answers `failed` (see activities/notices.ts).
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
}

const { escalationFallbackRecipients } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface NoticeOptions {
  timeZone?: string;
  /** Console path the notice links to, e.g. `/projects/7`. */
  actionPath?: string;
  /** The record the notice is about: a notice that cannot be sent shows on its timeline. */
  record?: { type: 'project'; id: number };
}

export type NoticeOutcome = Awaited<ReturnType<Activities['sendNotice']>>;

/**
 * Sends `template` to each person. Never throws for a notice that cannot be sent: its outcome is
 * `failed` (listed for service managers, and on `options.record`'s timeline), and the process goes on.
 */
export async function notify(key: string, template: string, to: Person[], context: Record<string, unknown>, options: NoticeOptions = {}): Promise<NoticeOutcome[]> {
  const { workflowId } = workflowInfo();
  const { sendNotice } = noticeActivities();
  return Promise.all(
    to.map((person) =>
      sendNotice({
        idempotencyKey: `${workflowId}:${key}:${person.email}`,
        template,
        locale: person.locale ?? 'zh-CN',
        to: { email: person.email, name: person.name },
        context: { ...context, recipientName: person.name },
        timeZone: options.timeZone,
        actionPath: options.actionPath,
        ...(options.record ? { record: options.record } : {}),
      }),
    ),
  );
}

/**
 * Notices a step sends go out beside it, never inside it: the step answers once it is recorded
 * (and lets go of the record's lock), while its mail waits its turn on the notices queue however
 * long SMTP takes. The process waits for them with its handlers before it ends or continues as new:
 * `await condition(() => allHandlersFinished() && notices.settled())`.
 */
export class NoticesBeside {
  private pending = 0;

  /** `notice` is under way (its activities scheduled where it was called); nobody waits for it here. */
  send(notice: Promise<unknown>): void {
    this.pending += 1;
    void notice.then(
      () => {
        this.pending -= 1;
      },
      (error: unknown) => {
        // notify() never throws for a notice that cannot go out; the process goes on either way.
        this.pending -= 1;
        log.warn('A notice sent beside a step failed', { error });
      },
    );
  }

  /** True once every notice sent beside has settled. */
  readonly settled = (): boolean => this.pending === 0;
}

export interface EscalationTarget {
  people: Person[];
  /** True when no service manager is on record and the escalation goes to the administrators. */
  sentToAdmins: boolean;
}

/** The named service manager, else every active service manager, else the active administrators. */
export async function escalationTarget(serviceManager: Person | undefined): Promise<EscalationTarget> {
  return serviceManager ? { people: [serviceManager], sentToAdmins: false } : escalationFallbackRecipients();
}

/** Who escalations go to (see escalationTarget); prefer `escalate`, whose notice says when it went to the admins. */
export async function escalationRecipients(serviceManager: Person | undefined): Promise<Person[]> {
  return (await escalationTarget(serviceManager)).people;
}

/**
 * Sends the `escalation` notice to the service manager (see escalationTarget). When it goes to the
 * administrators, the notice says that no service manager is on record.
 */
export async function escalate(key: string, serviceManager: Person | undefined, context: Record<string, unknown>, options: NoticeOptions = {}): Promise<NoticeOutcome[]> {
  const target = await escalationTarget(serviceManager);
  return notify(key, 'escalation', target.people, { ...context, sentToAdmins: target.sentToAdmins }, options);
}


/** How notices name a project (templates: `project.code`, `project.name`, `project.customer`). */
export function projectRef(input: { contractNo: string; name: string; customerName: string }) {
  return { code: input.contractNo, name: input.name, customer: input.customerName, contractNo: input.contractNo };
}
