import { say } from '../../platform/i18n/catalogue';
import { DeadlinesRepository } from './repository';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';
import type { DeadlineActivities, DeadlineRef, OpenDeadlineInput } from '../../platform/workflowKit/deadlineActivities';

export type { DeadlineRef, OpenDeadlineInput } from '../../platform/workflowKit/deadlineActivities';

/** The deadline rows pages and work queues read (db/repositories/deadlines.ts); each write is idempotent. */
export function createDeadlineActivities(deps: ActivityDeps) {
  const deadlines = new DeadlinesRepository(deps.knex);
  return {
    async openDeadline(input: OpenDeadlineInput): Promise<void> {
      await deadlines.open(
        { workflowId: input.workflowId, key: input.key, recordType: input.record.type, recordId: input.record.id, kind: input.kind, description: input.description ?? say('en', input.words, input.kind), words: input.words, dueAt: new Date(input.dueAt), provisional: input.provisional },
        deps.now(),
      );
    },

    async markDeadlineRung(input: DeadlineRef & { rung: string }): Promise<void> {
      await deadlines.markRung(input.workflowId, input.key, input.rung);
    },

    async closeDeadline(input: DeadlineRef & { status: 'met' | 'moved' | 'dropped' }): Promise<void> {
      await deadlines.close(input.workflowId, input.key, input.status, deps.now());
    },

    async closeAllDeadlines(input: { workflowId: string; status: 'met' | 'moved' | 'dropped' }): Promise<void> {
      await deadlines.closeAll(input.workflowId, input.status, deps.now());
    },
  };
}

// The deadline kit's activities (platform/workflowKit/deadlineActivities.ts) are these and the calendar's computeDeadlines.
const offered: (deps: ActivityDeps) => Omit<DeadlineActivities, 'computeDeadlines'> = createDeadlineActivities;
void offered;
