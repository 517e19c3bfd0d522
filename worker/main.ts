/**
 * Production worker entry point (`npm run start:worker` after `npm run build`). Scale out by running
 * more of these against the same Temporal namespace and task queues; they share no state but the database.
 * Each ensures the Temporal Schedules as it starts (idempotent), so a deployment needs no separate step.
 */
import { Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../platform/config/config';
import { activitiesFor, openCoreServices } from '../app/services';
import { ensureSchedules } from '../app/schedules';
import { connectClient, connectWorkerConnection } from '../platform/temporal/connection';
import { noticesTaskQueue } from '../platform/temporal/taskQueues';
import { createWorkers } from '../platform/temporal/createWorker';
import { WorkerLogger } from '../platform/temporal/workerLogger';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress) throw new ConfigError(['TEMPORAL_ADDRESS: required for the production worker (npm start runs an embedded server instead)']);
  // SIGINT/SIGTERM start a graceful shutdown: no new tasks, running activities get the grace time.
  Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'], logger: new WorkerLogger('INFO') });
  const services = await openCoreServices(config);
  const target = { address: config.temporalAddress, namespace: config.temporalNamespace };
  // The Schedules this worker's workflows run on (dealer settlement, parts plans): created by the first
  // worker to start, kept by every other and on every restart (app/schedules.ts).
  const temporal = await connectClient(target, true);
  const schedules = await ensureSchedules({ client: temporal.client, taskQueue: config.taskQueue, knex: services.knex });
  await temporal.connection.close();
  console.log(`[aftercare-worker] Schedules ensured: ${schedules.join(', ')}`);
  const connection = await connectWorkerConnection(target, true);
  const workers = await createWorkers({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    activities: activitiesFor(services, config),
    noticeConcurrency: config.noticeConcurrency,
    shutdownGraceTime: config.workerShutdownGrace,
  });
  console.log(
    `[aftercare-worker] polling ${config.temporalNamespace}/${config.taskQueue} and ${noticesTaskQueue(config.taskQueue)} (${config.noticeConcurrency} notices at once) at ${config.temporalAddress}`,
  );
  await workers.run();
  await connection.close();
  await services.close();
  console.log('[aftercare-worker] stopped');
}

main().catch((error: unknown) => {
  console.error('[aftercare-worker]', error instanceof Error ? error.message : error);
  process.exit(1);
});
