import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { NOTICE_ACTIVITIES, noticesTaskQueue } from './taskQueues';

/** How many notices one worker process sends at once, unless configured (NOTICE_WORKER_CONCURRENCY). */
export const DEFAULT_NOTICE_CONCURRENCY = 4;

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  /** The interactive queue: workflows, steps and record activities. Notices use `<taskQueue>-notices`. */
  taskQueue: string;
  /** Every activity; they are split between the two workers by name. */
  activities: object;
  /** How many notice activities run at once on the notices worker. */
  noticeConcurrency?: number;
  /** How long in-flight activities may run after a shutdown request before they are cancelled. */
  shutdownGraceTime?: string;
  /** A pre-built bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
}

/**
 * Two workers in one process. The interactive one runs the workflows and the quick record activities
 * people wait on; the notices one runs only the bulk notice activities, with bounded slots, so 20,000
 * queued notices never take the slots a project manager's step needs.
 */
export interface AftercareWorkers {
  interactive: Worker;
  notices: Worker;
  /** Runs both until shutdown; if one fails, the other is stopped too. */
  run(): Promise<void>;
  shutdown(): void;
}

type ActivityMap = Record<string, unknown>;

const isNoticeActivity = (name: string) => (NOTICE_ACTIVITIES as readonly string[]).includes(name);

/** The notice activities for the notices worker, everything else for the interactive one. */
export function splitActivities(activities: object): { interactive: ActivityMap; notices: ActivityMap } {
  const entries = Object.entries(activities as ActivityMap);
  return {
    interactive: Object.fromEntries(entries.filter(([name]) => !isNoticeActivity(name))),
    notices: Object.fromEntries(entries.filter(([name]) => isNoticeActivity(name))),
  };
}

/** The options of both workers, before they connect (pure; the structural test reads it). */
export function workerOptions(setup: WorkerSetup): { interactive: WorkerOptions; notices: WorkerOptions } {
  const { interactive, notices } = splitActivities(setup.activities);
  const shutdownGraceTime = (setup.shutdownGraceTime ?? '10s') as WorkerOptions['shutdownGraceTime'];
  return {
    interactive: {
      connection: setup.connection,
      namespace: setup.namespace,
      taskQueue: setup.taskQueue,
      activities: interactive,
      shutdownGraceTime,
      ...(setup.workflowBundlePath
        ? { workflowBundle: { codePath: setup.workflowBundlePath } }
        : { workflowsPath: require.resolve('../../workflows') }),
    },
    // Activities only: no workflows are registered, so this worker never polls for workflow tasks.
    notices: {
      connection: setup.connection,
      namespace: setup.namespace,
      taskQueue: noticesTaskQueue(setup.taskQueue),
      activities: notices,
      maxConcurrentActivityTaskExecutions: setup.noticeConcurrency ?? DEFAULT_NOTICE_CONCURRENCY,
      shutdownGraceTime,
    },
  };
}

export async function createWorkers(setup: WorkerSetup): Promise<AftercareWorkers> {
  const options = workerOptions(setup);
  const interactive = await Worker.create(options.interactive);
  const notices = await Worker.create(options.notices);
  const shutdown = () => {
    for (const worker of [interactive, notices]) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    interactive,
    notices,
    shutdown,
    async run() {
      const runs = [interactive.run(), notices.run()];
      try {
        await Promise.all(runs);
      } catch (error) {
        shutdown();
        await Promise.allSettled(runs);
        throw error;
      }
    },
  };
}
