import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createWorker } from '../../worker/createWorker';

let runtimeInstalled = false;

/** Worker INFO lines drown test output; warnings and errors still show. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
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
  worker: Worker;
  /** Stops the worker (waits for it) and closes both connections. */
  stop(): Promise<void>;
  /** Stops only the worker, as a crash or deploy would; start another with `restart`. */
  kill(): Promise<void>;
  restart(activities: object): Promise<void>;
}

/** A worker on its own task queue, so test files never steal each other's tasks. */
export async function startTestWorker(activities: object, name = 'test'): Promise<TestWorker> {
  quietRuntime();
  const address = testTemporalAddress();
  const taskQueue = `${name}-${crypto.randomBytes(4).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const launch = async (acts: object) => {
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: acts,
      shutdownGraceTime: '1s',
      workflowBundlePath: process.env.AFTERCARE_TEST_WORKFLOW_BUNDLE,
    });
    const running = worker.run();
    return { worker, running };
  };
  let current = await launch(activities);
  const handle: TestWorker = {
    client,
    connection,
    taskQueue,
    worker: current.worker,
    async kill() {
      if (current.worker.getState() === 'RUNNING') current.worker.shutdown();
      await current.running;
    },
    async restart(acts: object) {
      await handle.kill();
      current = await launch(acts);
      handle.worker = current.worker;
    },
    async stop() {
      await handle.kill();
      await nativeConnection.close();
      await connection.close();
    },
  };
  return handle;
}
