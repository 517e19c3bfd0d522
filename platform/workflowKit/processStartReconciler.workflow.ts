/**
 * Starts every pending process start (platform/temporal/processStarts.ts) older than the grace: a
 * record whose request crashed after its commit, or whose start failed or timed out. Run by a
 * Schedule every minute and once at worker start; short-lived. Each start is a child left to run on
 * its own (ABANDON); an id already started (running or done) counts as started, so a run twice, or a
 * start the request did make after all, starts nothing twice.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { createProcessStartActivities } from '../temporal/processStarts';
import { PROCESS_START_GRACE_MS, searchAttributePairs } from '../temporal/processStartTerms';
import { BACKGROUND_ACTIVITY } from './activityOptions';

const background = proxyActivities<ReturnType<typeof createProcessStartActivities>>(BACKGROUND_ACTIVITY);

export interface ProcessStartReconcilerInput {
  /** Starts younger than this are left to their request; PROCESS_START_GRACE_MS by default. */
  olderThanMs?: number;
}

export async function processStartReconciler(input: ProcessStartReconcilerInput = {}): Promise<{ started: string[] }> {
  const pending = await background.pendingProcessStarts(input.olderThanMs ?? PROCESS_START_GRACE_MS);
  const started: string[] = [];
  for (const start of pending) {
    try {
      await startChild(start.workflowType, {
        workflowId: start.workflowId,
        taskQueue: start.taskQueue,
        args: [start.input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A process that ran and ended already is not run again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        ...(start.searchAttributes ? { typedSearchAttributes: searchAttributePairs(start.searchAttributes) } : {}),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    // Marked one by one: a run that stops part-way (a start the server refuses) keeps what it did.
    await background.markProcessesStarted([start.workflowId]);
    started.push(start.workflowId);
  }
  return { started };
}
