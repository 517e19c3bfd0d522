/**
 * P3 in `npm run benchmark`: BENCH_TICKETS tickets (default 1,000) opened at once through the API,
 * each with a seconds-long response clock, then every rung's notice awaited. Prints tickets per
 * second, the lag of each warning behind its due instant (p50 / p99, from the outbox's sent time),
 * and whether every expected notice went out exactly once.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { CustomersRepository } from '../installedBase/customers';
import { DevicesRepository } from '../installedBase/devices';
import { PolicyLayersRepository } from '../schedule/policies/repository';
import { UsersRepository } from '../people/repository';

type Report = (what: string, figure: string) => void;

const RESPOND_MS = Number(process.env.BENCH_TICKET_RESPOND_MS ?? 20_000);
/** Rungs of the response clock with their share of it, and who hears of each (the default chain). */
const RUNGS = [
  ['warning_1', 0.5, 'engineer'],
  ['warning_2', 0.75, 'senior'],
  ['breach', 1, 'manager'],
  ['breach_again', 2, 'leader'],
] as const;

export async function ticketsAtOnce(bench: { apiUrl: string; knex: Knex; client: Client; taskQueue: string; report: Report; percentile: (xs: number[], p: number) => number }): Promise<void> {
  const count = Number(process.env.BENCH_TICKETS ?? 1000);
  console.log(`\nTickets: ${count.toLocaleString('en')} opened at once (BENCH_TICKETS), a ${RESPOND_MS / 1000} s response clock each`);
  const { knex } = bench;
  const users = new UsersRepository(knex);
  const person = async (key: string, role: 'dispatcher' | 'engineer' | 'senior_engineer' | 'service_manager' | 'leadership') => users.create({ name: key, email: `${key}@bench-tickets.test`, role, locale: 'en' });
  const dispatcher = await person('dispatcher', 'dispatcher');
  const token = await users.issueToken(dispatcher.id, 'bench');
  const engineer = await person('engineer', 'engineer');
  for (const [key, role] of [['senior', 'senior_engineer'], ['manager', 'service_manager'], ['leader', 'leadership']] as const) await person(key, role);
  // The template layer gives level 3 a seconds-long response clock; the other clocks stay out of the way.
  await new PolicyLayersRepository(knex).put('template', 'default', { sla: { clock: { kind: '24x7' }, levels: { '3': { respond: `PT${RESPOND_MS / 1000}S`, onSite: 'P1D', resolve: 'P2D' } } } });
  const customer = await new CustomersRepository(knex).create({ name: 'Bench Hospital' });
  const devices = new DevicesRepository(knex);
  const serials = Array.from({ length: count }, (_, i) => `BENCH-TK-${i}`);
  for (let first = 0; first < count; first += 500) await devices.createMany(customer.id, serials.slice(first, first + 500).map((serial) => ({ model: 'DR-7000', serial })));

  const open = async (serial: string) => {
    const response = await fetch(`${bench.apiUrl}/api/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: customer.id, serial, symptom: 'no image', level: 3, channel: 'phone', contact: { name: 'C', email: 'c@bench-tickets.test' }, engineerUserId: engineer.id }),
    });
    const json = (await response.json()) as { id?: number; openedAt?: string };
    if (response.status !== 201) throw new Error(`POST /api/tickets: ${response.status} ${JSON.stringify(json)}`);
    return { id: json.id!, openedAt: new Date(json.openedAt!).getTime() };
  };
  // All submitted together, at most BENCH_TICKET_CONCURRENCY requests in flight (a thousand sockets
  // opened in the same instant overflow the listen backlog: ECONNRESET, not a figure of the API).
  const inFlight = Number(process.env.BENCH_TICKET_CONCURRENCY ?? 100);
  const tickets: { id: number; openedAt: number }[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) tickets.push(await open(serials[next++]!));
    }),
  );
  bench.report(`POST /api/tickets, ${count.toLocaleString('en')} at once (${inFlight} in flight)`, `${(count / ((performance.now() - started) / 1000)).toFixed(1)} tickets/s`);

  // One notice per ticket at intake (the engineer's), and one per rung.
  const expected = count * (1 + RUNGS.length);
  const deadline = Date.now() + 2 * RESPOND_MS + 15 * 60_000;
  const sentCount = async () => Number(((await knex('notice_outbox').where('idempotency_key', 'like', 'ticket-%').andWhere({ status: 'sent' }).count({ n: '*' })) as [{ n: number | string }])[0].n);
  for (let sent = await sentCount(); sent < expected && Date.now() < deadline; sent = await sentCount()) await new Promise((resolve) => setTimeout(resolve, 2000));

  const rows = (await knex('notice_outbox').where('idempotency_key', 'like', 'ticket-%').select('idempotency_key', 'status', 'sent_at', 'to_email')) as Array<{ idempotency_key: string; status: string; sent_at: unknown; to_email: string }>;
  const openedAt = new Map(tickets.map((t) => [t.id, t.openedAt]));
  const lags: Record<string, number[]> = {};
  let wrongRecipient = 0;
  for (const row of rows) {
    const match = /^ticket-(\d+):clock:respond:(\w+):/.exec(row.idempotency_key);
    if (!match || row.status !== 'sent') continue;
    const rung = RUNGS.find(([name]) => name === match[2]);
    if (!rung) continue;
    if (row.to_email !== `${rung[2]}@bench-tickets.test`) wrongRecipient += 1;
    const due = openedAt.get(Number(match[1]))! + rung[1] * RESPOND_MS;
    (lags[rung[0]] ??= []).push(new Date(row.sent_at as string).getTime() - due);
  }
  for (const [rung] of RUNGS) {
    const xs = lags[rung] ?? [];
    bench.report(`${rung}: sent after its due instant (${xs.length.toLocaleString('en')} notices)`, xs.length ? `p50 ${(bench.percentile(xs, 50) / 1000).toFixed(2)} s, p99 ${(bench.percentile(xs, 99) / 1000).toFixed(2)} s` : 'none');
  }
  // The rung itself (the workflow's timer and its record) apart from the notice's wait on the notices queue.
  const events = (await knex('ticket_events').whereIn('kind', ['sla_warning', 'sla_breach']).select('ticket_id', 'at', 'data')) as Array<{ ticket_id: number; at: unknown; data: unknown }>;
  const fired: Record<string, number[]> = {};
  for (const event of events) {
    const data = (typeof event.data === 'string' ? JSON.parse(event.data) : event.data) as { clock: string; rung: string };
    const rung = RUNGS.find(([name]) => name === data.rung);
    if (data.clock !== 'respond' || !rung) continue;
    (fired[rung[0]] ??= []).push(new Date(event.at as string).getTime() - (openedAt.get(Number(event.ticket_id))! + rung[1] * RESPOND_MS));
  }
  for (const [rung] of RUNGS) {
    const xs = fired[rung] ?? [];
    bench.report(`${rung}: recorded after its due instant (${xs.length.toLocaleString('en')} rungs)`, xs.length ? `p50 ${(bench.percentile(xs, 50) / 1000).toFixed(2)} s, p99 ${(bench.percentile(xs, 99) / 1000).toFixed(2)} s` : 'none');
  }
  const sent = rows.filter((r) => r.status === 'sent').length;
  const keys = new Set(rows.map((r) => r.idempotency_key));
  bench.report('every expected notice sent exactly once', `${sent === expected && keys.size === rows.length && rows.length === expected && wrongRecipient === 0 ? 'yes' : 'NO'} (${sent.toLocaleString('en')} sent of ${expected.toLocaleString('en')} expected, ${rows.length - keys.size} duplicates, ${wrongRecipient} to the wrong person)`);

  // The tickets would go on to their on-site clocks: end them with the benchmark.
  await Promise.all(tickets.map((t) => bench.client.workflow.getHandle(`ticket-${t.id}`).terminate('benchmark finished').catch(() => undefined)));
}
