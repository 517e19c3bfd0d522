import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { workflowCallLogging } from '../../platform/temporal/clientLogging';
import { createWorkers } from '../../platform/temporal/createWorker';
import { installWorkerRuntime } from '../../platform/temporal/runtime';
import { noticesTaskQueue } from '../../platform/temporal/taskQueues';

/**
 * Worker INFO lines drown test output; warnings and errors still show. A test file that installed
 * its own Runtime first (metrics, a log capture) keeps it.
 */
function quietRuntime(): void {
  installWorkerRuntime({ level: 'WARN', shutdownSignals: [] });
}

export function testTemporalAddress(): string {
  const address = process.env.AFTERCARE_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('No test Temporal server: run the suite through jest.config.js (globalSetup starts one)');
  return address;
}

export interface TestWorker {
  client: Client;
  connection: Connection;
  taskQueue: string;
  /** `<taskQueue>-notices`, served by `noticeWorker`. */
  noticeTaskQueue: string;
  /** The interactive worker: workflows and record activities. */
  worker: Worker;
  /** The notices worker: sendNotice only, with bounded slots. */
  noticeWorker: Worker;
  /** Stops the worker (waits for it) and closes both connections. */
  stop(): Promise<void>;
  /** Stops only the worker, as a crash or deploy would; start another with `restart`. */
  kill(): Promise<void>;
  /** `workflowBundlePath`: a deploy, the new worker runs other workflow code than the one it replaces. */
  restart(activities: object, workflowBundlePath?: string): Promise<void>;
}

/** Both workers (interactive and notices), as production runs them, on task queues of their own so test files never steal each other's tasks. */
export async function startTestWorker(activities: object, name = 'test'): Promise<TestWorker> {
  quietRuntime();
  const address = testTemporalAddress();
  const taskQueue = `${name}-${crypto.randomBytes(4).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  // As connectClient makes them: starts, updates and signals are logged with their workflow ids.
  const client = new Client({ connection, namespace: 'default', interceptors: { workflow: [workflowCallLogging()] } });
  const launch = async (acts: object, workflowBundlePath = process.env.AFTERCARE_TEST_WORKFLOW_BUNDLE) => {
    const workers = await createWorkers({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: acts,
      noticeConcurrency: 4,
      shutdownGraceTime: '1s',
      workflowBundlePath,
    });
    const running = workers.run();
    return { workers, running };
  };
  let current = await launch(activities);
  const handle: TestWorker = {
    client,
    connection,
    taskQueue,
    noticeTaskQueue: noticesTaskQueue(taskQueue),
    worker: current.workers.interactive,
    noticeWorker: current.workers.notices,
    async kill() {
      current.workers.shutdown();
      await current.running;
    },
    async restart(acts: object, workflowBundlePath?: string) {
      await handle.kill();
      current = await launch(acts, workflowBundlePath);
      handle.worker = current.workers.interactive;
      handle.noticeWorker = current.workers.notices;
    },
    async stop() {
      await handle.kill();
      await nativeConnection.close();
      await connection.close();
    },
  };
  return handle;
}
