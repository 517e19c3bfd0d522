import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** How long in-flight activities may run after a shutdown request before they are cancelled. */
  shutdownGraceTime?: string;
  /** A pre-built bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundlePath?: string;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const options: WorkerOptions = {
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    activities: setup.activities,
    shutdownGraceTime: (setup.shutdownGraceTime ?? '10s') as WorkerOptions['shutdownGraceTime'],
    ...(setup.workflowBundlePath
      ? { workflowBundle: { codePath: setup.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
  };
  return Worker.create(options);
}
