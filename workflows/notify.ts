/** How workflows address notices: one idempotency key per notice, stable across retries and replays. */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Person } from './projectDelivery.messages';

const { sendNotice, serviceManagerRecipients } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // SMTP may be down for hours; the notice waits in the outbox and the activity keeps retrying.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export interface NoticeOptions {
  timeZone?: string;
  /** Console path the notice links to, e.g. `/projects/7`. */
  actionPath?: string;
}

export async function notify(key: string, template: string, to: Person[], context: Record<string, unknown>, options: NoticeOptions = {}): Promise<void> {
  const { workflowId } = workflowInfo();
  await Promise.all(
    to.map((person) =>
      sendNotice({
        idempotencyKey: `${workflowId}:${key}:${person.email}`,
        template,
        locale: person.locale ?? 'zh-CN',
        to: { email: person.email, name: person.name },
        context: { ...context, recipientName: person.name },
        timeZone: options.timeZone,
        actionPath: options.actionPath,
      }),
    ),
  );
}

/** The named service manager, or every active service manager on record. */
export async function escalationRecipients(serviceManager: Person | undefined): Promise<Person[]> {
  return serviceManager ? [serviceManager] : serviceManagerRecipients();
}

/** Milliseconds from workflow time until `at`; at least 1 so a past deadline fires at once. */
export function msUntil(at: Date): number {
  return Math.max(1, at.getTime() - Date.now());
}

/** How notices name a project (templates: `project.code`, `project.name`, `project.customer`). */
export function projectRef(input: { contractNo: string; name: string; customerName: string }) {
  return { code: input.contractNo, name: input.name, customer: input.customerName, contractNo: input.contractNo };
}
