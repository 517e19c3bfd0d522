import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TemporalCli } from './temporalCli';
import { SEARCH_ATTRIBUTE_TYPES } from './searchAttributes';
import { removeDevServerRecord, stopLeftoverDevServer, writeDevServerRecord } from './devServerPidFile';

export interface DevServerOptions {
  cli: TemporalCli;
  port: number;
  namespace: string;
  /** Omit for an in-memory server (tests); set for a server whose state survives restarts. */
  dbFile?: string;
  /** Omit for a headless server. */
  uiPort?: number;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * Where the running server's pid and ports are kept (npm start: `<data dir>/temporal-dev-server.pid`).
   * A server this file names that still runs, left by a start that was killed hard, is stopped first.
   */
  pidFile?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** The server process (absent for the SDK's own test server): the benchmark reads its memory. */
  pid?: number;
  stop(): Promise<void>;
}

/** WAL keeps the embedded store about ten times faster than SQLite's default rollback journal. */
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal', 'busy_timeout=5000'];

/** The CLI spells types as Keyword, Text, Int …; the SDK as KEYWORD, TEXT, INT …. */
const CLI_TYPE_NAMES: Record<string, string> = {
  TEXT: 'Text', KEYWORD: 'Keyword', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList',
};

function searchAttributeFlags(): string[] {
  return Object.entries(SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => ['--search-attribute', `${name}=${CLI_TYPE_NAMES[type]}`]);
}

/** Polls the frontend until it answers; the first start on a new state file can take well over 5 s. */
export async function waitForTemporal(address: string, timeoutMs: number, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const exitReason = exited?.();
    if (exitReason) throw new Error(`Temporal dev server exited: ${exitReason}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

/** A taken port would let the readiness probe reach someone else's server while ours dies. */
async function assertPortFree(port: number, what: string, setting: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', () => reject(new Error(`port ${port} for the ${what} is in use (another Temporal server?): free it, set ${setting} to another port, or set TEMPORAL_ADDRESS to use a running server`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const log = options.log ?? (() => undefined);
  const address = `127.0.0.1:${options.port}`;
  if (options.pidFile) await stopLeftoverDevServer(options.pidFile, { log });
  await assertPortFree(options.port, 'Temporal frontend', 'TEMPORAL_DEV_PORT');
  if (options.uiPort) await assertPortFree(options.uiPort, 'Temporal Web UI', 'TEMPORAL_UI_PORT');
  if (options.dbFile) fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });

  if (options.cli.kind === 'sdk-download') {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: options.port,
        namespace: options.namespace,
        dbFilename: options.dbFile,
        ui: options.uiPort !== undefined,
        uiPort: options.uiPort,
        extraArgs: SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
        searchAttributes: Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) => defineSearchAttributeKey(name, type)),
      },
    });
    return {
      address: env.address,
      uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
      stop: () => env.teardown(),
    };
  }

  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--namespace', options.namespace,
    '--log-level', 'warn',
    ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
    ...searchAttributeFlags(),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']),
  ];
  log(`starting ${options.cli.path} ${args.join(' ')}`);
  const child: ChildProcess = spawn(options.cli.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
  });
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitReason = `code ${code ?? signal}; ${stderrTail.trim().split('\n').slice(-5).join(' | ')}`;
      resolve();
    });
  });

  const { pidFile } = options;
  if (pidFile && child.pid !== undefined) writeDevServerRecord(pidFile, { pid: child.pid, port: options.port, uiPort: options.uiPort });
  const stop = async (): Promise<void> => {
    if (!exitReason) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    if (pidFile) removeDevServerRecord(pidFile);
  };

  try {
    await waitForTemporal(address, options.readyTimeoutMs ?? 120_000, () => exitReason);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined, pid: child.pid, stop };
}
