/*
 * Task queue names, shared by the workers (which poll them) and the workflows (which address
 * activities to them). Pure, so workflow code may import it: the workflow derives the notices queue
 * from its own task queue, which history records, so replay always picks the same queue.
 */

/** Notices, reminders and escalations run here, on a worker with bounded slots of its own. */
export function noticesTaskQueue(taskQueue: string): string {
  return `${taskQueue}-notices`;
}

/** Activities served by the notices worker only; the interactive worker never registers them. */
export const NOTICE_ACTIVITIES = ['sendNotice', 'sendTicketSurveyLink'] as const;
