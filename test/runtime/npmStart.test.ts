import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLineOf, isAlive, isTemporalDevServer } from '../../platform/temporal/devServerPidFile';
import { freePort } from '../support/ports';

const root = path.resolve(__dirname, '../..');

/** Runs `npm start` as a user would, waits for "ready", and returns its output and a stopper. */
async function npmStart(env: Record<string, string>) {
  // Its own process group, so the test can press Ctrl-C the way a terminal does: to the whole group.
  const child = spawn('npm', ['start'], { cwd: root, detached: true, env: { ...process.env, ...env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', SMTP_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  while (!output.includes('ready; Ctrl-C stops everything')) {
    if (child.exitCode !== null || Date.now() - started > 180_000) {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`npm start did not become ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    pid: child.pid!,
    output: () => output,
    /** Ctrl-C; resolves true once our processes said "stopped" and every process of the group is gone. */
    stop: async () => {
      process.kill(-child.pid!, 'SIGINT');
      await exited;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        try {
          process.kill(-child.pid!, 0);
        } catch {
          return output.includes('[aftercare] stopped');
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      process.kill(-child.pid!, 'SIGKILL');
      return false;
    },
  };
}

describe('npm start', () => {
  it('brings up API and Temporal UI on embedded defaults, stops cleanly on Ctrl-C, and reuses its state on the next start', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-start-'));
    const [port, temporalPort, uiPort, metricsPort, workerMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const env = {
      AFTERCARE_DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      AFTERCARE_METRICS_PORT: String(metricsPort),
      AFTERCARE_WORKER_METRICS_PORT: String(workerMetricsPort),
    };
    try {
      const first = await npmStart(env);
      expect(first.output()).toContain(`http://localhost:${port}/api`);
      expect(first.output()).toContain(`metrics    API http://127.0.0.1:${metricsPort}/metrics, worker http://127.0.0.1:${workerMetricsPort}/metrics`);
      expect(first.output()).toContain(`Web UI: http://127.0.0.1:${uiPort}`);
      const token = /admin token \(new[^)]*\): (\S+)/.exec(first.output())?.[1];
      expect(token).toBeDefined();
      // No admin has a password yet: one line with the first admin's single-use set-up link.
      const setupLink = new RegExp(`first admin: set the password of admin@localhost at (http://localhost:${port}/password\\?token=\\S+) \\(works once, until `);
      const firstLink = setupLink.exec(first.output())?.[1];
      expect(firstLink).toBeDefined();
      expect(await (await fetch(`http://localhost:${port}/healthz`)).json()).toEqual({ status: 'ok', database: 'up', temporal: 'up', warnings: [] });
      expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
      const me = await fetch(`http://localhost:${port}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain('aftercare_http_request_duration_seconds_count{method="GET",route="/api/users/me",status="200"} 1');
      expect((await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).status).toBe(200);
      expect(await first.stop()).toBe(true);
      expect(fs.existsSync(path.join(dataDir, 'temporal.sqlite'))).toBe(true);
      expect(fs.existsSync(path.join(dataDir, 'aftercare.sqlite'))).toBe(true);

      const second = await npmStart(env);
      expect(second.output()).not.toContain('admin token (new');
      // Not used yet: a fresh link, and the last one no longer works.
      const secondLink = setupLink.exec(second.output())?.[1];
      expect(secondLink).toBeDefined();
      expect(secondLink).not.toBe(firstLink);
      expect((await fetch(firstLink!)).status).toBe(410);
      expect((await fetch(secondLink!)).status).toBe(200);
      const again = await fetch(`http://localhost:${port}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(again.status).toBe(200);
      expect(await second.stop()).toBe(true);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 600_000);

  it('after a hard kill that leaves the dev server running as an orphan, starts again and stops that orphan', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-start-'));
    const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const env = { AFTERCARE_DATA_DIR: dataDir, PORT: String(port), TEMPORAL_DEV_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), AFTERCARE_METRICS_PORT: 'off', AFTERCARE_WORKER_METRICS_PORT: 'off' };
    let orphan: number | undefined;
    try {
      const first = await npmStart(env);
      // What a crashed terminal or `kill -9` does to npm start: every process of ours dies at once,
      // with no chance to stop the dev server, which lives on without a parent.
      const group = processesInGroup(first.pid);
      orphan = group.find((pid) => isTemporalDevServer(commandLineOf(pid)));
      expect(orphan).toBeDefined();
      for (const pid of group.filter((p) => p !== orphan)) process.kill(pid, 'SIGKILL');
      await waitUntil(() => group.every((pid) => pid === orphan || !isAlive(pid)));
      expect(isAlive(orphan!)).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'temporal-dev-server.pid'), 'utf8'))).toMatchObject({ pid: orphan, port: temporalPort });

      const second = await npmStart(env);
      expect(second.output()).toContain(`stopping the Temporal dev server (pid ${orphan}`);
      expect(isAlive(orphan!)).toBe(false);
      expect(await (await fetch(`http://localhost:${port}/healthz`)).json()).toEqual({ status: 'ok', database: 'up', temporal: 'up', warnings: [] });
      expect(await second.stop()).toBe(true);
      expect(fs.existsSync(path.join(dataDir, 'temporal-dev-server.pid'))).toBe(false);
      expect(processesInGroup(first.pid)).toEqual([]);
    } finally {
      if (orphan !== undefined && isAlive(orphan)) process.kill(orphan, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 600_000);

  it('refuses bad configuration with one line per problem', async () => {
    const child = spawn('npm', ['start'], { cwd: root, env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'postgres://nope' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(output).toMatch(/PORT: /);
    expect(output).toMatch(/DATABASE_URL: must be a mysql:\/\/ URL/);
  });
});

/** Live processes of a process group, from /proc (Linux). */
function processesInGroup(pgid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        // Fields after the parenthesised command: state, ppid, pgrp, …
        const fields = fs.readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z' ? [Number(name)] : [];
      } catch {
        return [];
      }
    });
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
