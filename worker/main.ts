/**
 * Production worker entry point (`npm run start:worker` after `npm run build`). Scale out by running
 * more of these against the same Temporal namespace and task queues; they share no state but the database.
 * Each ensures the Temporal Schedules as it starts (idempotent), so a deployment needs no separate step.
 */
import { ConfigError, loadConfig } from '../platform/config/config';
import { activitiesFor, openCoreServices } from '../app/services';
import { ensureSchedules } from '../app/schedules';
import { connectClient, connectWorkerConnection } from '../platform/temporal/connection';
import { noticesTaskQueue } from '../platform/temporal/taskQueues';
import { createWorkers } from '../platform/temporal/createWorker';
import { installWorkerRuntime } from '../platform/temporal/runtime';
import { rootLogger } from '../platform/logging';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress) throw new ConfigError(['TEMPORAL_ADDRESS: required for the production worker (npm start runs an embedded server instead)']);
  if (config.logLevel) rootLogger.level = config.logLevel;
  // SIGINT/SIGTERM start a graceful shutdown: no new tasks, running activities get the grace time.
  // The SDK serves its own metrics (task latencies, slots, polls) at AFTERCARE_WORKER_METRICS_PORT.
  installWorkerRuntime({ shutdownSignals: ['SIGINT', 'SIGTERM'], metrics: config.workerMetrics });
  if (config.workerMetrics) rootLogger.info({ metrics: `http://${config.workerMetrics.host}:${config.workerMetrics.port}/metrics` }, 'worker metrics served');
  const services = await openCoreServices(config);
  const target = { address: config.temporalAddress, namespace: config.temporalNamespace };
  // The Schedules this worker's workflows run on (dealer settlement, parts plans): created by the first
  // worker to start, kept by every other and on every restart (app/schedules.ts).
  const temporal = await connectClient(target, true);
  const schedules = await ensureSchedules({ client: temporal.client, taskQueue: config.taskQueue, knex: services.knex });
  await temporal.connection.close();
  rootLogger.info({ schedules }, 'Schedules ensured');
  const connection = await connectWorkerConnection(target, true);
  const workers = await createWorkers({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    activities: activitiesFor(services, config),
    noticeConcurrency: config.noticeConcurrency,
    shutdownGraceTime: config.workerShutdownGrace,
  });
  rootLogger.info(
    { namespace: config.temporalNamespace, taskQueues: [config.taskQueue, noticesTaskQueue(config.taskQueue)], noticeConcurrency: config.noticeConcurrency, temporal: config.temporalAddress },
    'worker polling',
  );
  await workers.run();
  await connection.close();
  await services.close();
  rootLogger.info('worker stopped');
}

main().catch((error: unknown) => {
  rootLogger.fatal({ err: error }, 'worker failed');
  process.exit(1);
});
