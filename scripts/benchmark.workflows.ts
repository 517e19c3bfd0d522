/**
 * Benchmark-only workflows: bundled by `npm run benchmark` for a worker of its own, never registered
 * in workflows/index.ts. `bareProcess` replays the shape of a real process's history (its activities,
 * timers, updates and children, in the same order and overlap) with activities that do nothing, so
 * that the real process's time can be set beside Temporal's own for the same work. `stepWriter`
 * takes steps as updates, each a short database write, as a local or a regular activity.
 */
import { CancellationScope, condition, defineUpdate, executeChild, isCancellation, proxyActivities, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';

export type BareMove =
  | { kind: 'activityStart'; id: string }
  | { kind: 'activityEnd'; id: string }
  | { kind: 'localActivity' }
  | { kind: 'timerStart'; id: string; ms: number }
  | { kind: 'timerFired'; id: string }
  | { kind: 'timerCanceled'; id: string }
  /** Waits until this many updates (or signals) have been received. */
  | { kind: 'updates'; count: number }
  | { kind: 'childStart'; id: string; moves: BareMove[] }
  | { kind: 'childEnd'; id: string };

export interface BenchActivities {
  benchNothing(): Promise<void>;
  benchWriteStep(input: { key: string }): Promise<void>;
}

const { benchNothing } = proxyActivities<BenchActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '30 seconds' });

export const bareStep = defineUpdate<void>('bareStep');

export async function bareProcess(moves: BareMove[]): Promise<void> {
  let received = 0;
  setHandler(bareStep, () => {
    received += 1;
  });
  const activities = new Map<string, Promise<void>>();
  const timers = new Map<string, { done: Promise<void>; scope: CancellationScope }>();
  const children = new Map<string, Promise<void>>();
  for (const move of moves) {
    switch (move.kind) {
      case 'activityStart':
        activities.set(move.id, benchNothing());
        break;
      case 'activityEnd':
        await activities.get(move.id);
        break;
      case 'localActivity':
        await local.benchNothing();
        break;
      case 'timerStart': {
        const scope = new CancellationScope();
        const done = scope.run(() => sleep(move.ms)).catch((error: unknown) => {
          if (!isCancellation(error)) throw error;
        });
        timers.set(move.id, { done, scope });
        break;
      }
      case 'timerFired':
        await timers.get(move.id)?.done;
        break;
      case 'timerCanceled':
        timers.get(move.id)?.scope.cancel();
        break;
      case 'updates':
        await condition(() => received >= move.count);
        break;
      case 'childStart':
        children.set(move.id, executeChild(bareProcess, { args: [move.moves], workflowId: `${workflowInfo().workflowId}-child-${move.id}` }));
        break;
      case 'childEnd':
        await children.get(move.id);
        break;
    }
  }
}

export const writeStep = defineUpdate<void, [string]>('writeStep');
export const finishSteps = defineUpdate<void>('finishSteps');

/** One step per update, recorded by a short database write before the update answers. */
export async function stepWriter(input: { localActivities: boolean }): Promise<void> {
  const write = input.localActivities
    ? proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '10 seconds' }).benchWriteStep
    : proxyActivities<BenchActivities>({ startToCloseTimeout: '10 seconds' }).benchWriteStep;
  let finished = false;
  setHandler(writeStep, async (key: string) => {
    await write({ key });
  });
  setHandler(finishSteps, () => {
    finished = true;
  });
  await condition(() => finished);
}
