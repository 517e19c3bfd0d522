/**
 * Starts per second and a record's page p99 with BENCH_OPEN_PROCESSES projects open (default 10,000),
 * measured the same way on the embedded dev server (benchmark.ts's own API) and on `npm run cluster`'s
 * topology, started here in a temporary folder (BENCH_CLUSTER=0 skips it).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createKnex } from '../platform/db/knex';
import { UsersRepository } from '../people/repository';
import { createCluster, resolveTemporalServer } from '../platform/temporal/cluster';
import { resolveTemporalCli } from '../platform/temporal/temporalCli';

export interface BenchApi {
  post(url: string, body: unknown): Promise<{ elapsed: number; json: { id?: number } }>;
  get(url: string): Promise<number>;
  project(n: number): unknown;
}

type Report = (what: string, figure: string) => void;

/** A GET's time in ms, sent again on a connection reset like `postJson`. */
export async function getTimed(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.status >= 300) throw new Error(`${url}: ${response.status}`);
      return performance.now() - t0;
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= 3) throw error;
    }
  }
}

/**
 * A POST as a careful client sends it: under an Idempotency-Key, sent again on a connection reset (a
 * kept-alive socket the loaded server closed), so that the figure counts the request, once.
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string>): Promise<{ elapsed: number; json: { id?: number } }> {
  const t0 = performance.now();
  const key = crypto.randomUUID();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'Idempotency-Key': key }, body: JSON.stringify(body) });
      const json = (await response.json()) as { id?: number };
      if (response.status >= 300) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
      return { elapsed: performance.now() - t0, json };
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= 3) throw error;
    }
  }
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Opens `count` projects (they stay open: each waits for its kickoff), `concurrency` at a time, then reads pages. */
export async function openProcesses(label: string, api: BenchApi, report: Report, firstNumber: number): Promise<void> {
  const count = Number(process.env.BENCH_OPEN_PROCESSES ?? 10_000);
  const concurrency = Number(process.env.BENCH_START_CONCURRENCY ?? 20);
  const ids: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next;
        next += 1;
        ids.push((await api.post('/api/projects', api.project(firstNumber + n))).json.id!);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  report(`${label}: start ${count.toLocaleString('en')} projects, ${concurrency} at once`, `${(count / seconds).toFixed(1)} /s`);
  const pages: number[] = [];
  for (let i = 0; i < 200; i += 1) pages.push(await api.get(`/api/projects/${ids[Math.floor(Math.random() * ids.length)]}`));
  report(`${label}: GET /api/projects/:id with ${count.toLocaleString('en')} open`, `p50 ${percentile(pages, 50).toFixed(1)} ms, p99 ${percentile(pages, 99).toFixed(1)} ms`);
}

/** The same measurement on the cluster: its API, two workers, Temporal's four services on PostgreSQL, MariaDB. */
export async function openProcessesOnCluster(report: Report, project: (n: number) => unknown): Promise<void> {
  const cli = resolveTemporalCli();
  if (cli.kind !== 'binary') throw new Error('the cluster benchmark needs the Temporal CLI');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-bench-cluster-'));
  fs.chmodSync(dataDir, 0o755);
  const cluster = createCluster({
    dataDir,
    portBase: Number(process.env.BENCH_CLUSTER_PORT_BASE ?? 24000),
    cli: cli.path,
    binaries: resolveTemporalServer(),
    appRoot: path.resolve(__dirname, '..'),
    log: () => undefined,
  });
  try {
    await cluster.startAll();
    const knex = createKnex({ databaseUrl: cluster.databaseUrl, dataDir });
    const users = new UsersRepository(knex);
    const pm = await users.create({ name: 'PM', email: 'pm@bench.test', role: 'project_manager' });
    const token = await users.issueToken(pm.id, 'bench');
    await knex.destroy();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await openProcesses('cluster', {
      project,
      post: (url, body) => postJson(`${cluster.apiUrl}${url}`, body, headers),
      get: (url) => getTimed(`${cluster.apiUrl}${url}`, headers),
    }, report, 200_000);
  } finally {
    await cluster.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
