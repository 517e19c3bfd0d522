/**
 * Care plans at volume (issue #8): BENCH_CARE_PLANS plans (default 1,000 then 10,000) started at once
 * on the server the benchmark runs, each with a return call reminded a minute before it is due. The
 * reminders are planned after the start burst (BENCH_CARE_LEAD_S, default 2 minutes plus 60 ms a
 * plan) and spread over five minutes, one plan a second in turn, as a day's reminders would be, so
 * that the lag measures the reminders and not the starts. Prints the start rate, the worker's and the
 * server's resident memory once every plan has its call, and the lag between each reminder's planned
 * time (the call row's remind_at) and the moment its notice was written (p50 / p99).
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { CustomersRepository } from '../installedBase/customers';
import { UsersRepository } from '../people/repository';
import { resolvePolicy, type PolicyOverride } from '../domain/policy';
import { carePlan } from '../workflows';
import type { CarePlanInput } from '../processes/care/messages';

type Report = (what: string, figure: string) => void;

/** One return call two minutes after the anchor, reminded one minute ahead; nothing else for a year. */
const BENCH_CARE: PolicyOverride = {
  care: {
    inspectionTiers: [{ fromMonth: 1, every: 'P1Y' }],
    returnCallFirstWithin: 'PT2M',
    returnCallEvery: 'P1Y',
    taskHorizon: 'P1D',
    remindBefore: 'PT1M',
    callWindow: 'PT1H',
    visitWindow: 'PT1H',
  },
};

/** Resident set size of a process, in MiB, from /proc (Linux). */
export function residentMiB(pid: number): number | undefined {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.replace(/\D+/g, '')) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function carePlansAtVolume(bench: {
  client: Client;
  knex: Knex;
  taskQueue: string;
  serverPid?: number;
  report: Report;
  percentile: (samples: number[], p: number) => number;
}): Promise<void> {
  const { client, knex, taskQueue, report, percentile } = bench;
  const sizes = (process.env.BENCH_CARE_PLANS ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);
  const policy = resolvePolicy({ contract: BENCH_CARE });
  const users = new UsersRepository(knex);
  // The service desk hears of every unassigned call's reminder.
  await users.create({ name: 'Bench Desk', email: `desk-${process.pid}@bench.test`, role: 'dispatcher', locale: 'en' });
  const customer = await new CustomersRepository(knex).create({ name: `Care bench ${process.pid}`, contacts: [{ name: 'C', email: 'care-contact@bench.test', role: 'technical_lead' }] });

  for (const [round, count] of sizes.entries()) {
    const prefix = `bench-care-${process.pid}-${round}`;
    console.log(`\nCare plans: ${count.toLocaleString('en')} started at once (BENCH_CARE_PLANS), a return call each, reminded a minute ahead`);
    const leadMs = Number(process.env.BENCH_CARE_LEAD_S ?? 120 + count * 0.06) * 1000;
    const firstReminder = Date.now() + leadMs;
    // The call is due two minutes after the anchor and reminded one minute ahead.
    const input = (i: number): CarePlanInput => ({
      customerId: customer.id,
      customerName: customer.name,
      deviceIds: [],
      customerClass: 'regular',
      anchorAt: new Date(firstReminder - 60_000 + (i % 300) * 1000).toISOString(),
      timeZone: 'Asia/Shanghai',
      policy,
      customerContacts: [],
    });
    const started = performance.now();
    const batch = 200;
    for (let first = 0; first < count; first += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, count - first) }, (_, i) => client.workflow.start(carePlan, { taskQueue, workflowId: `${prefix}-${first + i}`, args: [input(first + i)] })),
      );
    }
    const startSeconds = (performance.now() - started) / 1000;
    report(`start ${count.toLocaleString('en')} care plans`, `${Math.round(count / startSeconds)} /s (${startSeconds.toFixed(1)} s)`);

    const callsOf = () =>
      knex('care_calls as c')
        .join('care_plans as p', 'p.id', 'c.plan_id')
        .where('p.workflow_id', 'like', `${prefix}-%`);
    const countOf = async (query: Knex.QueryBuilder) => Number(((await query.count({ n: '*' })) as [{ n: number | string }])[0].n);
    await waitFor(`${count} calls materialized`, async () => (await countOf(callsOf())) >= count, leadMs + 15 * 60_000);
    report('  all calls on record after the first start', `${((performance.now() - started) / 1000).toFixed(1)} s (first reminder planned at ${(leadMs / 1000).toFixed(0)} s)`);
    report('  worker + API process, resident', `${Math.round(process.memoryUsage().rss / 1048576)} MiB`);
    const serverMiB = bench.serverPid ? residentMiB(bench.serverPid) : undefined;
    report('  Temporal server, resident', serverMiB === undefined ? 'not measured (external server)' : `${Math.round(serverMiB)} MiB`);

    // Every reminder written (the desk's notice per call), then the lag behind its planned time.
    const reminders = () => knex('notice_outbox').where('idempotency_key', 'like', `${prefix}-%:reminder:%`);
    await waitFor(`${count} reminders`, async () => (await countOf(reminders())) >= count, leadMs + 20 * 60_000);
    const rows = (await reminders().select('idempotency_key', 'created_at')) as { idempotency_key: string; created_at: Date | string }[];
    const remindAt = new Map(
      ((await callsOf().select('p.workflow_id', 'c.task_key', 'c.remind_at')) as { workflow_id: string; task_key: string; remind_at: Date | string }[]).map((r) => [`${r.workflow_id}:${r.task_key}`, new Date(r.remind_at).getTime()]),
    );
    const lags: number[] = [];
    for (const row of rows) {
      // `<workflow id>:<task key, itself call:n>:v<version>:reminder:<recipient>`
      const match = /^(.+?):(call:\d+):v\d+:reminder:/.exec(row.idempotency_key);
      const planned = match ? remindAt.get(`${match[1]}:${match[2]}`) : undefined;
      if (planned !== undefined) lags.push(new Date(row.created_at).getTime() - planned);
    }
    report('  reminder lag behind remind_at', `p50 ${(percentile(lags, 50) / 1000).toFixed(2)} s, p99 ${(percentile(lags, 99) / 1000).toFixed(2)} s (${lags.length.toLocaleString('en')} reminders)`);
    report('  worker + API process, resident after the reminders', `${Math.round(process.memoryUsage().rss / 1048576)} MiB`);

    // The plans run for years; end this round's so that the next one measures alone.
    for (let first = 0; first < count; first += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, count - first) }, (_, i) => client.workflow.getHandle(`${prefix}-${first + i}`).terminate('benchmark round over').catch(() => undefined)),
      );
    }
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`benchmark: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
