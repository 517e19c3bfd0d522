/**
 * The migrations run as a plain application user (issue #20): a user with only
 * `ALL PRIVILEGES ON <db>.*` on a server with binary logging, which is MySQL 8's default and every
 * managed MySQL's. Such a server refuses that user anything that needs SUPER, triggers above all
 * (error 1419, ER_BINLOG_CREATE_ROUTINE_NEED_SUPER); MariaDB started with --log-bin refuses it
 * exactly as MySQL 8 does, so the test starts its own MariaDB with --log-bin in a temporary folder,
 * with the grant tables in force, and runs the migration chain up, down and up again as that user.
 *
 * Skipped (saying so) only where no mariadbd / mysqld is installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import mysql from 'mysql2/promise';
import { createKnex } from '../../platform/db/knex';
import { migrateLatest, migrationConfig, rollbackAll } from '../../platform/db/migrations';
import { OLD_TRIGGERS } from '../../platform/db/migrations/0029_drop_figure_triggers';

const SERVER = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((file) => fs.existsSync(file));
const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db', '/usr/sbin/mariadb-install-db'].find((file) => fs.existsSync(file));
const DATABASE = 'appdb';
const APP = { user: 'app', password: 'app-password' };
/** A guard against a server that never comes up, not a wait: readiness is polled. */
const START_GUARD_MS = 180_000;

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface PrivateServer {
  port: number;
  socket: string;
  /** root over the socket (root may do anything, and has SUPER). */
  root: Knex;
  stop(): Promise<void>;
}

/** A MariaDB of its own in `dir`, with binary logging on, ready to take connections. */
async function startServer(dir: string): Promise<PrivateServer> {
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const runAs = os.userInfo().uid === 0 ? ['--user=root'] : [];
  const installed = spawnSync(INSTALL_DB!, ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...runAs], { encoding: 'utf8' });
  if (installed.status !== 0) throw new Error(`${INSTALL_DB} failed: ${installed.stderr || installed.stdout}`);
  const port = await freePort();
  const errorLog = path.join(dir, 'error.log');
  const child: ChildProcess = spawn(
    SERVER!,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      `--log-error=${errorLog}`,
      // Binary logging, as on MySQL 8 and managed MySQL: what makes triggers need SUPER.
      `--log-bin=${path.join(dir, 'binlog')}`,
      '--server-id=1',
      // The app user is app@127.0.0.1: match clients by address, not by a resolved name.
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
      ...runAs,
    ],
    { stdio: 'ignore' },
  );
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (${code ?? signal})`;
      resolve();
    });
  });
  const root = knexFactory({ client: 'mysql2', connection: { socketPath: socket, user: 'root' } as Knex.MySql2ConnectionConfig, pool: { min: 0, max: 2 } });
  const stop = async () => {
    await root.destroy();
    if (!exited) {
      child.kill('SIGTERM');
      await exit;
    }
  };
  // Ready once root can run a query over the socket (polled with a bare connection: knex's pool
  // would log every refusal while the server starts).
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`${SERVER} ${exited}: ${fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8').slice(-2000) : ''}`);
    try {
      const probe = await mysql.createConnection({ socketPath: socket, user: 'root' });
      await probe.query('SELECT 1');
      await probe.end();
      break;
    } catch (error) {
      if (Date.now() - started > START_GUARD_MS) {
        await stop();
        throw new Error(`${SERVER} did not take connections`, { cause: error });
      }
      await Promise.race([exit, new Promise<void>((resolve) => setTimeout(resolve, 50))]);
    }
  }
  return { port, socket, root, stop };
}

const errno = (error: unknown) => (error as { errno?: number }).errno;

const describeWithServer = SERVER && INSTALL_DB ? describe : describe.skip;
if (!SERVER || !INSTALL_DB) {
  console.warn('test/db/plainUserBinlog.test.ts skipped: no mariadbd/mysqld in /usr/sbin or no mariadb-install-db in /usr/bin');
}

describeWithServer('the migrations as a plain user on MariaDB with --log-bin', () => {
  let dir: string;
  let server: PrivateServer;
  let app: Knex;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-binlog-'));
    server = await startServer(dir);
    await server.root.raw(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await server.root.raw(`CREATE USER '${APP.user}'@'127.0.0.1' IDENTIFIED BY '${APP.password}'`);
    await server.root.raw(`GRANT ALL PRIVILEGES ON ${DATABASE}.* TO '${APP.user}'@'127.0.0.1'`);
    app = createKnex({ databaseUrl: `mysql://${APP.user}:${APP.password}@127.0.0.1:${server.port}/${DATABASE}`, dataDir: dir });
  });

  afterAll(async () => {
    await app?.destroy();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const triggers = async () => (await server.root('information_schema.triggers').where({ trigger_schema: DATABASE }).pluck('trigger_name')) as string[];
  const tables = async () => (await server.root('information_schema.tables').where({ table_schema: DATABASE }).pluck('table_name')) as string[];

  it('is a server that refuses this user a trigger (1419), as MySQL 8 with binary logging does', async () => {
    const [[logBin]] = (await server.root.raw(`SELECT @@log_bin AS log_bin, @@log_bin_trust_function_creators AS trusted`)) as [[{ log_bin: number; trusted: number }]];
    expect(logBin).toEqual({ log_bin: 1, trusted: 0 });
    expect(((await app.raw('SHOW GRANTS')) as [Array<Record<string, string>>])[0].map((row) => Object.values(row)[0])).toEqual([
      expect.stringContaining(`GRANT USAGE ON *.* TO \`${APP.user}\`@\`127.0.0.1\``),
      `GRANT ALL PRIVILEGES ON \`${DATABASE}\`.* TO \`${APP.user}\`@\`127.0.0.1\``,
    ]);
    await app.raw('CREATE TABLE probe (id INT)');
    try {
      const refused = await app.raw('CREATE TRIGGER probe_insert BEFORE INSERT ON probe FOR EACH ROW SET NEW.id = 1').then(
        () => null,
        (error: unknown) => error,
      );
      expect(errno(refused)).toBe(1419);
    } finally {
      await app.raw('DROP TABLE probe');
    }
  });

  it('runs the chain up, down to knex’s own tables, and up again', async () => {
    const applied = await migrateLatest(app);
    expect(applied[0]).toBe('0001_core');
    expect(applied).toContain('0029_drop_figure_triggers');
    expect(await tables()).toEqual(expect.arrayContaining(['tickets', 'ticket_figures', 'ticket_figure_changes', 'claims']));
    expect(await triggers()).toEqual([]);

    await rollbackAll(app);
    expect((await tables()).sort()).toEqual(['knex_migrations', 'knex_migrations_lock']);

    expect((await migrateLatest(app)).length).toBe(applied.length);
    expect(await tables()).toEqual(expect.arrayContaining(['tickets', 'ticket_figures', 'ticket_figure_changes', 'claims']));
    expect(await triggers()).toEqual([]);
  });

  it('0029 drops the triggers an earlier 0026–0028 left, as a user allowed to; this user is told so', async () => {
    await app.migrate.down({ ...migrationConfig, name: '0029_drop_figure_triggers' });
    // What the earlier 0026 created, made here by root (who has SUPER), as an administrator had.
    await server.root.raw(`CREATE TRIGGER ${DATABASE}.${OLD_TRIGGERS[0]} AFTER INSERT ON ${DATABASE}.tickets FOR EACH ROW INSERT INTO ticket_figure_changes (ticket_id) VALUES (NEW.id)`);
    expect(await triggers()).toEqual([OLD_TRIGGERS[0]]);
    // With binary logging, dropping a trigger needs SUPER as well.
    await expect(migrateLatest(app)).rejects.toThrow(`trigger ${OLD_TRIGGERS[0]} (made by an earlier migration 0026–0028) cannot be dropped by this user`);
    // An administrator (root, with SUPER) runs it: the trigger goes, and 0029 is done.
    const admin = knexFactory({ client: 'mysql2', connection: { socketPath: server.socket, user: 'root', database: DATABASE, timezone: 'Z' } as Knex.MySql2ConnectionConfig, pool: { min: 0, max: 1 } });
    try {
      expect(await migrateLatest(admin)).toEqual(['0029_drop_figure_triggers']);
    } finally {
      await admin.destroy();
    }
    expect(await triggers()).toEqual([]);
    expect(await migrateLatest(app)).toEqual([]);
  });
});
