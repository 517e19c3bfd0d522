/**
 * The terms of process starts (processStarts.ts), workflow-safe: the reconciler workflow imports
 * them too, so nothing here reaches the database or the network.
 */
import { defineSearchAttributeKey, type SearchAttributePair, type SearchAttributeType } from '@temporalio/common';

/** How long the request waits for the engine to take a start before it answers (the start stays pending). */
export const PROCESS_START_WAIT_MS = 10_000;
/** A pending start younger than this is left to its own request (which may still be starting it). */
export const PROCESS_START_GRACE_MS = 5_000;
/** How often the reconciler runs (its Schedule's interval). */
export const PROCESS_START_RECONCILE_EVERY_MS = 60_000;
/** The most pending starts one reconciler run takes (the next run takes the rest). */
export const PROCESS_START_BATCH = 100;
/** The reconciler's Schedule id (tests append their own suffix). */
export const PROCESS_START_SCHEDULE_ID = 'process-start-reconciler';

/** A search attribute as stored with a pending start, and as a workflow rebuilds it. */
export interface StoredSearchAttribute {
  name: string;
  type: SearchAttributeType;
  value: string;
}

export const storedAttribute = (key: { name: string; type: SearchAttributeType }, value: string): StoredSearchAttribute => ({ name: key.name, type: key.type, value });

/** The stored attributes as the SDK takes them (client start, or a child start in a workflow). */
export function searchAttributePairs(stored: StoredSearchAttribute[] | undefined): SearchAttributePair[] | undefined {
  return stored?.map((a) => ({ key: defineSearchAttributeKey(a.name, a.type), value: a.value }) as SearchAttributePair);
}

