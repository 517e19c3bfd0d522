/**
 * Property-based tests (fast-check) over every write endpoint, on the real API, database and Temporal:
 * arbitrary JSON bodies and arbitrary breakages of a valid body (wrong types, huge strings, bad zones,
 * bad e-mails, out-of-range numbers, unknown fields, broken Unicode, plain-number money) are never
 * answered 5xx; a bad body is a 400 naming the field; and nothing is written or started.
 */
import fc from 'fast-check';
import type express from 'express';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { UsersRepository } from '../../people/repository';
import { OrgUnitsRepository } from '../../people/orgUnits';
import type { PolicyOverride } from '../../domain/policy';
import { BOTH_SIGN, CUSTOMER_CONTACT, PM, SECONDS_POLICY, SERVICE_MANAGER, startProjectHarness, uniqueContractNo, type Json, type ProjectHarness } from '../support/projectHarness';
import { ALL_ROWS } from '../../domain/access';

/** Every table a write endpoint could touch (the audit trail records refusals too, by design). */
const TABLES = ['customers', 'customer_contacts', 'sites', 'devices', 'contracts', 'policy_layers', 'projects', 'project_events', 'trial_issues', 'doa_cases', 'users', 'api_tokens', 'user_links', 'org_units', 'notice_outbox', 'dealers', 'calendar_years', 'deadlines', 'idempotency_keys', 'model_parts', 'model_operations', 'dealer_sales', 'dealer_tasks', 'claims', 'claim_lines', 'settlements', 'settlement_lines', 'ledger_entries', 'parts_plans', 'tickets', 'ticket_events', 'care_plans', 'care_plan_devices', 'care_visits', 'care_calls', 'care_call_attempts', 'care_follow_ups', 'care_plan_events'] as const;

/** Nothing falls due while the properties run. */
const QUIET_POLICY: PolicyOverride = {
  ...SECONDS_POLICY,
  delivery: { initialAcceptanceRequired: true, weeklyReportEvery: 'PT1H', weeklyReportGrace: 'PT1H', trialRun: 'P1D', trialReportLead: 'PT1H', trialExtendBy: 'P1D', trialMaxExtensions: 2 },
  doa: { shipWithin: 'P1D', returnWithin: 'P2D', returnReminderBefore: 'P1D' },
};

const RUNS = { arbitrary: 25, mutated: 50, params: 15 } as const;

type Path = Array<string | number>;
interface Node {
  path: Path;
  value: unknown;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function nodesOf(value: unknown, path: Path = []): Node[] {
  const children = Array.isArray(value) ? value.map((item, i) => nodesOf(item, [...path, i])) : isPlainObject(value) ? Object.entries(value).map(([key, item]) => nodesOf(item, [...path, key])) : [];
  return [{ path, value }, ...children.flat()];
}

function setAt(body: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const anyJson = fc.jsonValue({ maxDepth: 2 });
const VALUES_BY_KIND: Record<string, fc.Arbitrary<unknown>> = {
  string: fc.string({ maxLength: 20 }),
  number: fc.double({ noNaN: true, noDefaultInfinity: true }),
  boolean: fc.boolean(),
  null: fc.constant(null),
  array: fc.array(anyJson, { maxLength: 3 }),
  // Keys no schema knows, so an object never passes for a duration or a money value by luck.
  object: fc.dictionary(fc.string({ maxLength: 8 }).map((k) => `x-${k}`), anyJson, { maxKeys: 3 }),
};

/** A value of another JSON type than `value`. */
const wrongTypeFor = (value: unknown) => fc.oneof(...Object.entries(VALUES_BY_KIND).filter(([kind]) => kind !== kindOf(value)).map(([, arbitrary]) => arbitrary));

const BAD_ZONES = fc.oneof(
  fc.constantFrom('Mars/Olympus', 'Asia/Shanghai ', 'Beijing', 'UTC+8', 'Etc/GMT+15', 'asia/shang hai', '', 'Europe/Lndon'),
  fc.string({ minLength: 1, maxLength: 30 }).map((s) => `Nowhere/${s}`),
);
const BAD_EMAILS = fc.oneof(
  fc.constantFrom('nope', 'a@b', 'a b@c.com', '"x"@b.co', 'Ann <a@b.co>', 'a@b.co, c@d.co', 'ü@b.co', 'a@b.co\n', ' a@b.co', '', `${'a'.repeat(200)}@b.co`),
  fc.string({ maxLength: 30 }).filter((s) => !s.includes('@')),
);
// Below zero, fractional, or beyond any column: no numeric field accepts these.
const OUT_OF_RANGE = fc.oneof(
  fc.double({ max: -1e-9, noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: 0.001, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)),
  fc.constantFrom(1e21, 2 ** 53 + 2, 1e300),
);
const BROKEN_TEXT = fc.constantFrom('\ud800', '\udc00', '\u0000', '\u001b', '\u007f');

interface Mutated {
  what: string;
  body: unknown;
  /** The field the 400 must name, when the mutation pins it down. */
  field?: string;
  message?: RegExp;
}

/** Ways to break a valid body, each leaving it invalid whatever the random choice. */
function brokenBodies(valid: unknown): fc.Arbitrary<Mutated> {
  const fieldOf = (path: Path) => path.join('.');
  const all = nodesOf(valid);
  const strings = all.filter((n) => typeof n.value === 'string');
  const numbers = all.filter((n) => typeof n.value === 'number');
  const objects = all.filter((n) => isPlainObject(n.value));
  const named = (name: string) => strings.filter((n) => n.path[n.path.length - 1] === name);
  const money = all.filter((n) => n.path[n.path.length - 1] === 'catalogPrice');
  const at = (nodes: Node[]) => fc.constantFrom(...nodes);

  const breakages: fc.Arbitrary<Mutated>[] = [
    at(all).chain((n) =>
      wrongTypeFor(n.value).map((value) => ({ what: `wrong type at ${fieldOf(n.path) || 'the body'}: ${JSON.stringify(value)}`, body: setAt(valid, n.path, value), field: n.path.length > 0 ? fieldOf(n.path) : undefined })),
    ),
  ];
  if (strings.length > 0) {
    breakages.push(
      fc.tuple(at(strings), fc.integer({ min: 6_000, max: 200_000 })).map(([n, length]) => ({ what: `huge string at ${fieldOf(n.path)}`, body: setAt(valid, n.path, 'x'.repeat(length)), field: fieldOf(n.path) })),
      fc.tuple(at(strings), BROKEN_TEXT).map(([n, broken]) => ({ what: `broken text at ${fieldOf(n.path)}`, body: setAt(valid, n.path, `${String(n.value)}${broken}`), field: fieldOf(n.path) })),
    );
  }
  if (numbers.length > 0) breakages.push(fc.tuple(at(numbers), OUT_OF_RANGE).map(([n, value]) => ({ what: `out of range at ${fieldOf(n.path)}: ${value}`, body: setAt(valid, n.path, value), field: fieldOf(n.path) })));
  if (objects.length > 0) {
    breakages.push(
      fc.tuple(at(objects), fc.string({ maxLength: 10 }), anyJson).map(([n, key, value]) => ({
        what: `unknown field x-${key} under ${fieldOf(n.path) || 'the body'}`,
        body: setAt(valid, [...n.path, `x-${key}`], value),
        field: fieldOf([...n.path, `x-${key}`]),
      })),
    );
  }
  if (named('timeZone').length > 0) breakages.push(fc.tuple(at(named('timeZone')), BAD_ZONES).map(([n, zone]) => ({ what: `bad zone ${JSON.stringify(zone)}`, body: setAt(valid, n.path, zone), field: fieldOf(n.path) })));
  if (named('email').length > 0) breakages.push(fc.tuple(at(named('email')), BAD_EMAILS).map(([n, email]) => ({ what: `bad e-mail ${JSON.stringify(email)}`, body: setAt(valid, n.path, email), field: fieldOf(n.path) })));
  if (money.length > 0) {
    breakages.push(
      fc.tuple(at(money), fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e9, noNaN: true }))).map(([n, amount]) => ({
        what: `plain-number money ${amount}`,
        body: setAt(valid, n.path, amount),
        field: fieldOf(n.path),
        message: /"amount": 12800000, "currency": "CNY"/,
      })),
    );
  }
  return fc.oneof(...breakages);
}

/** A start date a month ago and `days` more, in China: the plan's first inspection and call fall due in `days` days. */
function monthAgoPlus(days: number): string {
  const date = new Date(Date.now() + 8 * 3_600_000);
  date.setUTCMonth(date.getUTCMonth() - 1);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

interface Reply {
  status: number;
  body: Json;
}

describe('every write endpoint, under arbitrary and broken input', () => {
  let h: ProjectHarness;
  let app: express.Application;
  let server: ApiServer;
  let adminToken: string;
  let managerToken: string;
  let projectId: number;
  let serials: string[];
  /** A project whose first unit arrived damaged: its DOA case exists, so its steps reach their body check. */
  let doaProjectId: number;
  let doaSerial: string;
  /** Dealer warranty: a sale, a claim and a statement of one dealer, and the tokens of each step's role. */
  const dealerSide = {} as { dealerId: number; sale: number; task: number; claim: number; settlement: number; dealer: string; clerk: string; appraiser: string; finance: string };
  /** A repair ticket on record (its workflow running), so its steps reach their body check. */
  let ticketId: number;
  let ticketCustomerId: number;
  let ticketSerial: string;
  let engineerId: number;
  /** A care plan with a return call's follow-up and a done visit with a finding: tickets open from them. */
  const careSide = {} as { plan: number; followUp: number; visit: number };
  const peopleSide = {} as { person: number; unit: number; admin: number; inactive: number };
  /** A care plan started through the API, with a visit and a call (done before the properties run), so their steps reach their body check. */
  const careApi = {} as { plan: number; visit: number; call: number; customer: number; contact: number; desk: string };

  beforeAll(async () => {
    h = await startProjectHarness('write-properties');
    const users = new UsersRepository(h.system.db.knex);
    adminToken = await users.issueToken((await users.create({ name: 'Prop Admin', email: 'prop-admin@maker.test', role: 'admin' })).id, 'test');
    managerToken = await users.issueToken((await users.create({ name: 'Prop Manager', email: 'prop-sm@maker.test', role: 'service_manager' })).id, 'test');
    // Every module production serves: projects, test notices, policy layers, users.
    app = createApp({ knex: h.system.db.knex, temporal: { client: h.system.temporal.client, taskQueue: h.system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (message, error) => console.error(message, error) } });
    server = await startApiServer(app, 0, '127.0.0.1');

    const dealerId = (await new DealersRepository(h.system.db.knex).create('Property Dealer')).id;
    const tokenFor = async (role: 'dealer' | 'sales_clerk' | 'technical_appraiser' | 'finance') =>
      users.issueToken((await users.create({ name: `Prop ${role}`, email: `prop-${role}@maker.test`, role, ...(role === 'dealer' ? { dealerId } : {}) })).id, 'test');
    const warranty = new DealerWarrantyRepository(h.system.db.knex);
    const sale = await warranty.createSale({ dealerId, deviceSerial: 'SN-PROP-1', model: 'M1', saleDate: '2026-01-05', customerName: 'C' }, DEFAULT_POLICY.dealer, new Date());
    const claim = await warranty.submitClaim({ dealerId, deviceSerial: 'SN-PROP-1', faultCode: 'E1', repairDate: '2026-02-01', workDone: 'w', lines: [{ kind: 'other', amount: { amount: 1, currency: 'CNY' }, description: 'x' }] }, DEFAULT_POLICY.dealer, 1, new Date(), '2026-02-02');
    const [settlement] = await h.system.db.knex('settlements').insert({ dealer_id: dealerId, period: '2026-01', currency: 'CNY', status: 'review', total_minor: 0, created_at: new Date(), updated_at: new Date() });
    const task = await warranty.createTask({ dealerId, deviceSerial: 'SN-PROP-1', customerName: 'C', request: 'visit' }, DEFAULT_POLICY.dealer, 1, new Date());
    Object.assign(dealerSide, { dealerId, sale: sale.id, task: task.id, claim: claim.id, settlement: Number(settlement), dealer: await tokenFor('dealer'), clerk: await tokenFor('sales_clerk'), appraiser: await tokenFor('technical_appraiser'), finance: await tokenFor('finance') });

    const created = await h.createProject({ policy: QUIET_POLICY });
    expect(created.status).toBe(201);
    projectId = created.body.id;
    serials = (await h.project(projectId)).devices.map((d: Json) => d.serial);
    const withDoa = await h.createProject({ policy: QUIET_POLICY });
    expect(withDoa.status).toBe(201);
    doaProjectId = withDoa.body.id;
    const doaSerials: string[] = (await h.project(doaProjectId)).devices.map((d: Json) => d.serial);
    doaSerial = doaSerials[0]!;
    expect((await h.step(doaProjectId, 'kickoff', steps().kickoff)).status).toBe(200);
    const unboxed = await h.step(doaProjectId, 'unboxing', {
      items: doaSerials.map((serial, i) => (i === 0 ? { serial, condition: 'damaged', damage: { description: 'cracked housing', cause: 'transport' } } : { serial, condition: 'ok' })),
      signatures: BOTH_SIGN,
    });
    expect(unboxed.status).toBe(200);
    await h.waitForEvent(doaProjectId, 'doa_opened');
    engineerId = (await users.create({ name: 'Prop Engineer', email: 'prop-engineer@maker.test', role: 'engineer' })).id;
    ticketCustomerId = (await new CustomersRepository(h.system.db.knex).create({ name: 'Ticket Hospital' })).id;
    ticketSerial = uniqueContractNo('TK');
    await new DevicesRepository(h.system.db.knex).createMany(ticketCustomerId, [{ model: 'DR-7000', serial: ticketSerial }]);
    const care = new CareRepository(h.system.db.knex);
    const plan = await care.createPlan({ customerId: ticketCustomerId, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(), warrantyEndsAt: null, policy: DEFAULT_POLICY, deviceIds: [] }, new Date());
    const at = new Date();
    await care.insertCall({ id: plan.id, customerId: ticketCustomerId, projectId: null }, { taskKey: 'call:1', kind: 'call', dueAt: at, windowStart: at, windowEnd: at, remindAt: at, assigneeUserId: null }, at);
    await care.addFollowUp(plan.id, { key: 'call:1:low_score', customerId: ticketCustomerId, reason: 'low_score', summary: 'return call call:1: satisfaction 1/5', dueAt: at, callTaskKey: 'call:1' }, at);
    await care.insertVisit({ id: plan.id, customerId: ticketCustomerId, projectId: null }, { taskKey: 'inspection:1', kind: 'inspection', dueAt: at, windowStart: at, windowEnd: at, remindAt: at, assigneeUserId: null }, at);
    await care.patchVisit(plan.id, 'inspection:1', { status: 'done', doneAt: at, outcome: { findings: ['earth wire loose'] } }, at);
    Object.assign(careSide, { plan: plan.id, followUp: (await care.followUps(plan.id))[0]!.id, visit: (await care.listVisits({ planId: plan.id, now: at, scope: ALL_ROWS }))[0]!.id });
    const ticket = await send('POST', '/api/tickets', validTicket(), h.readerToken);
    expect(ticket.status).toBe(201);
    ticketId = ticket.body.id;
    // A care plan whose first inspection and return call fall due within the horizon (from a month ago).
    careApi.desk = await users.issueToken((await users.create({ name: 'Prop Desk', email: 'prop-desk@maker.test', role: 'dispatcher' })).id, 'test');
    careApi.customer = (await new CustomersRepository(h.system.db.knex).create({ name: 'Care Hospital', contacts: [{ name: 'Chen Jing', email: 'chen.jing@hospital.test', role: 'technical_lead', phone: '+86 791 7654321' }] })).id;
    careApi.contact = Number(((await h.system.db.knex('customer_contacts').where({ customer_id: careApi.customer }).first('id')) as { id: number }).id);
    const started = await send('POST', '/api/care-plans', { customerId: careApi.customer, devices: [{ serial: uniqueContractNo('CP'), model: 'DR-7000' }], startDate: monthAgoPlus(2) }, managerToken);
    expect(started.status).toBe(201);
    careApi.plan = started.body.id;
    for (let deadline = Date.now() + 30_000; ; ) {
      const [visit] = (await h.system.db.knex('care_visits').where({ plan_id: careApi.plan }).select('id')) as { id: number }[];
      const [careCall] = (await h.system.db.knex('care_calls').where({ plan_id: careApi.plan }).select('id')) as { id: number }[];
      if (visit && careCall) {
        Object.assign(careApi, { visit: Number(visit.id), call: Number(careCall.id) });
        break;
      }
      if (Date.now() > deadline) throw new Error('the care plan materialized no visit and call');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // People administration: a person to change and a unit to rename.
    peopleSide.person = (await users.create({ name: 'Prop Person', email: 'prop-person@maker.test', role: 'engineer' })).id;
    peopleSide.unit = (await new OrgUnitsRepository(h.system.db.knex).create({ name: 'Prop Region', kind: 'region', parentId: null }, new Date())).id;
    // Deactivating oneself and resending an inactive account's invitation are refused: a body that happens to be valid (`{}`) writes nothing.
    peopleSide.admin = (await users.authenticate(adminToken))!.id;
    peopleSide.inactive = (await users.create({ name: 'Prop Leaver', email: 'prop-leaver@maker.test', role: 'engineer' })).id;
    await users.deactivate(peopleSide.inactive);
    // Both are then done: a body that happens to be valid (`{}` is a valid no-answer) meets a 409, never a step applied.
    expect((await send('POST', `/api/visits/${careApi.visit}/skip`, { reason: 'the ward is closed' }, managerToken)).status).toBe(200);
    expect((await send('POST', `/api/calls/${careApi.call}/complete`, { answers: { usage: 'daily', mastery: 'good' }, satisfaction: 5 }, careApi.desk)).status).toBe(200);
    // The start is recorded and noticed in the background: wait until it is, so counts hold still.
    await h.waitForEvent(projectId, 'project_started');
    await h.waitForMails((mail) => Boolean(mail.idempotencyKey?.includes(`project-${projectId}:started:`)), 2);
    await steadyRowCounts();
  });

  afterAll(async () => {
    if (app) await settleBackgroundWork(app);
    await server?.close();
    await h?.stop();
  });

  async function send(method: string, path: string, body: unknown, token: string): Promise<Reply> {
    const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  }

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of TABLES) counts[table] = Number(((await h.system.db.knex(table).count({ n: '*' }).first()) as { n: number | string }).n);
    return counts;
  }

  async function steadyRowCounts(): Promise<void> {
    let last = JSON.stringify(await rowCounts());
    for (let steady = 0; steady < 2; ) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const now = JSON.stringify(await rowCounts());
      steady = now === last ? steady + 1 : 0;
      last = now;
    }
  }

  async function workflowCount(): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // visibility lags a little behind a start
    return (await h.system.temporal.client.workflow.count(`TaskQueue = '${h.system.temporal.taskQueue}'`)).count;
  }

  /** 4xx, never 5xx; a 400 names at least one field, every detail a non-empty one. */
  function expectRefused(reply: Reply, what: string): void {
    const summary = `${what} → ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`;
    expect({ summary, ok: reply.status >= 400 && reply.status < 500 }).toEqual({ summary, ok: true });
    if (reply.status === 400) {
      const details = reply.body?.error?.details as Array<{ field?: unknown }> | undefined;
      const named = Array.isArray(details) && details.length > 0 && details.every((d) => typeof d.field === 'string' && d.field.length > 0);
      expect({ summary, named }).toEqual({ summary, named: true });
    }
  }

  /** A broken body is a 400 (or 413 when too large), naming the field the breakage pinned down. */
  function expectBadInput(reply: Reply, mutated: Mutated): void {
    expectRefused(reply, mutated.what);
    const summary = `${mutated.what} → ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`;
    expect({ summary, status: reply.status === 413 ? 400 : reply.status }).toEqual({ summary, status: 400 });
    if (reply.status !== 400 || mutated.field === undefined) return;
    const details = reply.body.error.details as Array<{ field: string; message: string }>;
    const field = mutated.field;
    // The field itself or, for a value inside it (a money object), the field's own path.
    const hit = details.find((d) => d.field === field || d.field.startsWith(`${field}.`));
    expect({ summary, named: hit !== undefined }).toEqual({ summary, named: true });
    if (mutated.message) expect(hit?.message).toMatch(mutated.message);
  }

  interface Endpoint {
    name: string;
    method: string;
    path: () => string;
    valid: () => unknown;
    token: () => string;
    /** Starts a process when it succeeds: also check none was started. */
    starts?: boolean;
  }

  const steps = (): Record<string, unknown> => ({
    kickoff: { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality', 'network'], completionCriteria: 'all tests signed' },
    unboxing: { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN },
    'weekly-reports': { summary: 'cabling done', testRecords: [{ name: 'exposure', passed: true, signatures: BOTH_SIGN }] },
    'installation-complete': { testRecords: [{ name: 'exposure test', passed: true, signatures: [{ ...BOTH_SIGN[0], signedAt: '2026-11-24T09:30:00+08:00' }, BOTH_SIGN[1]] }] },
    'initial-acceptance': { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], leftoverIssues: [{ title: 'label printer', description: 'offline' }], signatures: BOTH_SIGN },
    'trial-issues': { title: 'label printer offline', description: 'since Monday' },
    'trial-issues/I1/resolve': { resolution: 'driver reinstalled' },
    'trial-report': { summary: 'ran without faults' },
    'final-acceptance': { passed: true, signatures: BOTH_SIGN, scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } },
    handover: { documents: [{ name: '工程竣工资料移交清单', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] },
    cancel: { reason: 'the customer withdrew' },
  });
  const STEP_NAMES = ['kickoff', 'unboxing', 'weekly-reports', 'installation-complete', 'initial-acceptance', 'trial-issues', 'trial-issues/I1/resolve', 'trial-report', 'final-acceptance', 'handover', 'cancel'];
  const doaSteps: Record<string, unknown> = { shipped: { replacementSerial: 'R-0001' }, received: {}, returned: { acceptable: true, note: 'came back fine' } };

  const validProject = () => ({
    contractNo: uniqueContractNo('PROP'),
    name: 'MR room, Ganzhou',
    customer: {
      name: 'Ganzhou People’s Hospital',
      address: '1 Hongqi Avenue',
      class: 'key',
      timeZone: 'Asia/Shanghai',
      locale: 'zh-CN',
      contacts: [{ ...CUSTOMER_CONTACT, phone: '+86 797 1234567', role: 'interface' }],
    },
    projectManager: PM,
    serviceManager: SERVICE_MANAGER,
    devices: [{ model: 'MR-1500', serial: uniqueContractNo('MR'), brand: 'Tengyang', catalogPrice: { amount: 12_800_000, currency: 'CNY' } }],
    policy: QUIET_POLICY,
  });

  const validTicket = () => ({ customerId: ticketCustomerId, serial: ticketSerial, symptom: 'no image', level: 3, channel: 'phone', contact: { name: 'Wang Fang', email: 'wang.fang@hospital.test', phone: '+86 791 1234567', locale: 'zh-CN' } });
  const cny = (amount: number) => ({ amount, currency: 'CNY' });
  const ticketSteps = (): Record<string, unknown> => ({
    assign: { engineerUserId: engineerId },
    acknowledge: {},
    arrive: {},
    hold: { reason: 'parts', note: 'detector on order' },
    resume: {},
    level: { level: 1, reason: 'ward without imaging' },
    resolve: { diagnosis: 'cable fault', workDone: 'replaced the cable', qualityFault: true, parts: [{ partNumber: 'C-12', quantity: 1, unitCost: cny(30_000) }], labourMinutes: 60, labourRate: cny(20_000), travel: cny(5_000), customerSignature: 'Wang Fang' },
    close: {},
    survey: { score: 4, comment: 'quick and clean', notSatisfied: false },
    reopen: { reason: 'the fault came back' },
    quote: { parts: [{ partNumber: 'T-9', quantity: 1, unitCost: cny(10_000) }], labourMinutes: 90, labourRate: cny(20_000), travel: cny(5_000), note: 'tube and a visit' },
    'quote-accepted': {},
    'quote-refused': {},
    'backup-unit': { serial: 'BK-1' },
    'factory-repair': { action: 'sent' },
    replace: { serial: 'NEW-1' },
  });

  const careEndpoints = (): Endpoint[] => {
    const c = careApi;
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const visitSteps: Record<string, unknown> = {
      assign: { engineerUserId: engineerId },
      reschedule: { dueAt: soon, reason: 'the ward is closed that week' },
      complete: { checklist: { earthing: true, dustRemoval: true, operatingState: 'normal', customerFeedback: 'fine' }, findings: ['filter dusty'], openItems: ['replace filter'], signature: { name: 'Chen Jing' } },
      skip: { reason: 'the customer asked to skip' },
      cancel: { reason: 'the device is being moved' },
    };
    const callSteps: Record<string, unknown> = {
      complete: { contactId: c.contact, answers: { usage: 'daily', mastery: 'good', problems: 'none', suggestions: 'none' }, satisfaction: 4, unsolvedProblem: false },
      'no-answer': { contactId: c.contact, note: 'rang out' },
      'wrong-number': { contactId: c.contact, note: 'a restaurant' },
      reschedule: { dueAt: soon, reason: 'asked to call next week' },
    };
    return [
      { name: 'POST /api/care-plans', method: 'POST', path: () => '/api/care-plans', valid: () => ({ customerId: c.customer, devices: [{ serial: uniqueContractNo('CP'), model: 'DR-7000' }], startDate: '2026-01-05', warrantyEndsOn: '2027-01-04' }), token: () => managerToken, starts: true },
      { name: 'POST /api/care-plans/import', method: 'POST', path: () => '/api/care-plans/import', valid: () => ({ csv: `customerId,siteId,serial,model,startDate,warrantyEndsOn\n${c.customer},,${uniqueContractNo('CSV')},DR-7000,2026-01-05,2027-01-04\n` }), token: () => managerToken, starts: true },
      { name: 'POST /api/care-plans/:id/end', method: 'POST', path: () => `/api/care-plans/${c.plan}/end`, valid: () => ({ reason: 'the equipment was retired' }), token: () => managerToken },
      { name: 'POST /api/care-plans/:id/maintenance-contracts', method: 'POST', path: () => `/api/care-plans/${c.plan}/maintenance-contracts`, valid: () => ({ startsAt: '2027-01-05T00:00:00+08:00', endsAt: '2028-01-05T00:00:00+08:00', visitsPerYear: 10 }), token: () => managerToken },
      { name: 'POST /api/care-plans/:id/visits', method: 'POST', path: () => `/api/care-plans/${c.plan}/visits`, valid: () => ({ dueAt: soon, reason: 'escort inspection before the gala', engineerUserId: engineerId }), token: () => managerToken },
      { name: 'POST /api/care-plans/:id/follow-ups/:followUpId/close', method: 'POST', path: () => `/api/care-plans/${c.plan}/follow-ups/1/close`, valid: () => ({ outcome: 'called back, solved' }), token: () => managerToken },
      ...Object.keys(visitSteps).map((step) => ({ name: `POST /api/visits/:id/${step}`, method: 'POST', path: () => `/api/visits/${c.visit}/${step}`, valid: () => visitSteps[step], token: () => managerToken })),
      ...Object.keys(callSteps).map((step) => ({ name: `POST /api/calls/:id/${step}`, method: 'POST', path: () => `/api/calls/${c.call}/${step}`, valid: () => callSteps[step], token: () => c.desk })),
      { name: 'PATCH /api/customers/:id/contacts/:contactId', method: 'PATCH', path: () => `/api/customers/${c.customer}/contacts/${c.contact}`, valid: () => ({ name: 'Chen Jing', email: 'chen.jing@hospital.test', phone: '+86 791 7654322', role: 'technical_lead', locale: 'zh-CN' }), token: () => c.desk },
    ];
  };

  const endpoints = (): Endpoint[] => [
    ...careEndpoints(),
    { name: 'POST /api/tickets', method: 'POST', path: () => '/api/tickets', valid: validTicket, token: () => h.readerToken, starts: true },
    {
      name: 'POST /api/care-plans/:id/follow-ups/:followUpId/ticket',
      method: 'POST',
      path: () => `/api/care-plans/${careSide.plan}/follow-ups/${careSide.followUp}/ticket`,
      valid: () => ({ kind: 'complaint', symptom: 'slow to start', serial: ticketSerial, level: 2, contact: validTicket().contact }),
      token: () => h.readerToken,
      starts: true,
    },
    {
      name: 'POST /api/care-plans/:id/visits/:visitId/ticket',
      method: 'POST',
      path: () => `/api/care-plans/${careSide.plan}/visits/${careSide.visit}/ticket`,
      valid: () => ({ finding: 0, serial: ticketSerial, level: 2, contact: validTicket().contact }),
      token: () => h.readerToken,
      starts: true,
    },
    ...Object.keys(ticketSteps()).map((step) => ({ name: `POST /api/tickets/:id/${step}`, method: 'POST', path: () => `/api/tickets/${ticketId}/${step}`, valid: () => ticketSteps()[step], token: () => h.readerToken })),
    // Started by the service manager: the body sets commercial terms (DOA windows), which are theirs.
    { name: 'POST /api/projects', method: 'POST', path: () => '/api/projects', valid: validProject, token: () => h.smToken, starts: true },
    ...STEP_NAMES.map((step) => ({ name: `POST /api/projects/:id/${step}`, method: 'POST', path: () => `/api/projects/${projectId}/${step}`, valid: () => steps()[step], token: () => h.pmToken })),
    ...Object.entries(doaSteps).map(([step, body]) => ({ name: `POST /api/projects/:id/doa/:serial/${step}`, method: 'POST', path: () => `/api/projects/${doaProjectId}/doa/${encodeURIComponent(doaSerial)}/${step}`, valid: () => body, token: () => h.pmToken })),
    { name: 'POST /api/customers/:id/engineer', method: 'POST', path: () => `/api/customers/${ticketCustomerId}/engineer`, valid: () => ({ engineerUserId: engineerId }), token: () => h.smToken },
    { name: 'POST /api/projects/:id/assign', method: 'POST', path: () => `/api/projects/${projectId}/assign`, valid: () => ({ projectManagerUserId: 1 }), token: () => h.smToken },
    { name: 'POST /api/dealers', method: 'POST', path: () => '/api/dealers', valid: () => ({ name: 'Jiangxi Medical Supplies' }), token: () => adminToken },
    { name: 'PUT /api/calendars/:key/years/:year', method: 'PUT', path: () => '/api/calendars/cn/years/2027', valid: () => ({ holidays: ['2027-01-01'], makeupWorkdays: [] }), token: () => adminToken },
    { name: 'POST /api/users', method: 'POST', path: () => '/api/users', valid: () => ({ name: 'Zhao Lei', email: 'zhao.lei@maker.test', role: 'engineer', locale: 'en' }), token: () => adminToken },
    { name: 'POST /api/users/invitations', method: 'POST', path: () => '/api/users/invitations', valid: () => ({ name: 'Qian Yu', email: 'qian.yu@maker.test', role: 'engineer', locale: 'zh-CN', timeZone: 'Asia/Shanghai' }), token: () => adminToken },
    { name: 'PATCH /api/users/:id', method: 'PATCH', path: () => `/api/users/${peopleSide.person}`, valid: () => ({ name: 'Prop Person Renamed', role: 'dispatcher', locale: 'zh-CN' }), token: () => adminToken },
    { name: 'POST /api/users/:id/deactivate', method: 'POST', path: () => `/api/users/${peopleSide.admin}/deactivate`, valid: () => ({}), token: () => adminToken },
    { name: 'POST /api/users/:id/invitation', method: 'POST', path: () => `/api/users/${peopleSide.inactive}/invitation`, valid: () => ({}), token: () => adminToken },
    { name: 'POST /api/org-units', method: 'POST', path: () => '/api/org-units', valid: () => ({ name: 'East Region', kind: 'region', parentId: null }), token: () => adminToken },
    { name: 'PATCH /api/org-units/:id', method: 'PATCH', path: () => `/api/org-units/${peopleSide.unit}`, valid: () => ({ name: 'Prop Region Renamed', parentId: null }), token: () => adminToken },
    { name: 'POST /api/tokens', method: 'POST', path: () => '/api/tokens', valid: () => ({ name: 'ERP bridge', role: 'engineer', expiresInDays: 30 }), token: () => adminToken },
    { name: 'POST /api/notices/test', method: 'POST', path: () => '/api/notices/test', valid: () => ({ email: 'ops@maker.test', name: 'Ops', locale: 'en' }), token: () => adminToken, starts: true },
    ...dealerEndpoints(),
    {
      name: 'PUT /api/policy-layers/:scope/:key',
      method: 'PUT',
      path: () => '/api/policy-layers/model/MR-1500',
      valid: () => ({ policy: QUIET_POLICY }),
      token: () => managerToken,
    },
  ];

  function dealerEndpoints(): Endpoint[] {
    const money = { amount: 1000, currency: 'CNY' };
    const d = dealerSide;
    return [
      { name: 'PUT /api/models/:model/warranty-reference', method: 'PUT', path: () => '/api/models/M1/warranty-reference', valid: () => ({ parts: [{ partNo: 'P-1', name: 'Pump' }], operations: [{ operation: 'inspect', standardHundredths: 50 }] }), token: () => adminToken },
      { name: 'POST /api/dealer-sales', method: 'POST', path: () => '/api/dealer-sales', valid: () => ({ deviceSerial: 'SN-PROP-2', model: 'M1', saleDate: '2026-01-05', customerName: 'Li Si' }), token: () => d.dealer },
      { name: 'POST /api/dealer-sales/:id/card', method: 'POST', path: () => `/api/dealer-sales/${d.sale}/card`, valid: () => ({ cardDate: '2026-01-10', customerPhone: '13800000000' }), token: () => d.dealer },
      { name: 'POST /api/dealer-tasks', method: 'POST', path: () => '/api/dealer-tasks', valid: () => ({ deviceSerial: 'SN-PROP-1', customerName: 'Li Si', customerPhone: '13800000000', request: 'pump noisy' }), token: () => d.dealer },
      { name: 'POST /api/dealer-tasks/:id/arrange', method: 'POST', path: () => `/api/dealer-tasks/${d.task}/arrange`, valid: () => ({ visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'visit with a spare pump' }), token: () => d.dealer },
      { name: 'POST /api/dealer-tasks/:id/check', method: 'POST', path: () => `/api/dealer-tasks/${d.task}/check`, valid: () => ({ note: 'called the customer' }), token: () => d.clerk },
      { name: 'POST /api/dealer-tasks/:id/hand-back', method: 'POST', path: () => `/api/dealer-tasks/${d.task}/hand-back`, valid: () => ({ reason: 'too far' }), token: () => d.dealer },
      {
        name: 'POST /api/claims',
        method: 'POST',
        path: () => '/api/claims',
        valid: () => ({ deviceSerial: 'SN-PROP-1', faultCode: 'E2', repairDate: '2026-02-01', workDone: 'replaced', lines: [{ kind: 'part', partNo: 'P-1', quantity: 1, unitPrice: money }, { kind: 'travel', amount: money }] }),
        token: () => d.dealer,
      },
      { name: 'POST /api/claims/:id/parts-received', method: 'POST', path: () => `/api/claims/${d.claim}/parts-received`, valid: () => ({ lineNos: [1], receivedOn: '2026-02-03' }), token: () => d.clerk },
      { name: 'POST /api/claims/:id/appraisal', method: 'POST', path: () => `/api/claims/${d.claim}/appraisal`, valid: () => ({ appraisals: [{ lineNo: 1, appraisal: 'quality_fault' }] }), token: () => d.appraiser },
      { name: 'POST /api/claims/:id/audit', method: 'POST', path: () => `/api/claims/${d.claim}/audit`, valid: () => ({ note: 'checked the photos' }), token: () => d.clerk },
      { name: 'POST /api/claims/:id/decision', method: 'POST', path: () => `/api/claims/${d.claim}/decision`, valid: () => ({ decisions: [{ lineNo: 1, kind: 'approve_part', amount: money }] }), token: () => d.clerk },
      { name: 'POST /api/claims/:id/resubmit', method: 'POST', path: () => `/api/claims/${d.claim}/resubmit`, valid: () => ({ lines: [{ lineNo: 1, line: { kind: 'travel', amount: money } }] }), token: () => d.dealer },
      { name: 'POST /api/settlements/run', method: 'POST', path: () => '/api/settlements/run', valid: () => ({ period: '2026-01', dealerId: 1 }), token: () => d.finance },
      { name: 'POST /api/settlements/:id/review', method: 'POST', path: () => `/api/settlements/${d.settlement}/review`, valid: () => ({ holdLineIds: [1] }), token: () => d.finance },
      { name: 'POST /api/settlements/:id/confirm', method: 'POST', path: () => `/api/settlements/${d.settlement}/confirm`, valid: () => ({ version: 1 }), token: () => d.dealer },
      { name: 'POST /api/dealers/:id/parts-plans', method: 'POST', path: () => `/api/dealers/${d.dealerId}/parts-plans`, valid: () => ({ seasonStart: '2027-03-01', lines: [{ partNo: 'P-1', quantity: 2 }], note: 'spring' }), token: () => d.dealer },
      { name: 'POST /api/settlements/:id/dispute', method: 'POST', path: () => `/api/settlements/${d.settlement}/dispute`, valid: () => ({ reason: 'line 3 was paid already' }), token: () => d.dealer },
    ];
  }

  it('lists every write endpoint the API documents', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as Json;
    // Writes that take a body (a revoke or a deactivation has none to break).
    const documented = Object.entries<Json>(document.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => ['post', 'put', 'patch', 'delete'].includes(m) && item[m].requestBody).map((m) => `${m.toUpperCase()} ${path}`));
    const covered = endpoints().map((e) => e.name.replace(/:(\w+)/g, '{$1}').replace('/trial-issues/I1/resolve', '/trial-issues/{issueId}/resolve'));
    expect(documented.sort()).toEqual(covered.sort());
  });

  describe.each(endpoints().map((e) => [e.name, e] as const))('%s', (_name, endpoint) => {
    let before: Record<string, number>;
    let workflowsBefore: number;

    beforeAll(async () => {
      before = await rowCounts();
      if (endpoint.starts) workflowsBefore = await workflowCount();
    });

    afterAll(async () => {
      await settleBackgroundWork(app);
      expect(await rowCounts()).toEqual(before);
      if (endpoint.starts) expect(await workflowCount()).toBe(workflowsBefore);
    });

    it('answers arbitrary JSON with a 4xx, never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(anyJson, async (body) => {
          expectRefused(await send(endpoint.method, endpoint.path(), body, endpoint.token()), `arbitrary body ${JSON.stringify(body).slice(0, 100)}`);
        }),
        { numRuns: RUNS.arbitrary },
      );
    });

    it('answers every breakage of a valid body with a 400 naming the field, writing nothing', async () => {
      const valid = endpoint.valid();
      await fc.assert(
        fc.asyncProperty(brokenBodies(valid), async (mutated) => {
          expectBadInput(await send(endpoint.method, endpoint.path(), mutated.body, endpoint.token()), mutated);
        }),
        { numRuns: RUNS.mutated },
      );
      expect(await rowCounts()).toEqual(before);
    });
  });

  it('answers bad ids and serials in the path with a 4xx', async () => {
    const ids = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('0', '-1', '1.5', '1e10', '99999999999', '4294967296', 'NaN', '0x10'));
    await fc.assert(
      fc.asyncProperty(ids, fc.constantFrom(...STEP_NAMES), async (id, step) => {
        expectRefused(await send('POST', `/api/projects/${encodeURIComponent(id)}/${step}`, steps()[step], h.pmToken), `project id ${JSON.stringify(id)} for ${step}`);
      }),
      { numRuns: RUNS.params },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), fc.constantFrom(...Object.keys(doaSteps)), async (serial, step) => {
        expectRefused(await send('POST', `/api/projects/${projectId}/doa/${encodeURIComponent(serial)}/${step}`, doaSteps[step], h.pmToken), `serial ${JSON.stringify(serial)} for ${step}`);
      }),
      { numRuns: RUNS.params },
    );
  });

  it('refuses the issue’s own example: a customer time zone the notices cannot render, before anything starts', async () => {
    const counts = await rowCounts();
    const workflows = await workflowCount();
    const body = validProject();
    const reply = await send('POST', '/api/projects', { ...body, customer: { ...body.customer, timeZone: 'Mars/Olympus' } }, h.smToken);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual([{ field: 'customer.timeZone', message: expect.stringContaining('IANA time zone') }]);
    expect(await rowCounts()).toEqual(counts);
    expect(await workflowCount()).toBe(workflows);
  });
});
