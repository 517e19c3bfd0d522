import type { Words } from '../../domain/words';
import { say } from '../../platform/console/messages';
import { DeadlinesRepository } from './repository';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';

export interface DeadlineRef {
  workflowId: string;
  key: string;
}

export interface OpenDeadlineInput extends DeadlineRef {
  record: { type: string; id: number };
  kind: string;
  /** What the deadline is, as words; `description` is what workflows sent before they recorded words (histories replay it). */
  words?: Words;
  description?: string;
  dueAt: string;
  provisional: boolean;
}

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
