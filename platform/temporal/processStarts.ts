/**
 * One way to create a record and start its process (issue #20). The record's rows and a pending
 * start (`process_starts`: workflow type, id, task queue, input) are written in ONE transaction;
 * after the commit the process is started with USE_EXISTING (a repeat is harmless) and the start is
 * marked done. A start that fails or times out deletes nothing: the record stands, its start stays
 * pending, and the processStartReconciler (a Schedule every minute, and once at worker start) starts
 * it. So no record stands for long without its process, and no running process loses its record.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { unavailable, type ApiError } from '../http/errors';
import { updateFailureToApi } from '../http/temporalErrors';
import type { Words } from '../../domain/words';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Knex } from 'knex';
import { currentLogger } from '../logging';
import { PROCESS_START_BATCH, PROCESS_START_WAIT_MS, searchAttributePairs, type StoredSearchAttribute } from './processStartTerms';

export * from './processStartTerms';

/** What a create asks to start: the workflow type, its id (the record's business key) and input. */
export interface ProcessStart {
  workflowType: string;
  workflowId: string;
  input: unknown;
  searchAttributes?: StoredSearchAttribute[];
}

/** A pending start as the reconciler reads it. */
export interface PendingStart extends ProcessStart {
  taskQueue: string;
}

export interface ProcessEngine {
  client: Client;
  taskQueue: string;
}

/** Writes the pending start in the record's transaction. */
export async function recordProcessStart(trx: Knex.Transaction, taskQueue: string, start: ProcessStart, now = new Date()): Promise<void> {
  await trx('process_starts').insert({
    workflow_id: start.workflowId,
    workflow_type: start.workflowType,
    task_queue: taskQueue,
    input: JSON.stringify(start.input ?? null),
    search_attributes: start.searchAttributes ? JSON.stringify(start.searchAttributes) : null,
    created_at: now,
    started_at: null,
  });
}

export async function markProcessesStarted(knex: Knex, workflowIds: string[], now = new Date()): Promise<void> {
  if (workflowIds.length === 0) return;
  await knex('process_starts').whereIn('workflow_id', workflowIds).whereNull('started_at').update({ started_at: now });
}

interface PendingRow {
  workflow_id: string;
  workflow_type: string;
  task_queue: string;
  input: string;
  search_attributes: string | null;
}

/** Starts not yet marked done and older than `olderThanMs`, oldest first, at most `limit`. */
export async function pendingProcessStarts(knex: Knex, olderThanMs: number, limit: number, now = new Date()): Promise<PendingStart[]> {
  const rows = (await knex('process_starts')
    .whereNull('started_at')
    .where('created_at', '<=', new Date(now.getTime() - olderThanMs))
    .orderBy('created_at')
    .limit(limit)
    .select('workflow_id', 'workflow_type', 'task_queue', 'input', 'search_attributes')) as PendingRow[];
  return rows.map((r) => ({
    workflowId: r.workflow_id,
    workflowType: r.workflow_type,
    taskQueue: r.task_queue,
    input: JSON.parse(r.input) as unknown,
    ...(r.search_attributes ? { searchAttributes: JSON.parse(r.search_attributes) as StoredSearchAttribute[] } : {}),
  }));
}

/**
 * Starts a recorded process (USE_EXISTING: one already running is it) and marks its start done.
 * A failure or timeout is logged and left pending for the reconciler: true when started.
 */
export async function startRecordedProcess(knex: Knex, engine: ProcessEngine, start: ProcessStart): Promise<boolean> {
  const { client } = engine;
  try {
    await client.withDeadline(Date.now() + PROCESS_START_WAIT_MS, () =>
      client.workflow.start(start.workflowType, {
        taskQueue: engine.taskQueue,
        workflowId: start.workflowId,
        args: [start.input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        // A process that the reconciler started meanwhile and that already ended is not run again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        ...(start.searchAttributes ? { typedSearchAttributes: searchAttributePairs(start.searchAttributes) } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      currentLogger().warn({ err: error, workflowId: start.workflowId }, 'process start failed; it stays pending for the reconciler');
      return false;
    }
  }
  try {
    await markProcessesStarted(knex, [start.workflowId]);
  } catch (error) {
    // The process runs; the reconciler's repeat of the start is harmless.
    currentLogger().warn({ err: error, workflowId: start.workflowId }, 'process started but not marked so');
  }
  return true;
}

/**
 * The one create path: `write` writes the record's rows in a transaction and names the process to
 * start (null: none, e.g. a claim refused at submission); the pending start is written in that same
 * transaction; after the commit the process is started. Answers the record whether or not the start
 * went through now.
 */
export async function createAndStart<T>(knex: Knex, engine: ProcessEngine, write: (trx: Knex.Transaction) => Promise<{ record: T; start: ProcessStart | null }>, attempt: StartAttempt = { tryNow: true }): Promise<T> {
  const { record, start } = await knex.transaction(async (trx) => {
    const written = await write(trx);
    if (written.start) await recordProcessStart(trx, engine.taskQueue, written.start);
    return written;
  });
  if (start && attempt.tryNow) attempt.tryNow = await startRecordedProcess(knex, engine, start);
  return record;
}

/**
 * Whether a create tries its start now. Creates in bulk (an import) share one: once a start fails
 * (the engine down, each try waiting out PROCESS_START_WAIT_MS), the rest are left to the reconciler.
 */
export interface StartAttempt {
  tryNow: boolean;
}

/** The reconciler's activities: read the pending starts, mark the ones it started. */
export function createProcessStartActivities(deps: { knex: Knex; now(): Date }) {
  return {
    async pendingProcessStarts(olderThanMs: number): Promise<PendingStart[]> {
      return pendingProcessStarts(deps.knex, olderThanMs, PROCESS_START_BATCH, deps.now());
    },
    async markProcessesStarted(workflowIds: string[]): Promise<void> {
      await markProcessesStarted(deps.knex, workflowIds, deps.now());
    },
  };
}

/**
 * A step's failure as the API answers it (platform/http/temporalErrors.ts), except that a record whose
 * process has not started yet (its start pending: the engine was down when it was created) is a 503
 * to try again, not the 409 of a process that ended.
 */
export async function stepFailureToApi(knex: Knex, error: unknown, closedMessage: string | Words): Promise<ApiError> {
  if (error instanceof WorkflowNotFoundError && error.workflowId && (await isStartPending(knex, error.workflowId))) {
    return unavailable('This record’s process is still starting; nothing was changed. Try again shortly.');
  }
  return updateFailureToApi(error, closedMessage);
}

async function isStartPending(knex: Knex, workflowId: string): Promise<boolean> {
  return Boolean(await knex('process_starts').where({ workflow_id: workflowId }).whereNull('started_at').first('workflow_id'));
}
