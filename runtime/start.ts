import path from 'node:path';
import { startApiServer } from '../platform/http';
import { UsersRepository } from '../people/repository';
import { ensureSetupLink, setupLinkLine } from '../people/firstAdmin';
import { createWorkers } from '../platform/temporal/createWorker';
import { installWorkerRuntime } from '../platform/temporal/runtime';
import { rootLogger } from '../platform/logging';
import { createMetricsRegistry, startMetricsServer } from '../platform/metrics';
import { adminTokenFor, secondFactorKeyFor } from '../platform/config/adminToken';
import { ConfigError, loadConfig, type AppConfig } from '../platform/config/config';
import { startDevServer, type DevServer } from '../platform/temporal/devServer';
import { httpAppFor } from '../app/httpApp';
import { ensureSchedules } from '../app/schedules';
import { activitiesFor, openCoreServices } from '../app/services';
import { connectClient, connectWorkerConnection } from '../platform/temporal/connection';
import { provisionTemporalCli } from '../platform/temporal/temporalCli';

const log = (line: string) => console.log(`[aftercare] ${line}`);

function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

/** `npm start`: the whole system in one process tree on embedded defaults. */
async function main(): Promise<void> {
  const config = configOrExit();
  // JSON log lines from warnings up, unless AFTERCARE_LOG_LEVEL says otherwise: request lines and the
  // worker's INFO lines (webpack's bundle report among them) would bury the addresses printed below.
  rootLogger.level = config.logLevel ?? 'warn';
  // We own the signals so that the API, the worker and the dev server stop in order.
  installWorkerRuntime({ shutdownSignals: [], metrics: config.workerMetrics });

  let devServer: DevServer | undefined;
  let address = config.temporalAddress;
  if (!address) {
    const cli = await provisionTemporalCli();
    const dbFile = path.join(config.dataDir, 'temporal.sqlite');
    log(`starting the embedded Temporal dev server (state in ${dbFile})`);
    // The pid file lets the next start stop this server if we are killed too hard to stop it ourselves.
    const pidFile = path.join(config.dataDir, 'temporal-dev-server.pid');
    devServer = await startDevServer({ cli, port: config.temporalDevPort, uiPort: config.temporalUiPort, dbFile, namespace: config.temporalNamespace, log, pidFile });
    address = devServer.address;
  }
  const external = Boolean(config.temporalAddress);
  const target = { address, namespace: config.temporalNamespace };

  const services = await openCoreServices(config);
  const admin = adminTokenFor(config);
  await new UsersRepository(services.knex).ensureAdmin(admin.token);
  // On a database where no admin has a password yet: a fresh single-use link for the first one.
  const setup = setupLinkLine(await ensureSetupLink(services.knex, { email: config.adminEmail, publicUrl: config.publicUrl, validMs: config.setupLinkMs }));

  const { connection, client } = await connectClient(target, external);
  const workerConnection = await connectWorkerConnection(target, external);
  const workers = await createWorkers({
    connection: workerConnection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    activities: activitiesFor(services, config),
    noticeConcurrency: config.noticeConcurrency,
    shutdownGraceTime: config.workerShutdownGrace,
  });
  const workerRunning = workers.run();
  // The Schedules (dealer settlement, parts plans), as every worker entry point ensures them: app/schedules.ts.
  await ensureSchedules({ client, taskQueue: config.taskQueue, knex: services.knex });

  const metrics = createMetricsRegistry();
  // Unset, the second factor's key is generated once and kept in the data folder (never the built-in one).
  const secondFactor = { ...config.console.secondFactor, key: secondFactorKeyFor({ key: config.console.secondFactor.key, dataDir: config.dataDir }) };
  const app = httpAppFor(services, { client, connection }, { ...config, console: { ...config.console, secondFactor } }, { metrics });
  const api = await startApiServer(app, config.port);
  const metricsServer = config.apiMetrics ? await startMetricsServer(metrics, config.apiMetrics) : undefined;

  log(`API        ${api.url}/api   (OpenAPI: ${api.url}/api/openapi.json, health: ${api.url}/healthz)`);
  log(`console    ${api.url}/`);
  log(`Temporal   ${address}${devServer?.uiUrl ? `   (Web UI: ${devServer.uiUrl})` : ''}`);
  log(`database   ${config.databaseUrl ? config.databaseUrl.replace(/\/\/[^@]*@/, '//***@') : path.join(config.dataDir, 'aftercare.sqlite')}`);
  log(`mail       ${config.smtpUrl ? config.smtpUrl.replace(/\/\/[^@]*@/, '//***@') : `.eml files in ${path.join(config.dataDir, 'mail')}`}`);
  const workerMetricsUrl = config.workerMetrics ? `http://${config.workerMetrics.host}:${config.workerMetrics.port}/metrics` : undefined;
  log(`metrics    ${[metricsServer && `API ${metricsServer.url}`, workerMetricsUrl && `worker ${workerMetricsUrl}`].filter(Boolean).join(', ') || 'off'}`);
  log(admin.generated ? `admin token (new, saved in ${config.dataDir}/admin-token): ${admin.token}` : 'admin token: AFTERCARE_ADMIN_TOKEN or the one saved in the data folder');
  if (setup) log(setup);
  log('ready; Ctrl-C stops everything');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await api.close();
    await metricsServer?.close();
    workers.shutdown();
    await workerRunning;
    await workerConnection.close();
    await connection.close();
    await services.close();
    await devServer?.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('[aftercare] failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
