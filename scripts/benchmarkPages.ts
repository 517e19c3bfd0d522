/**
 * Every console page at volume (issue #12: under 100 ms p99): BENCH_OPEN_PROJECTS projects (default
 * 10,000), BENCH_TICKET_ROWS tickets (default 100,000, a fifth of them open, with their clock
 * deadline rows and events) and BENCH_CLAIM_LINES claim lines (default 100,000, most decided, many
 * settled), seeded with SQL into a database of their own. Pages never ask a workflow, so no Temporal
 * server runs: the API and console answer from the database alone. Each page is timed as the role
 * that works on it, signed in through the form like a browser.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory, { type Knex } from 'knex';
import { startApiServer } from '../platform/http';
import { createApp } from '../api/app';
import { apiModules } from '../api/index';
import { createConsole } from '../console';
import { keepClaimModels, keepFirstPostings, noteAllTickets } from '../platform/db/keptFigures';
import { createKnex } from '../platform/db/knex';
import { migrateLatest } from '../platform/db/migrations';
import { TicketFiguresRepository } from '../reports/kpis/ticketFigures';
import { UsersRepository } from '../people/repository';
import type { Role } from '../domain/access';
import { signIn } from './benchmarkConsole';

type Report = (what: string, figure: string) => void;
type Percentile = (samples: number[], p: number) => number;

const DAY = 86_400_000;
const CHUNK = 1_000;

async function insertChunked(knex: Knex, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let at = 0; at < rows.length; at += CHUNK) await knex(table).insert(rows.slice(at, at + CHUNK));
}

/** A database of its own, so that the figures do not depend on what else the database holds. */
async function freshDatabase(databaseUrl: string | undefined): Promise<{ knex: Knex; drop: () => Promise<void> }> {
  if (!databaseUrl) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-bench-pages-'));
    const knex = createKnex({ dataDir });
    return { knex, drop: async () => { await knex.destroy(); fs.rmSync(dataDir, { recursive: true, force: true }); } };
  }
  const name = process.env.BENCH_PAGES_DATABASE ?? `aftercare_bench_pages_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: { uri: databaseUrl } as Knex.MySql2ConnectionConfig });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const knex = createKnex({ databaseUrl: url.toString(), dataDir: os.tmpdir() });
  return {
    knex,
    drop: async () => {
      await knex.destroy();
      // BENCH_PAGES_DATABASE=name keeps it, to EXPLAIN the pages' queries afterwards.
      if (!process.env.BENCH_PAGES_DATABASE) await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.destroy();
    },
  };
}

interface Seeded {
  users: Record<'pm' | 'dispatcher' | 'engineer' | 'manager' | 'finance' | 'dealer' | 'appraiser', { id: number; token: string }>;
  projectIds: number[];
  claimIds: number[];
  openTicketIds: number[];
  dealerIds: number[];
}

async function seed(knex: Knex, counts: { projects: number; tickets: number; claimLines: number }, now: Date): Promise<Seeded> {
  const usersRepo = new UsersRepository(knex);
  const person = async (name: string, role: Role, dealerId?: number) => {
    const user = await usersRepo.create({ name, email: `${name}@bench.test`, role, locale: 'en', dealerId });
    return { id: user.id, token: await usersRepo.issueToken(user.id, 'bench') };
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  // Dealers first: a dealer user needs its dealer.
  const regions = ['North', 'South', 'East', 'West', 'Central'];
  const dealerCount = 50;
  await insertChunked(knex, 'dealers', Array.from({ length: dealerCount }, (_, i) => ({ name: `Dealer ${i + 1}`, region: regions[i % regions.length], created_at: now })));
  const dealerIds = ((await knex('dealers').select('id').orderBy('id')) as Array<{ id: number }>).map((d) => Number(d.id));

  const users = {
    pm: await person('pm', 'project_manager'),
    dispatcher: await person('dispatcher', 'dispatcher'),
    engineer: await person('engineer-1', 'engineer'),
    manager: await person('manager', 'service_manager'),
    finance: await person('finance', 'finance'),
    dealer: await person('dealer', 'dealer', dealerIds[0]),
    appraiser: await person('appraiser', 'technical_appraiser'),
  };
  const engineerIds = [users.engineer.id];
  for (let i = 2; i <= 20; i += 1) engineerIds.push((await person(`engineer-${i}`, 'engineer')).id);

  // Projects, each with its customer, contract, one timeline event and one weekly-report deadline.
  const projectIds = Array.from({ length: counts.projects }, (_, i) => 5_000_000 + i);
  await insertChunked(knex, 'customers', projectIds.map((id) => ({ id, name: `Seeded customer ${id}`, class: 'regular', time_zone: 'Asia/Shanghai', locale: 'zh-CN', service_stopped_flag: false, created_at: now, updated_at: now })));
  await insertChunked(knex, 'contracts', projectIds.map((id) => ({ id, customer_id: id, contract_no: `SEED-${id}`, kind: 'project', policy_overrides: '{}', resolved_policy: '{}', created_at: now })));
  await insertChunked(knex, 'projects', projectIds.map((id) => ({ id, customer_id: id, contract_id: id, contract_no: `SEED-${id}`, name: `Seeded ${id}`, pm_name: 'PM', pm_email: 'pm@bench.test', stage: 'installing', workflow_id: `project-${id}`, project_manager_user_id: users.pm.id, created_at: now, updated_at: now })));
  await insertChunked(knex, 'project_events', projectIds.map((id) => ({ project_id: id, event_key: 'unboxing', kind: 'unboxing_checked', at: now, summary: 'seeded', actor_name: 'PM' })));
  await insertChunked(knex, 'deadlines', projectIds.map((id, i) => ({ workflow_id: `project-${id}`, deadline_key: 'weekly-report:1', record_type: 'project', record_id: id, kind: 'weekly_report', description: 'weekly report 1', due_at: new Date(now.getTime() + ((i % 14) - 3) * DAY), last_rung: i % 5 === 0 ? 'reminder' : null, provisional: false, status: 'open', opened_at: now })));

  // Tickets over the last year: four in five closed (clocks met, surveyed); the rest open, from the
  // last fortnight, with their running clocks.
  const models = ['DR-7000', 'CT-200', 'MR-900', 'US-30'];
  const openStatuses = ['open', 'assigned', 'acknowledged', 'on_site', 'resolved'];
  const ticketRows: Record<string, unknown>[] = [];
  for (let i = 0; i < counts.tickets; i += 1) {
    const closed = i % 5 !== 0;
    const opened = now.getTime() - ((i * 7919) % (closed ? 365 : 14)) * DAY - (i % 24) * 3_600_000;
    const complaint = i % 10 === 9;
    const clocks = complaint ? [{ name: 'reply', lengthMs: 7_200_000, ...(closed ? { stoppedAt: iso(opened + 3_600_000) } : {}) }] : [
      { name: 'respond', lengthMs: 3_600_000, ...(closed || i % 3 === 0 ? { stoppedAt: iso(opened + 1_800_000) } : {}) },
      { name: 'onSite', lengthMs: 14_400_000, ...(closed ? { stoppedAt: iso(opened + 10_000_000) } : {}) },
      { name: 'resolve', lengthMs: 86_400_000, ...(closed ? { stoppedAt: iso(opened + 50_000_000) } : {}) },
    ];
    ticketRows.push({
      kind: complaint ? 'complaint' : 'repair',
      customer_id: projectIds[i % projectIds.length],
      serial: `SN-${i % 30_000}`,
      model: models[i % models.length],
      channel: 'phone',
      symptom: `seeded symptom ${i}`,
      fault_level: 1 + (i % 4),
      entitlement: 'warranty',
      status: closed ? 'closed' : openStatuses[i % openStatuses.length],
      on_hold: false,
      assignee_user_id: !closed && i % 7 === 0 ? null : engineerIds[i % engineerIds.length],
      contact: JSON.stringify({ name: 'C', phone: '123' }),
      clock_state: JSON.stringify({ startedAt: iso(opened), clock: { kind: '24x7' }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5, 0.75], holds: i % 11 === 0 ? [{ from: iso(opened + 60_000), to: iso(opened + 120_000), reason: 'parts' }] : [], clocks }),
      workflow_id: null,
      opened_at: new Date(opened),
      resolved_at: closed && !complaint ? new Date(opened + 50_000_000) : null,
      closed_at: closed ? new Date(opened + 60_000_000) : null,
      updated_at: new Date(opened),
    });
  }
  await insertChunked(knex, 'tickets', ticketRows);
  const tickets = (await knex('tickets').select('id', 'status', 'kind', 'opened_at').orderBy('id')) as Array<{ id: number; status: string; kind: string; opened_at: Date | number }>;
  const openedMs = (t: { opened_at: Date | number }) => (t.opened_at instanceof Date ? t.opened_at.getTime() : Number(t.opened_at));
  const ticketDeadlines: Record<string, unknown>[] = [];
  const ticketEvents: Record<string, unknown>[] = [];
  for (const [i, t] of tickets.entries()) {
    const opened = openedMs(t);
    const names = t.kind === 'complaint' ? ['reply'] : ['respond', 'resolve'];
    for (const name of names) {
      const open = t.status !== 'closed' && name !== 'respond';
      ticketDeadlines.push({ workflow_id: `ticket-${t.id}`, deadline_key: `ticket:${t.id}:${name}`, record_type: 'ticket', record_id: t.id, kind: `ticket_${name}`, description: name, due_at: new Date(opened + (name === 'resolve' ? DAY : 3_600_000)), last_rung: i % 9 === 0 ? 'breach' : i % 4 === 0 ? 'warning_1' : null, provisional: false, status: open ? 'open' : 'met', opened_at: new Date(opened), closed_at: open ? null : new Date(opened + 1_800_000) });
    }
    if (t.status === 'closed' && t.kind === 'repair') {
      ticketEvents.push({ ticket_id: t.id, event_key: 'arrived:1', kind: 'arrived', at: new Date(opened + 10_000_000), summary: 'engineer on site' });
      ticketEvents.push({ ticket_id: t.id, event_key: 'survey:1', kind: 'surveyed', at: new Date(opened + 70_000_000), summary: 'survey', data: JSON.stringify({ score: 1 + (i % 5), satisfied: i % 5 > 1 }) });
    }
  }
  await insertChunked(knex, 'deadlines', ticketDeadlines);
  await insertChunked(knex, 'ticket_events', ticketEvents);

  // Claims, four lines each, most decided; settled per dealer and month, posted to the ledger.
  const claimsCount = Math.ceil(counts.claimLines / 4);
  await insertChunked(knex, 'dealer_sales', Array.from({ length: claimsCount }, (_, i) => ({ dealer_id: dealerIds[i % dealerCount], device_serial: `DS-${i}`, model: models[i % models.length], sale_date: '2026-01-05', customer_name: 'C', card_due_on: '2026-01-25', warranty: 'recognised', created_at: now })));
  await insertChunked(knex, 'claims', Array.from({ length: claimsCount }, (_, i) => {
    const created = new Date(now.getTime() - ((i * 31) % 330) * DAY);
    return { dealer_id: dealerIds[i % dealerCount], device_serial: `DS-${i}`, fault_code: `F${i}`, repair_date: '2026-01-10', work_done: 'fixed', attachments: '[]', status: 'decided', claim_codes: '[]', audit_required: false, submitted_by: users.dealer.id, created_at: created, updated_at: created };
  }));
  const claims = (await knex('claims').select('id', 'dealer_id', 'created_at').orderBy('id')) as Array<{ id: number; dealer_id: number; created_at: Date | number }>;
  const lines: Record<string, unknown>[] = [];
  for (const [i, c] of claims.entries()) {
    const created = c.created_at instanceof Date ? c.created_at.getTime() : Number(c.created_at);
    for (let n = 1; n <= 4 && lines.length < counts.claimLines; n += 1) {
      const status = (i + n) % 10 === 0 ? 'open' : (i + n) % 6 === 0 ? 'rejected' : 'approved';
      lines.push({ claim_id: c.id, dealer_id: c.dealer_id, line_no: n, kind: 'part', detail: JSON.stringify({ kind: 'part', partNo: `P-${n}`, quantity: 1, unitPrice: { amount: 10_000, currency: 'CNY' } }), currency: 'CNY', claimed_minor: 10_000, codes: '[]', status, approved_minor: status === 'approved' ? 9_000 : null, decided_at: status === 'open' ? null : new Date(created + 5 * DAY) });
    }
  }
  await insertChunked(knex, 'claim_lines', lines);
  const approved = (await knex('claim_lines as l').join('claims as c', 'c.id', 'l.claim_id').where('l.status', 'approved').select('l.id', 'l.dealer_id', 'c.created_at').orderBy('l.id')) as Array<{ id: number; dealer_id: number; created_at: Date | number }>;
  const periodOf = (ms: number) => new Date(ms + 20 * DAY).toISOString().slice(0, 7);
  const byStatement = new Map<string, number[]>();
  for (const line of approved) {
    const created = line.created_at instanceof Date ? line.created_at.getTime() : Number(line.created_at);
    if (created > now.getTime() - 40 * DAY) continue; // the newest are not settled yet
    const key = `${line.dealer_id}|${periodOf(created)}`;
    byStatement.set(key, [...(byStatement.get(key) ?? []), line.id]);
  }
  for (const [key, lineIds] of byStatement) {
    const [dealerId, period] = key.split('|') as [string, string];
    const postedAt = new Date(`${period}-28T00:00:00Z`);
    const [settlementId] = await knex('settlements').insert({ dealer_id: Number(dealerId), period, status: 'confirmed', currency: 'CNY', total_minor: 9_000 * lineIds.length, created_at: postedAt, updated_at: postedAt });
    await insertChunked(knex, 'settlement_lines', lineIds.map((id) => ({ settlement_id: Number(settlementId), claim_line_id: id, amount_minor: 9_000 })));
    await knex('ledger_entries').insert({ dealer_id: Number(dealerId), settlement_id: Number(settlementId), kind: 'warranty_writeoff', currency: 'CNY', amount_minor: -9_000 * lineIds.length, memo: period, posted_at: postedAt });
  }
  // The kept KPI figures, as the application keeps them on each write: once for the whole load.
  await keepClaimModels(knex);
  await keepFirstPostings(knex);
  await noteAllTickets(knex);
  return { users, projectIds, claimIds: claims.map((c) => Number(c.id)), openTicketIds: tickets.filter((t) => t.status !== 'closed').map((t) => t.id), dealerIds };
}

export async function pagesAtScale(bench: { databaseUrl: string | undefined; report: Report; percentile: Percentile }): Promise<void> {
  const counts = {
    projects: Number(process.env.BENCH_OPEN_PROJECTS ?? 10_000),
    tickets: Number(process.env.BENCH_TICKET_ROWS ?? 100_000),
    claimLines: Number(process.env.BENCH_CLAIM_LINES ?? 100_000),
  };
  // 500 reads a page: of 100, the p99 (the 99th of 100 sorted) is the slowest read, one stall of the
  // machine; of 500 it is the fifth slowest. The slowest is printed beside it.
  const reads = Number(process.env.BENCH_PAGE_READS ?? 500);
  console.log(`\nConsole pages at ${counts.projects.toLocaleString('en')} projects, ${counts.tickets.toLocaleString('en')} tickets and ${counts.claimLines.toLocaleString('en')} claim lines (seeded with SQL; BENCH_OPEN_PROJECTS, BENCH_TICKET_ROWS, BENCH_CLAIM_LINES)`);
  const { knex, drop } = await freshDatabase(bench.databaseUrl);
  try {
    await migrateLatest(knex);
    const now = new Date();
    const started = performance.now();
    const seeded = await seed(knex, counts, now);
    bench.report('seeded with SQL', `${((performance.now() - started) / 1000).toFixed(1)} s`);
    // The seed noted every ticket for the KPI figures (migration 0026): catching up is the first KPI
    // read's work after a bulk load, timed here rather than inside a page's samples.
    const figures = new TicketFiguresRepository(knex);
    const caughtUp = performance.now();
    const notes = await figures.catchUp();
    const seconds = (performance.now() - caughtUp) / 1000;
    bench.report('ticket figures computed', `${notes.toLocaleString('en')} change notes in ${seconds.toFixed(1)} s (${Math.round(notes / seconds).toLocaleString('en')} a second)`);
    const app = createApp({ knex, routers: apiModules, logger: { error: () => undefined } });
    app.use(createConsole({ knex }));
    const api = await startApiServer(app, 0, '127.0.0.1');
    try {
      const cookies = Object.fromEntries(await Promise.all(Object.entries(seeded.users).map(async ([key, user]) => [key, await signIn(api.url, user.token)] as const)));
      const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
      const month = now.toISOString().slice(0, 7);
      const pages: Array<[keyof Seeded['users'], string, () => string]> = [
        ['pm', 'GET /home (project manager)', () => '/home'],
        ['pm', 'GET /projects', () => '/projects'],
        ['pm', 'GET /projects?stage=installing&page=100', () => '/projects?stage=installing&page=100'],
        ['pm', 'GET /projects/:id', () => `/projects/${pick(seeded.projectIds)}`],
        ['pm', 'GET /projects/:id/steps/weekly-reports', () => `/projects/${pick(seeded.projectIds)}/steps/weekly-reports`],
        ['dispatcher', 'GET /home (dispatcher)', () => '/home'],
        ['dispatcher', 'GET /tickets', () => '/tickets'],
        ['dispatcher', 'GET /tickets?queue=breached', () => '/tickets?queue=breached'],
        ['dispatcher', 'GET /tickets/:id', () => `/tickets/${pick(seeded.openTicketIds)}`],
        ['engineer', 'GET /home (engineer)', () => '/home'],
        ['engineer', 'GET /tickets?queue=mine', () => '/tickets?queue=mine'],
        ['manager', 'GET /home (service manager)', () => '/home'],
        ['manager', 'GET /kpis (the last 30 days)', () => '/kpis'],
        ['manager', 'GET /kpis (90 days, one region)', () => `/kpis?from=${new Date(now.getTime() - 89 * DAY).toISOString().slice(0, 10)}&to=${now.toISOString().slice(0, 10)}&region=North`],
        ['manager', 'GET /kpis (90 days, one model)', () => `/kpis?from=${new Date(now.getTime() - 89 * DAY).toISOString().slice(0, 10)}&to=${now.toISOString().slice(0, 10)}&model=CT-200`],
        ['manager', 'GET /kpis (this month)', () => `/kpis?from=${month}-01&to=${now.toISOString().slice(0, 10)}`],
        ['finance', 'GET /kpis (finance: dealers)', () => '/kpis'],
        ['dealer', 'GET /kpis (a dealer: its own)', () => '/kpis'],
        ['dealer', 'GET /dealer (a dealer’s own page)', () => '/dealer'],
        ['finance', 'GET /dealer/statements', () => '/dealer/statements'],
        ['finance', 'GET /dealer/claims/:id', () => `/dealer/claims/${pick(seeded.claimIds)}`],
        ['appraiser', 'GET /dealer/parts', () => '/dealer/parts'],
        ['manager', 'GET /visits', () => '/visits'],
        ['manager', 'GET /calls', () => '/calls'],
        ['manager', 'GET /care-plans', () => '/care-plans'],
      ];
      for (const [who, what, next] of pages) {
        const samples: number[] = [];
        // One unmeasured read first: the first query plan and the templates are not what a person waits for twice.
        for (let i = 0; i <= reads; i += 1) {
          const t0 = performance.now();
          const response = await fetch(`${api.url}${next()}`, { headers: { cookie: cookies[who]! } });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`${what}: ${response.status}`);
          if (i > 0) samples.push(performance.now() - t0);
        }
        bench.report(`console ${what}`, `p50 ${bench.percentile(samples, 50).toFixed(1)} ms, p99 ${bench.percentile(samples, 99).toFixed(1)} ms, slowest ${Math.max(...samples).toFixed(1)} ms`);
      }
    } finally {
      await api.close();
    }
  } finally {
    await drop();
  }
}
