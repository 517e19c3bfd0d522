/**
 * A step's latency when its short database write is a local activity versus a regular one
 * (`npm run benchmark -- steps`): `stepWriter` (scripts/benchmark.workflows.ts) takes each step as an
 * update that answers once one row is inserted, as the step kit records a step before it answers.
 * A local activity runs in the worker that holds the workflow, without a round trip through the
 * server's task queue; a regular one is scheduled, polled and completed through the server.
 */
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { BenchActivities } from './benchmark.workflows';

type Report = (what: string, figure: string) => void;

export const STEP_WRITES_TABLE = 'bench_step_writes';

/** The benchmark worker's activities: nothing at all, and one short insert (idempotent on its key). */
export function benchActivities(knex: Knex): BenchActivities {
  return {
    async benchNothing() {},
    async benchWriteStep({ key }) {
      await knex(STEP_WRITES_TABLE).insert({ step_key: key, at: new Date() }).onConflict('step_key').ignore();
    },
  };
}

export async function ensureStepWritesTable(knex: Knex): Promise<void> {
  if (await knex.schema.hasTable(STEP_WRITES_TABLE)) return;
  await knex.schema.createTable(STEP_WRITES_TABLE, (table) => {
    table.increments('id');
    table.string('step_key', 64).notNullable().unique();
    table.timestamp('at').notNullable();
  });
}

export async function stepWritesLocalVersusRegular(bench: { client: Client; knex: Knex; taskQueue: string; report: Report; percentile: (xs: number[], p: number) => number }): Promise<void> {
  const steps = Number(process.env.BENCH_STEP_WRITES ?? 200);
  console.log(`\nA step recorded by a short database write: local activity versus regular activity (${steps} steps each, one after another; BENCH_STEP_WRITES)`);
  await ensureStepWritesTable(bench.knex);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  for (const localActivities of [true, false]) {
    const handle = await bench.client.workflow.start('stepWriter', { taskQueue: bench.taskQueue, workflowId: `bench-steps-${localActivities ? 'local' : 'regular'}-${crypto.randomUUID()}`, args: [{ localActivities }] });
    for (let i = 0; i < 5; i += 1) await handle.executeUpdate('writeStep', { args: [crypto.randomUUID()] });
    const latency: number[] = [];
    for (let i = 0; i < steps; i += 1) {
      const started = performance.now();
      await handle.executeUpdate('writeStep', { args: [crypto.randomUUID()] });
      latency.push(performance.now() - started);
    }
    await handle.executeUpdate('finishSteps');
    await handle.result();
    const p = (q: number) => ms(bench.percentile(latency, q));
    bench.report(`a step, its write as a ${localActivities ? 'local' : 'regular'} activity`, `p50 ${p(50)}, p95 ${p(95)}, p99 ${p(99)}`);
  }
}
