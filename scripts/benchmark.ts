/**
 * `npm run benchmark`: prints how fast the moving parts are on this machine. Figures, not pass/fail:
 * domain rules, the notice outbox, and project start / step round trips through the real API,
 * worker and Temporal dev server (or TEMPORAL_ADDRESS) on the embedded SQLite store (or DATABASE_URL).
 * Then steps and a project page while BENCH_NOTICE_BACKLOG notices (default 20,000) wait on the
 * notices queue, BENCH_TICKETS tickets opened at once (scripts/benchmarkTickets.ts), pages at many
 * open projects, the settlement run, each process next to a bare workflow of its shape
 * (scripts/benchmarkBare.ts), care plans at volume with their reminder lag (scripts/benchmarkCare.ts), a step's write as a local versus a regular activity
 * (scripts/benchmarkSteps.ts), and starts per second and page p99 with BENCH_OPEN_PROCESSES projects
 * open, embedded and on the cluster (scripts/benchOpenProcesses.ts).
 *
 * `npm run benchmark -- <section> …` runs only those sections (see SECTIONS), e.g. `-- bare steps` or `-- cluster`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startApiServer } from '../platform/http';
import { createApp } from '../api/app';
import { apiModules } from '../api/index';
import { createActivities } from '../activities';
import { createKnex } from '../platform/db/knex';
import { migrateLatest } from '../platform/db/migrations';
import { UsersRepository } from '../people/repository';
import { generateToken } from '../platform/tokens';
import { addWorkingDays, clockElapsed, makeCalendar } from '../domain/calendar';
import { resolvePolicy } from '../domain/policy';
import { createMailTransport, NoticeOutbox } from '../platform/notices';
import { startDevServer } from '../platform/temporal/devServer';
import { resolveTemporalCli } from '../platform/temporal/temporalCli';
import { createWorkers } from '../platform/temporal/createWorker';
import { benchmarkSettlement } from './benchmarkSettlement';
import { WorkerLogger } from '../platform/temporal/workerLogger';
import { testNotice } from '../platform/workflowKit/testNotice';
import { ticketsAtOnce } from './benchmarkTickets';
import { consolePages } from './benchmarkConsole';
import { pagesAtScale } from './benchmarkPages';
import { createConsole } from '../console';
import { getTimed, openProcesses, openProcessesOnCluster, postJson } from './benchOpenProcesses';
import { versusBare } from './benchmarkBare';
import { carePlansAtVolume } from './benchmarkCare';
import { benchActivities, stepWritesLocalVersusRegular } from './benchmarkSteps';

/** What `npm run benchmark -- <section> …` can name; none named runs them all, in this order. */
export const SECTIONS = {
  domain: 'domain rules, in process',
  outbox: 'the notice outbox',
  projects: 'project starts and steps through the API',
  tickets: 'tickets opened at once and their clocks (BENCH_TICKETS)',
  backlog: 'steps and pages under a notice backlog (BENCH_NOTICE_BACKLOG)',
  reads: 'pages at many open projects seeded with SQL (BENCH_OPEN_PROJECTS)',
  pages: 'every console page at 10,000 projects, 100,000 tickets and 100,000 claim lines, seeded with SQL, no Temporal',
  settlement: 'the dealer settlement run (BENCH_SETTLEMENT_LINES)',
  care: 'care plans started at once, memory and reminder lag (BENCH_CARE_PLANS, default 1000,10000)',
  bare: 'each process next to a bare workflow of the same shape (BENCH_BARE_ROUNDS)',
  steps: "a step's database write as a local versus a regular activity (BENCH_STEP_WRITES)",
  open: 'starts per second and page p99 at BENCH_OPEN_PROCESSES open projects, embedded',
  cluster: 'the same on `npm run cluster`’s topology, started here (BENCH_CLUSTER=0 skips it)',
} as const;
type Section = keyof typeof SECTIONS;

function chosenSections(args: string[]): Set<Section> {
  const all = Object.keys(SECTIONS) as Section[];
  // BENCH_ONLY=tickets, as before: the tickets after the domain and outbox figures.
  const named = args.length > 0 ? args : process.env.BENCH_ONLY === 'tickets' ? ['domain', 'outbox', 'tickets'] : all;
  const unknown = named.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    console.error(`unknown section ${unknown.join(', ')}; the sections are:\n${all.map((name) => `  ${name.padEnd(11)} ${SECTIONS[name]}`).join('\n')}`);
    process.exit(2);
  }
  return new Set(named as Section[]);
}

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
  const sections = chosenSections(process.argv.slice(2));
  const wants = (...names: Section[]) => names.some((name) => sections.has(name));
  Runtime.install({ logger: new WorkerLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-bench-'));
  console.log(`Aftercare benchmark — ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}, Node ${process.version}, ${process.env.DATABASE_URL ? 'MySQL' : 'SQLite'}; sections: ${[...sections].join(', ')}\n`);

  if (wants('domain')) {
    console.log('Domain rules (pure, in process)');
    const cal = makeCalendar('cn');
    perSecond('addWorkingDays(15) on the PRC calendar', 20_000, (i) => addWorkingDays(`2026-0${1 + (i % 9)}-1${i % 9}`, 15, cal));
    const clock = { kind: 'businessHours', start: '08:30', end: '17:00' } as const;
    perSecond('business-hours clock over one week', 5_000, (i) => clockElapsed(new Date(Date.UTC(2026, 8, 21, i % 24)), new Date(Date.UTC(2026, 8, 28, 3)), clock, cal));
    perSecond('resolvePolicy (4 layers)', 5_000, () => resolvePolicy({ template: { delivery: { trialRun: 'P2M' } }, contract: { warranty: { length: 'P24M' } } }));
  }

  const onServer = wants('projects', 'tickets', 'backlog', 'reads', 'bare', 'steps', 'open', 'care');
  if (onServer || wants('outbox', 'settlement')) {
    const knex = createKnex({ databaseUrl: process.env.DATABASE_URL, dataDir });
    await migrateLatest(knex);
    const transport = createMailTransport({ dataDir, from: 'Aftercare <bench@localhost>', log: () => undefined });
    const outbox = new NoticeOutbox(knex, transport);
    if (wants('outbox')) await outboxFigures(outbox);
    if (onServer) await onTheServer(sections, { knex, outbox, dataDir });
    if (wants('settlement')) await benchmarkSettlement(knex, report);
    await transport.close();
    await knex.destroy();
  }
  if (wants('pages')) await pagesAtScale({ databaseUrl: process.env.DATABASE_URL, report, percentile });
  fs.rmSync(dataDir, { recursive: true, force: true });

  // After the embedded server is gone, so that the two do not share the cores.
  if (wants('cluster') && process.env.BENCH_CLUSTER !== '0') {
    console.log(`\nOpen processes on the cluster (BENCH_OPEN_PROCESSES, default 10,000)`);
    await openProcessesOnCluster(report, (n) => projectBody(n));
  }
}

async function outboxFigures(outbox: NoticeOutbox): Promise<void> {
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
}

const projectBody = (n: number) => ({
  contractNo: `BENCH-${n}`,
  name: `Bench ${n}`,
  customer: { name: `Customer ${n}`, contacts: [{ name: 'C', email: `c${n}@bench.test` }] },
  projectManager: { name: 'PM', email: 'pm@bench.test' },
  devices: [{ model: 'DR-7000', serial: `BENCH-SN-${n}` }],
});

/** The sections that need Temporal: the embedded dev server, or TEMPORAL_ADDRESS when it is set. */
async function onTheServer(sections: Set<Section>, deps: { knex: ReturnType<typeof createKnex>; outbox: NoticeOutbox; dataDir: string }): Promise<void> {
  const wants = (...names: Section[]) => names.some((name) => sections.has(name));
  const { knex, outbox } = deps;
  const external = process.env.TEMPORAL_ADDRESS;
  console.log(`\nThrough API → Temporal (${external ? `TEMPORAL_ADDRESS ${external}` : 'the embedded dev server'}) → worker → database`);
  const server = external ? undefined : await startDevServer({ cli: resolveTemporalCli(), port: 17_000 + Math.floor(Math.random() * 1000), namespace: 'default' });
  // Stopped also when a section fails: the dev server is a process of its own and would outlive the benchmark.
  try {
    const address = external ?? server!.address;
    const nativeConnection = await NativeConnection.connect({ address });
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    // Task queues of this run's own, so that a shared server's other workers never take its tasks.
    const taskQueue = `bench-${process.pid}`;
    const bareTaskQueue = `bench-bare-${process.pid}`;
    const activities = createActivities({ knex, outbox, now: () => new Date(), publicUrl: 'http://localhost' });
    const workers = await createWorkers({ connection: nativeConnection, namespace: 'default', taskQueue, activities, noticeConcurrency: Number(process.env.NOTICE_WORKER_CONCURRENCY ?? 4) });
    const running = workers.run();
    // The benchmark's own workflows (bare twins, the step writer): bundled here only, never in production.
    const benchWorker = wants('bare', 'steps')
      ? await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue: bareTaskQueue, workflowsPath: require.resolve('./benchmark.workflows'), activities: benchActivities(knex) })
      : undefined;
    const benchRunning = benchWorker?.run();
    const users = new UsersRepository(knex);
    const pm = await users.create({ name: 'PM', email: 'pm@bench.test', role: 'project_manager' });
    const token = await users.issueToken(pm.id, 'bench');
    await users.ensureAdmin(generateToken());
    const app = createApp({ knex, temporal: { client, taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: () => undefined } });
    app.use(createConsole({ knex, temporal: { client, taskQueue, namespace: 'default' } }));
    const api = await startApiServer(app, 0, '127.0.0.1');
    const get = (url: string) => getTimed(`${api.url}${url}`, { authorization: `Bearer ${token}` });
    const post = (url: string, body: unknown) => postJson(`${api.url}${url}`, body, { authorization: `Bearer ${token}` });
    const project = projectBody;

    if (wants('projects')) {
      await post('/api/projects', project(0));
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
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrent }, (_, i) => post('/api/projects', project(1000 + i))));
      report(`POST /api/projects, ${concurrent} at once`, `${(concurrent / ((performance.now() - started) / 1000)).toFixed(1)} projects/s`);

      const stepLatency: number[] = [];
      for (const id of ids) {
        const { elapsed } = await post(`/api/projects/${id}/kickoff`, { meetingDate: '2026-11-24', plan: 'p', acceptanceItems: ['a'], completionCriteria: 'c' });
        stepLatency.push(elapsed);
      }
      report('a step (kickoff update, validated, recorded)', `p50 ${ms(percentile(stepLatency, 50))}, p95 ${ms(percentile(stepLatency, 95))}`);
    }

    if (wants('tickets') && Number(process.env.BENCH_TICKETS ?? 1000) > 0) await ticketsAtOnce({ apiUrl: api.url, knex, client, taskQueue, report, percentile });
    if (wants('backlog')) await underNoticeBacklog({ client, knex, post, get, project, taskQueue });
    if (wants('reads')) await atManyOpenProjects({ knex, get, pmUserId: pm.id, apiUrl: api.url, token });
    if (wants('bare')) await versusBare({ apiUrl: api.url, knex, client, taskQueue, bareTaskQueue, report });
    if (wants('steps')) await stepWritesLocalVersusRegular({ client, knex, taskQueue: bareTaskQueue, report, percentile });
    if (wants('care')) await carePlansAtVolume({ client, knex, taskQueue, serverPid: server?.pid, report, percentile });
    if (wants('open')) {
      console.log(`\nOpen processes on ${external ? 'TEMPORAL_ADDRESS' : 'the embedded dev server'} (BENCH_OPEN_PROCESSES, default 10,000)`);
      await openProcesses(external ? 'TEMPORAL_ADDRESS' : 'embedded', { post, get, project }, report, 100_000);
    }

    await api.close();
    benchWorker?.shutdown();
    await benchRunning;
    workers.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
  } finally {
    await server?.stop();
  }
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
  taskQueue: string;
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
          taskQueue: bench.taskQueue,
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
async function atManyOpenProjects(bench: { knex: ReturnType<typeof createKnex>; get: (url: string) => Promise<number>; pmUserId: number; apiUrl: string; token: string }): Promise<void> {
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
  await consolePages({ apiUrl: bench.apiUrl, token: bench.token, projectIds: ids, reads, report, percentile });
}
