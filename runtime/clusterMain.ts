import path from 'node:path';
import { createCluster, resolveTemporalServer } from '../platform/temporal/cluster';
import { provisionTemporalCli } from '../platform/temporal/temporalCli';
import { ConfigError, loadClusterConfig } from '../platform/config/config';

const log = (line: string) => console.log(`[cluster] ${line}`);

/**
 * `npm run cluster`: see platform/temporal/cluster.ts. AFTERCARE_CLUSTER_DIR and AFTERCARE_CLUSTER_PORT_BASE
 * move it; PORT and AFTERCARE_ADMIN_TOKEN mean what they mean under `npm start` (loadClusterConfig).
 */
async function main(): Promise<void> {
  const appRoot = path.resolve(__dirname, '..');
  const config = loadClusterConfig(process.env, appRoot);
  const cli = await provisionTemporalCli();
  if (cli.kind !== 'binary') throw new Error('the cluster registers its namespace with the Temporal CLI: install Go so that it can be built, or set TEMPORAL_CLI_PATH');
  const binaries = resolveTemporalServer({ log });
  const cluster = createCluster({
    ...config,
    cli: cli.path,
    binaries,
    appRoot,
    log,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the API, the workers, Temporal's services and the databases`);
    await cluster.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const started = Date.now();
  try {
    await cluster.startAll();
  } catch (error) {
    console.error(`[cluster] failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await cluster.stop();
    process.exit(1);
  }
  const { ports } = cluster;
  log(`API        ${cluster.apiUrl}/api   (health: ${cluster.apiUrl}/healthz)`);
  log(`Temporal   ${cluster.temporalAddress}   (frontend, history ${ports.history}, matching ${ports.matching}, worker ${ports.temporalWorker}: four processes on PostgreSQL 127.0.0.1:${ports.postgres})`);
  log(`database   MariaDB ${cluster.databaseUrl}`);
  log(`workers    ${cluster.workers.length} Aftercare workers on ${cluster.namespace}/${cluster.taskQueue}`);
  log(`admin token: ${cluster.adminToken}`);
  log(`logs       ${path.join(config.dataDir, 'logs')}`);
  log(`ready in ${Math.round((Date.now() - started) / 1000)} s; Ctrl-C stops everything`);
  // A process that dies on its own is reported; the rest keep running, as in production.
  const watch = setInterval(() => {
    const failure = cluster.failed();
    if (failure && !stopping) {
      console.error(`[cluster] ${failure}`);
      clearInterval(watch);
    }
  }, 2000);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // A bad setting stops the start with exit code 2, as under `npm start`.
    console.error(error.message);
    process.exit(2);
  }
  console.error('[cluster]', error instanceof Error ? error.message : error);
  process.exit(1);
});
