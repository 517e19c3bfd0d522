import type { Knex } from 'knex';
import { dealerClaimWorkflowId, dealerTaskWorkflowId, partsPlanWorkflowId, settlementConfirmWorkflowId, warrantyCardWorkflowId } from './rules';
import { DeadlinesRepository, type DealerRecordType } from '../../schedule/deadlines/repository';
import { wordsAsText, type Words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';

/**
 * What the dealer sub-processes' repositories share: a refused step, row helpers, and the rows of
 * pending deadlines. Each repository's write is one transaction; the exactly-once rules of
 * settlement are unique keys (migration 0013), so concurrent or repeated calls cannot post twice.
 */

/** A step the record's state refuses (409), with why as words: each reader is told in their language. */
export class StepRefused extends Error {
  readonly words: Words;

  constructor(
    said: Words,
    readonly field?: string,
  ) {
    super(wordsAsText(said));
    this.words = said;
  }
}

export type Row = Record<string, unknown>;

export const num = (value: unknown): number => Number(value);

/** Rows by a numeric column, in the order given. */
export function groupBy(rows: Row[], column: string): Map<number, Row[]> {
  const out = new Map<number, Row[]>();
  for (const row of rows) {
    const key = num(row[column]);
    const list = out.get(key);
    if (list) list.push(row);
    else out.set(key, [row]);
  }
  return out;
}

/**
 * Pending dealer deadlines are rows in `deadlines` (work queues and GET /api/deadlines read them),
 * keyed by the process that chases them (warranty card, dealer task, claim); a statement's
 * confirmation, which no process chases yet, by the record's own key.
 */
const DEADLINE_OWNERS: Record<DealerRecordType, (id: number) => string> = {
  dealer_sale: warrantyCardWorkflowId,
  dealer_task: dealerTaskWorkflowId,
  claim: dealerClaimWorkflowId,
  settlement: settlementConfirmWorkflowId,
  parts_plan: partsPlanWorkflowId,
};

/** A pending deadline: what it is as words (said in each reader's language), its English line kept for exports. */
export async function openDeadline(db: Knex, recordType: DealerRecordType, recordId: number, kind: string, said: Words, dueAt: Date, key = kind): Promise<void> {
  await new DeadlinesRepository(db).open({ workflowId: DEADLINE_OWNERS[recordType](recordId), key, recordType, recordId, kind, description: say('en', said, kind), words: said, dueAt }, new Date());
}

export async function closeDeadline(db: Knex, recordType: DealerRecordType, recordId: number, kind: string, status: 'met' | 'dropped' = 'met'): Promise<void> {
  await new DeadlinesRepository(db).close(DEADLINE_OWNERS[recordType](recordId), kind, status, new Date());
}
