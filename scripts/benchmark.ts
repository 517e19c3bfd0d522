/**
 * `npm run benchmark`: prints how fast the moving parts are on this machine. Figures, not pass/fail:
 * domain rules, the notice outbox, and project start / step round trips through the real API,
 * worker and Temporal dev server on the embedded SQLite store (or DATABASE_URL). Last, steps and a
 * project page while BENCH_NOTICE_BACKLOG notices (default 20,000) wait on the notices queue,
 * BENCH_TICKETS tickets opened at once (scripts/benchmarkTickets.ts; BENCH_ONLY=tickets runs the
 * tickets alone after the domain and outbox figures), then starts per second and page p99 with
 * BENCH_OPEN_PROCESSES projects open, embedded and on the cluster.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createApp, startApiServer } from '../api';
import { apiModules } from '../api/modules';
import { createActivities } from '../activities';
import { createKnex } from '../db/knex';
import { migrateLatest } from '../db/migrations';
import { generateToken, UsersRepository } from '../db/repositories/users';
import { addWorkingDays, clockElapsed, makeCalendar } from '../domain/calendar';
import { resolvePolicy } from '../domain/policy';
import { createMailTransport, NoticeOutbox } from '../notices';
import { startDevServer } from '../runtime/devServer';
import { resolveTemporalCli } from '../runtime/temporalCli';
import { createWorkers } from '../worker/createWorker';
import { benchmarkSettlement } from './benchmarkSettlement';
import { WorkerLogger } from '../worker/logger';
import { testNotice } from '../workflows/testNotice';
import { ticketsAtOnce } from './benchmarkTickets';
import { openProcesses, openProcessesOnCluster } from './benchOpenProcesses';

const rows: [string, string][] = [];
const report = (what: string, figure: string) => {
  rows.push([what, figure]);
  console.log(`  ${what.padEnd(52)} ${figure}`);
};

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (value: number) => `${value.toFixed(1)} ms`;

function perSecond(label: string, iterations: number, work: (i: number) => void): void {
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) work(i);
  const seconds = (performance.now() - started) / 1000;
  report(label, `${Math.round(iterations / seconds).toLocaleString('en')} /s`);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new WorkerLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-bench-'));
  console.log(`Aftercare benchmark — ${os.cpus().length} cores, Node ${process.version}, ${process.env.DATABASE_URL ? 'MySQL' : 'SQLite'}\n`);

  console.log('Domain rules (pure, in process)');
  const cal = makeCalendar('cn');
  perSecond('addWorkingDays(15) on the PRC calendar', 20_000, (i) => addWorkingDays(`2026-0${1 + (i % 9)}-1${i % 9}`, 15, cal));
  const clock = { kind: 'businessHours', start: '08:30', end: '17:00' } as const;
  perSecond('business-hours clock over one week', 5_000, (i) => clockElapsed(new Date(Date.UTC(2026, 8, 21, i % 24)), new Date(Date.UTC(2026, 8, 28, 3)), clock, cal));
  perSecond('resolvePolicy (4 layers)', 5_000, () => resolvePolicy({ template: { delivery: { trialRun: 'P2M' } }, contract: { warranty: { length: 'P24M' } } }));

  const knex = createKnex({ databaseUrl: process.env.DATABASE_URL, dataDir });
  await migrateLatest(knex);
  const transport = createMailTransport({ dataDir, from: 'Aftercare <bench@localhost>', log: () => undefined });
  const outbox = new NoticeOutbox(knex, transport);

  console.log('\nNotice outbox (.eml transport)');
  const notices = 200;
  let started = performance.now();
  for (let i = 0; i < notices; i += 1) {
    await outbox.send({ idempotencyKey: `bench:${i}`, template: 'test-notice', locale: i % 2 ? 'en' : 'zh-CN', to: { email: `r${i}@bench.test` }, context: { recipientName: 'R', sentAt: new Date().toISOString() } });
  }
  report(`send ${notices} notices (render + row + file)`, `${Math.round(notices / ((performance.now() - started) / 1000))} /s`);
  started = performance.now();
  for (let i = 0; i < notices; i += 1) await outbox.send({ idempotencyKey: `bench:${i}`, template: 'test-notice', locale: 'en', to: { email: `r${i}@bench.test` }, context: { recipientName: 'R', sentAt: '' } });
  report('repeat the same keys (deduplicated, nothing sent)', `${Math.round(notices / ((performance.now() - started) / 1000))} /s`);

  console.log('\nProjects through API → Temporal → worker → database');
  const cli = resolveTemporalCli();
  const server = await startDevServer({ cli, port: 17_000 + Math.floor(Math.random() * 1000), namespace: 'default' });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const activities = createActivities({ knex, outbox, now: () => new Date(), publicUrl: 'http://localhost' });
  const workers = await createWorkers({ connection: nativeConnection, namespace: 'default', taskQueue: 'bench', activities, noticeConcurrency: Number(process.env.NOTICE_WORKER_CONCURRENCY ?? 4) });
  const running = workers.run();
  const users = new UsersRepository(knex);
  const pm = await users.create({ name: 'PM', email: 'pm@bench.test', role: 'project_manager' });
  const token = await users.issueToken(pm.id, 'bench');
  await users.ensureAdmin(generateToken());
  const app = createApp({ knex, temporal: { client, taskQueue: 'bench', namespace: 'default' }, routers: apiModules, logger: { error: () => undefined } });
  const api = await startApiServer(app, 0, '127.0.0.1');
  const get = async (url: string) => {
    const t0 = performance.now();
    const response = await fetch(`${api.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (response.status >= 300) throw new Error(`${url}: ${response.status}`);
    return performance.now() - t0;
  };
  const post = async (url: string, body: unknown) => {
    const t0 = performance.now();
    const response = await fetch(`${api.url}${url}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as { id?: number };
    if (response.status >= 300) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
    return { elapsed: performance.now() - t0, json };
  };
  const project = (n: number) => ({
    contractNo: `BENCH-${n}`,
    name: `Bench ${n}`,
    customer: { name: `Customer ${n}`, contacts: [{ name: 'C', email: `c${n}@bench.test` }] },
    projectManager: { name: 'PM', email: 'pm@bench.test' },
    devices: [{ model: 'DR-7000', serial: `BENCH-SN-${n}` }],
  });

  const onlyTickets = process.env.BENCH_ONLY === 'tickets';
  if (!onlyTickets) {
  const warmup = await post('/api/projects', project(0));
  void warmup;
  const sequential = 30;
  const createLatency: number[] = [];
  const ids: number[] = [];
  for (let n = 1; n <= sequential; n += 1) {
    const { elapsed, json } = await post('/api/projects', project(n));
    createLatency.push(elapsed);
    ids.push(json.id!);
  }
  report(`POST /api/projects, ${sequential} one after another`, `p50 ${ms(percentile(createLatency, 50))}, p95 ${ms(percentile(createLatency, 95))}`);

  const concurrent = 20;
  started = performance.now();
  await Promise.all(Array.from({ length: concurrent }, (_, i) => post('/api/projects', project(1000 + i))));
  report(`POST /api/projects, ${concurrent} at once`, `${(concurrent / ((performance.now() - started) / 1000)).toFixed(1)} projects/s`);

  const stepLatency: number[] = [];
  for (const id of ids) {
    const { elapsed } = await post(`/api/projects/${id}/kickoff`, { meetingDate: '2026-11-24', plan: 'p', acceptanceItems: ['a'], completionCriteria: 'c' });
    stepLatency.push(elapsed);
  }
  report('a step (kickoff update, validated, recorded)', `p50 ${ms(percentile(stepLatency, 50))}, p95 ${ms(percentile(stepLatency, 95))}`);

  }

  if (Number(process.env.BENCH_TICKETS ?? 1000) > 0) await ticketsAtOnce({ apiUrl: api.url, knex, client, taskQueue: 'bench', report, percentile });
  if (!onlyTickets) {
    await underNoticeBacklog({ client, knex, post, get, project });
    await atManyOpenProjects({ knex, get, pmUserId: pm.id });
    await benchmarkSettlement(knex, report);
  }

  console.log(`\nOpen processes: the embedded dev server next to the cluster (BENCH_OPEN_PROCESSES, default 10,000)`);
  await openProcesses('embedded', { post, get, project }, report, 100_000);

  await api.close();
  workers.shutdown();
  await running;
  await nativeConnection.close();
  await connection.close();
  await server.stop();
  await transport.close();
  await knex.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });

  // After the embedded server is gone, so that the two do not share the cores.
  if (process.env.BENCH_CLUSTER !== '0') await openProcessesOnCluster(report, project);
}

/**
 * People before bulk work: with a pile of notices queued (as when 10,000 projects start at once), a
 * step and a project page must still answer quickly, because notices have their own queue and slots.
 */
async function underNoticeBacklog(bench: {
  client: Client;
  knex: ReturnType<typeof createKnex>;
  post: (url: string, body: unknown) => Promise<{ elapsed: number; json: { id?: number } }>;
  get: (url: string) => Promise<number>;
  project: (n: number) => unknown;
}): Promise<void> {
  const backlog = Number(process.env.BENCH_NOTICE_BACKLOG ?? 20_000);
  const steps = Number(process.env.BENCH_BACKLOG_STEPS ?? 30);
  console.log(`\nPeople before bulk work: ${steps} steps and project pages with ${backlog.toLocaleString('en')} notices queued (BENCH_NOTICE_BACKLOG)`);
  const ids: number[] = [];
  for (let n = 0; n < steps; n += 1) ids.push((await bench.post('/api/projects', bench.project(50_000 + n))).json.id!);

  const started = performance.now();
  const batch = 200;
  for (let first = 0; first < backlog; first += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, backlog - first) }, (_, i) =>
        bench.client.workflow.start(testNotice, {
          taskQueue: 'bench',
          workflowId: `bench-backlog-${first + i}`,
          args: [{ to: { email: `backlog${first + i}@bench.test` }, locale: 'en', requestedBy: 'benchmark' }],
        }),
      ),
    );
  }
  report(`start ${backlog.toLocaleString('en')} testNotice workflows`, `${Math.round(backlog / ((performance.now() - started) / 1000))} /s`);

  const pendingNotices = async () => {
    const sent = Number(((await bench.knex('notice_outbox').where('idempotency_key', 'like', 'bench-backlog-%').andWhere({ status: 'sent' }).count({ n: '*' })) as [{ n: number | string }])[0].n);
    return backlog - sent;
  };
  const stepLatency: number[] = [];
  const pageLatency: number[] = [];
  const pendingBefore = await pendingNotices();
  for (const id of ids) {
    stepLatency.push((await bench.post(`/api/projects/${id}/kickoff`, { meetingDate: '2026-11-24', plan: 'p', acceptanceItems: ['a'], completionCriteria: 'c' })).elapsed);
    pageLatency.push(await bench.get(`/api/projects/${id}`));
  }
  const pendingAfter = await pendingNotices();
  report('a step under the backlog', `p50 ${ms(percentile(stepLatency, 50))}, p99 ${ms(percentile(stepLatency, 99))}`);
  report('GET /api/projects/:id under the backlog', `p50 ${ms(percentile(pageLatency, 50))}, p99 ${ms(percentile(pageLatency, 99))}`);
  report('backlog notices not yet sent (before → after)', `${pendingBefore.toLocaleString('en')} → ${pendingAfter.toLocaleString('en')}`);

  // The rest of the backlog dies with the benchmark's own dev server.
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * Reads from the database: a project's page and the work queue at BENCH_OPEN_PROJECTS open projects
 * (default 10,000), seeded with SQL (each with its deadline row and a timeline event). Pages never ask
 * a workflow, so the figure does not depend on how many processes are running.
 */
async function atManyOpenProjects(bench: { knex: ReturnType<typeof createKnex>; get: (url: string) => Promise<number>; pmUserId: number }): Promise<void> {
  const { knex, get } = bench;
  const count = Number(process.env.BENCH_OPEN_PROJECTS ?? 10_000);
  const reads = Number(process.env.BENCH_PAGE_READS ?? 300);
  console.log(`\nReads from the database at ${count.toLocaleString('en')} open projects (BENCH_OPEN_PROJECTS)`);
  const first = 5_000_000;
  const now = new Date();
  const ids = Array.from({ length: count }, (_, i) => first + i);
  const started = performance.now();
  for (let at = 0; at < ids.length; at += 500) {
    const chunk = ids.slice(at, at + 500);
    await knex('customers').insert(chunk.map((id) => ({ id, name: `Seeded customer ${id}`, class: 'regular', time_zone: 'Asia/Shanghai', locale: 'zh-CN', service_stopped_flag: false, created_at: now, updated_at: now })));
    await knex('contracts').insert(chunk.map((id) => ({ id, customer_id: id, contract_no: `SEED-${id}`, kind: 'project', policy_overrides: '{}', resolved_policy: '{}', created_at: now })));
    await knex('projects').insert(
      chunk.map((id) => ({ id, customer_id: id, contract_id: id, contract_no: `SEED-${id}`, name: `Seeded ${id}`, pm_name: 'PM', pm_email: 'pm@bench.test', stage: 'installing', workflow_id: `project-${id}`, project_manager_user_id: bench.pmUserId, created_at: now, updated_at: now })),
    );
    await knex('project_events').insert(chunk.map((id) => ({ project_id: id, event_key: 'unboxing', kind: 'unboxing_checked', at: now, summary: 'seeded', actor_name: 'PM' })));
    await knex('deadlines').insert(
      chunk.map((id, i) => ({ workflow_id: `project-${id}`, deadline_key: 'weekly-report:1', record_type: 'project', record_id: id, kind: 'weekly_report', description: 'weekly report 1', due_at: new Date(now.getTime() + ((i % 14) - 3) * 86_400_000), provisional: false, status: 'open', opened_at: now })),
    );
  }
  report(`seeded ${count.toLocaleString('en')} projects with SQL`, ms(performance.now() - started));
  const page: number[] = [];
  for (let i = 0; i < reads; i += 1) page.push(await get(`/api/projects/${ids[Math.floor(Math.random() * ids.length)]}`));
  report(`GET /api/projects/:id at ${count.toLocaleString('en')} open projects`, `p50 ${ms(percentile(page, 50))}, p99 ${ms(percentile(page, 99))}`);
  const queue: number[] = [];
  for (let i = 0; i < Math.min(reads, 50); i += 1) queue.push(await get('/api/deadlines?due=overdue&limit=200'));
  report(`GET /api/deadlines?due=overdue (200 of ${count.toLocaleString('en')})`, `p50 ${ms(percentile(queue, 50))}, p99 ${ms(percentile(queue, 99))}`);
}
