import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { createKnex } from '../db/knex';
import { migrateLatest } from '../db/migrations';
import { SEARCH_ATTRIBUTE_TYPES } from './searchAttributes';
import { adminTokenFor, secondFactorKeyFor } from '../config/adminToken';
import { ClusterProcess } from './clusterProcess';
import { resolveTemporalServer, type TemporalServerBinaries } from './clusterServer';
import { waitForTemporal } from './devServer';

/**
 * `npm run cluster`: the production topology on one machine. Temporal's frontend, history, matching and
 * worker services as four processes on PostgreSQL (persistence and SQL visibility), two Aftercare
 * workers, the API and MariaDB as the application store, each database a server of its own in the
 * cluster's data folder on ports of its own, so neither the machine's databases nor `npm start` are touched.
 */
export interface ClusterOptions {
  dataDir: string;
  /** Every port is this plus a fixed offset (see `clusterPorts`). */
  portBase: number;
  cli: string;
  binaries: TemporalServerBinaries;
  /** The application's root (where worker/ and api/ are). */
  appRoot: string;
  /** The API's port (PORT); unset, the port base + 80. */
  apiPort?: number;
  /** The bootstrap admin's token (AFTERCARE_ADMIN_TOKEN); unset, generated once and kept in the data folder. */
  adminToken?: string;
  /** Extra environment for the workers and the API (SMTP_URL, policy speed-ups in tests). */
  appEnv?: NodeJS.ProcessEnv;
  workers?: number;
  log?: (line: string) => void;
}

export interface ClusterPorts {
  postgres: number;
  mariadb: number;
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  temporalWorker: number;
  api: number;
  /** The API's /metrics. */
  apiMetrics: number;
  /** The first Aftercare worker's metrics (served by the Temporal SDK); worker n has this + n - 1. */
  workerMetrics: number;
}

/** Temporal keeps membership ports in a PostgreSQL smallint: the highest one (base + 939) must stay below 32768. */
export const MAX_CLUSTER_PORT_BASE = 32767 - 939;

export function clusterPorts(base: number): ClusterPorts {
  if (!Number.isInteger(base) || base < 1024 || base > MAX_CLUSTER_PORT_BASE) {
    throw new Error(`AFTERCARE_CLUSTER_PORT_BASE must be a whole number from 1024 to ${MAX_CLUSTER_PORT_BASE} (Temporal stores its membership ports, base + 933 … 939, as a smallint); got ${base}`);
  }
  return {
    postgres: base + 432,
    mariadb: base + 306,
    frontend: base + 233,
    frontendHttp: base + 243,
    history: base + 234,
    matching: base + 235,
    temporalWorker: base + 239,
    api: base + 80,
    apiMetrics: base + 464,
    workerMetrics: base + 465,
  };
}

/** Membership (ringpop) ports sit 700 above each service's gRPC port, as 7233 → 6933 does in Temporal's samples, but upwards. */
const MEMBERSHIP_OFFSET = 700;

export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface Cluster {
  ports: ClusterPorts;
  temporalAddress: string;
  databaseUrl: string;
  apiUrl: string;
  adminToken: string;
  namespace: string;
  taskQueue: string;
  postgres: ClusterProcess;
  mariadb: ClusterProcess;
  temporal: Record<TemporalService, ClusterProcess>;
  workers: ClusterProcess[];
  api: ClusterProcess;
  /** Every process, in start order. */
  all(): ClusterProcess[];
  waitForApi(timeoutMs?: number): Promise<void>;
  waitForMariadb(timeoutMs?: number): Promise<void>;
  waitForPostgres(timeoutMs?: number): Promise<void>;
  /** Starts whatever is not running, in order, and waits until each is ready. */
  startAll(): Promise<void>;
  /** Stops everything in reverse order: API, workers, Temporal, databases. */
  stop(): Promise<void>;
  /** The first process that died while it should run (not stopped by `stop`), with its log's tail. */
  failed(): string | undefined;
}

function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = path.join(root, version, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  const onPath = spawnSync('sh', ['-c', 'dirname "$(command -v initdb)"'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && fs.existsSync(path.join(onPath, 'postgres'))) return onPath;
  throw new Error('PostgreSQL (initdb, postgres) not found: install it (apt-get install postgresql) and run again');
}

function findOnPath(name: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} not found on PATH`);
  return found;
}

/** PostgreSQL refuses root; as root it runs as the system's postgres user, which then must own its folder. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).stdout.trim();
  const [, , uid, gid] = line.split(':');
  if (!uid || !gid) throw new Error('running as root, PostgreSQL needs a "postgres" user to run as; create one or run as another user');
  return { uid: Number(uid), gid: Number(gid) };
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const failure = failed?.();
    if (failure) throw new Error(failure);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string } = {}): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5 * 60_000, ...options });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function must(what: string, result: { ok: boolean; output: string }): void {
  if (!result.ok) throw new Error(`${what} failed:\n${result.output.trim().split('\n').slice(-12).join('\n')}`);
}

/** The server's development-postgres12.yaml, on our ports and folder; JSON is YAML, so it is written as JSON. */
function temporalConfig(ports: ClusterPorts, dataDir: string): object {
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${ports.postgres}`,
      connectProtocol: 'tcp',
      user: 'temporal',
      password: 'temporal',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number) => ({ grpcPort, membershipPort: grpcPort + MEMBERSHIP_OFFSET, bindOnLocalHost: true });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 4) },
    },
    // pprof and metrics listen on one port per process in the sample; four processes would collide.
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' }, pprof: { port: 0 } },
    services: {
      frontend: { rpc: { ...rpc(ports.frontend), httpPort: ports.frontendHttp } },
      history: { rpc: rpc(ports.history) },
      matching: { rpc: rpc(ports.matching) },
      worker: { rpc: rpc(ports.temporalWorker) },
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    publicClient: { hostPort: `127.0.0.1:${ports.frontend}` },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: path.join(dataDir, 'temporal-config', 'dynamicconfig.yaml'), pollInterval: '10s' },
  };
}

/** The CLI spells search attribute types as Keyword, Text …; the SDK as KEYWORD, TEXT …. */
const CLI_TYPE_NAMES: Record<string, string> = {
  TEXT: 'Text', KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList',
};

/** From the sample's development-sql.yaml, what applies here; namespaces refresh faster so a new one is usable at once. */
const DYNAMIC_CONFIG = `limit.maxIDLength:
  - value: 255
    constraints: {}
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
`;

/**
 * The ports and the bootstrap admin's token a cluster runs with: the API on `apiPort` (PORT) when
 * given, else the port base + 80; the token `adminToken` (AFTERCARE_ADMIN_TOKEN) when given, else the
 * one generated on the first start and kept in the app's data folder, as under `npm start`.
 */
export function clusterSettings(options: Pick<ClusterOptions, 'portBase' | 'apiPort' | 'adminToken' | 'appEnv'>, appDataDir: string): { ports: ClusterPorts; adminToken: string } {
  const ports = { ...clusterPorts(options.portBase), ...(options.apiPort !== undefined ? { api: options.apiPort } : {}) };
  fs.mkdirSync(appDataDir, { recursive: true });
  const adminToken = adminTokenFor({ adminToken: options.adminToken ?? options.appEnv?.AFTERCARE_ADMIN_TOKEN, dataDir: appDataDir }).token;
  return { ports, adminToken };
}

export function createCluster(options: ClusterOptions): Cluster {
  const log = options.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  const dataDir = path.resolve(options.dataDir);
  const appDataDir = path.join(dataDir, 'app');
  const { ports, adminToken } = clusterSettings(options, appDataDir);
  const logs = path.join(dataDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const pgBin = findPostgresBin();
  const pgUser = postgresUser();
  const pgData = path.join(dataDir, 'postgres');
  const pgSocketDir = path.join(dataDir, 'postgres-socket');
  const mariadbData = path.join(dataDir, 'mariadb');
  const namespace = 'default';
  const taskQueue = 'aftercare';
  const temporalAddress = `127.0.0.1:${ports.frontend}`;
  const databaseUrl = `mysql://root@127.0.0.1:${ports.mariadb}/aftercare`;

  const postgres = new ClusterProcess({
    name: 'postgres',
    command: path.join(pgBin, 'postgres'),
    args: ['-D', pgData, '-p', String(ports.postgres), '-h', '127.0.0.1', '-k', pgSocketDir, '-c', 'max_connections=200', '-c', 'fsync=on'],
    logFile: path.join(logs, 'postgres.log'),
    stopSignal: 'SIGINT',
    ...pgUser,
  });
  const mariadb = new ClusterProcess({
    name: 'mariadb',
    command: findOnPath('mariadbd'),
    args: [
      '--no-defaults', `--datadir=${mariadbData}`, `--port=${ports.mariadb}`, '--bind-address=127.0.0.1',
      `--socket=${path.join(dataDir, 'mariadb.sock')}`, `--pid-file=${path.join(dataDir, 'mariadb.pid')}`,
      '--skip-log-bin', '--innodb-buffer-pool-size=64M', ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ],
    logFile: path.join(logs, 'mariadb.log'),
  });
  const configDir = path.join(dataDir, 'temporal-config');
  const temporal = Object.fromEntries(
    TEMPORAL_SERVICES.map((service) => [
      service,
      new ClusterProcess({
        name: `temporal-${service}`,
        command: options.binaries.server,
        args: ['--root', dataDir, '--config', 'temporal-config', '--env', 'cluster', '--allow-no-auth', 'start', '--service', service],
        cwd: dataDir,
        logFile: path.join(logs, `temporal-${service}.log`),
      }),
    ]),
  ) as Record<TemporalService, ClusterProcess>;
  const appEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: databaseUrl,
    AFTERCARE_DATA_DIR: appDataDir,
    AFTERCARE_ADMIN_TOKEN: adminToken,
    // The API processes share one key for the second factor's secrets, kept beside the admin token.
    AFTERCARE_SECOND_FACTOR_KEY: secondFactorKeyFor({ key: options.appEnv?.AFTERCARE_SECOND_FACTOR_KEY ?? process.env.AFTERCARE_SECOND_FACTOR_KEY, dataDir: appDataDir }),
    PORT: String(ports.api),
    AFTERCARE_METRICS_PORT: String(ports.apiMetrics),
    // A cluster logs as production does (info), also when started from a test, whose own default is warnings.
    AFTERCARE_LOG_LEVEL: process.env.AFTERCARE_LOG_LEVEL ?? 'info',
    ...options.appEnv,
  };
  const tsx = ['--import', 'tsx'];
  const workers = Array.from({ length: options.workers ?? 2 }, (_, i) =>
    new ClusterProcess({
      name: `aftercare-worker-${i + 1}`,
      command: process.execPath,
      args: [...tsx, 'worker/main.ts'],
      cwd: options.appRoot,
      // One host: a metrics port each, whatever the environment says (one port for two would stop the second).
      env: { ...appEnv, AFTERCARE_WORKER_METRICS_PORT: String(ports.workerMetrics + i) },
      logFile: path.join(logs, `aftercare-worker-${i + 1}.log`),
    }),
  );
  const api = new ClusterProcess({
    name: 'aftercare-api',
    command: process.execPath,
    args: [...tsx, 'api/main.ts'],
    cwd: options.appRoot,
    env: appEnv,
    logFile: path.join(logs, 'aftercare-api.log'),
  });
  const all = () => [postgres, mariadb, ...TEMPORAL_SERVICES.map((s) => temporal[s]), ...workers, api];
  const failed = () => all().find((p) => p.failure !== undefined)?.failure;

  const sqlTool = (database: string, args: string[]) =>
    run(options.binaries.sqlTool, ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(ports.postgres), '--user', 'temporal', '--password', 'temporal', '--database', database, ...args]);

  async function initPostgres(): Promise<void> {
    if (fs.existsSync(path.join(pgData, 'PG_VERSION'))) return;
    log(`initdb ${pgData}`);
    fs.mkdirSync(pgData, { recursive: true });
    fs.mkdirSync(pgSocketDir, { recursive: true });
    if (pgUser) {
      fs.chownSync(pgData, pgUser.uid, pgUser.gid);
      fs.chownSync(pgSocketDir, pgUser.uid, pgUser.gid);
    }
    // Local trust on its own loopback port: the cluster's PostgreSQL serves nobody but this cluster.
    must('initdb', run(path.join(pgBin, 'initdb'), ['-D', pgData, '-U', 'temporal', '--auth=trust', '--encoding=UTF8', '--no-instructions'], { ...pgUser, cwd: '/' }));
  }

  async function initMariadb(): Promise<void> {
    if (fs.existsSync(path.join(mariadbData, 'mysql'))) return;
    log(`mariadb-install-db ${mariadbData}`);
    fs.mkdirSync(mariadbData, { recursive: true });
    must(
      'mariadb-install-db',
      run(findOnPath('mariadb-install-db'), [
        '--no-defaults', `--datadir=${mariadbData}`, '--auth-root-authentication-method=normal', '--skip-test-db',
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ]),
    );
  }

  async function waitForPostgres(timeoutMs = 60_000): Promise<void> {
    await until('PostgreSQL', async () => run(path.join(pgBin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(ports.postgres)]).ok, timeoutMs, failed);
  }

  async function waitForMariadb(timeoutMs = 60_000): Promise<void> {
    await until('MariaDB', async () => {
      const connection = await mysql.createConnection({ host: '127.0.0.1', port: ports.mariadb, user: 'root' });
      await connection.end();
      return true;
    }, timeoutMs, failed);
  }

  async function prepareSchemas(): Promise<void> {
    const marker = path.join(dataDir, 'temporal-schema-v1.29.1');
    if (!fs.existsSync(marker)) {
      for (const [database, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
        log(`schema ${database} (postgresql/v12/${schema})`);
        const created = sqlTool(database, ['create-database']);
        if (!created.ok && !/already exists/.test(created.output)) must(`create-database ${database}`, created);
        must(`setup-schema ${database}`, sqlTool(database, ['setup-schema', '-v', '0.0']));
        must(`update-schema ${database}`, sqlTool(database, ['update-schema', '--schema-name', `postgresql/v12/${schema}`]));
      }
      fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
    } else {
      // A newer build of the same minor brings schema updates with it; update-schema is a no-op otherwise.
      for (const [database, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
        must(`update-schema ${database}`, sqlTool(database, ['update-schema', '--schema-name', `postgresql/v12/${schema}`]));
      }
    }
    const connection = await mysql.createConnection({ host: '127.0.0.1', port: ports.mariadb, user: 'root' });
    await connection.query('CREATE DATABASE IF NOT EXISTS aftercare CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await connection.end();
  }

  function writeTemporalConfig(): void {
    fs.mkdirSync(configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'cluster.yaml'), `${JSON.stringify(temporalConfig(ports, dataDir), null, 2)}\n`);
    fs.writeFileSync(path.join(configDir, 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
  }

  const cliRun = (args: string[]) => run(options.cli, [...args, '--address', temporalAddress]);

  async function registerNamespace(): Promise<void> {
    const described = cliRun(['operator', 'namespace', 'describe', '--namespace', namespace]);
    if (!described.ok) {
      log(`namespace ${namespace}`);
      const created = cliRun(['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h']);
      if (!created.ok && !/already exists|AlreadyExists/i.test(created.output)) must('namespace create', created);
    }
    // Frontends cache namespaces; a new one is visible after a refresh.
    await until('the namespace', async () => cliRun(['workflow', 'list', '--namespace', namespace, '--limit', '1']).ok, 60_000, failed);
    const listed = cliRun(['operator', 'search-attribute', 'list', '--namespace', namespace]).output;
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) {
      if (listed.includes(name)) continue;
      log(`search attribute ${name}`);
      const cliType = CLI_TYPE_NAMES[type] ?? 'Keyword';
      const created = cliRun(['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', name, '--type', cliType]);
      if (!created.ok && !/already exists/i.test(created.output)) must(`search-attribute create ${name}`, created);
    }
  }

  async function migrateApplicationStore(): Promise<void> {
    // Before the workers and the API, so that they do not race each other migrating at start.
    const knex = createKnex({ databaseUrl, dataDir: appDataDir });
    try {
      await migrateLatest(knex);
    } finally {
      await knex.destroy();
    }
  }

  async function waitForApi(timeoutMs = 60_000): Promise<void> {
    await until('the API', async () => (await fetch(`http://127.0.0.1:${ports.api}/healthz`)).ok, timeoutMs, failed);
  }

  async function startAll(): Promise<void> {
    await initPostgres();
    await initMariadb();
    if (!postgres.running) {
      if (await portAnswers(ports.postgres)) throw new Error(`port ${ports.postgres} (the cluster's PostgreSQL) is taken: is another cluster running?`);
      postgres.start();
    }
    if (!mariadb.running) {
      if (await portAnswers(ports.mariadb)) throw new Error(`port ${ports.mariadb} (the cluster's MariaDB) is taken: is another cluster running?`);
      mariadb.start();
    }
    await waitForPostgres();
    await waitForMariadb();
    await prepareSchemas();
    writeTemporalConfig();
    // The first service to start writes the cluster's metadata; four at once on a new database race on it.
    temporal.history.start();
    await until('the history service', () => portAnswers(ports.history), 120_000, failed);
    for (const service of TEMPORAL_SERVICES) temporal[service].start();
    await waitForTemporal(temporalAddress, 120_000, failed);
    await registerNamespace();
    await migrateApplicationStore();
    for (const worker of workers) worker.start();
    api.start();
    await waitForApi();
  }

  async function stop(): Promise<void> {
    await api.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await temporal.frontend.stop();
    await Promise.all([temporal.worker.stop(), temporal.matching.stop()]);
    await temporal.history.stop();
    await Promise.all([mariadb.stop(60_000), postgres.stop(60_000)]);
  }

  return {
    ports, temporalAddress, databaseUrl, apiUrl: `http://127.0.0.1:${ports.api}`, adminToken, namespace, taskQueue,
    postgres, mariadb, temporal, workers, api, all, waitForApi, waitForMariadb, waitForPostgres, startAll, stop, failed,
  };
}

export { resolveTemporalServer };
