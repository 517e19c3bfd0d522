/**
 * The console's care pages answer every role exactly as the API does for the same record: for each role
 * (and the engineer, project manager, customer user and dealer a record belongs to or not), the plan,
 * visit and call pages and the step forms' POSTs give 200/400 (reachable; a step's empty form is a field
 * problem in both, so nothing is sent on) / 403 / 404 as GET and POST /api/… do, and a list shows the
 * record to the same people. No process engine: every allowed step is refused for its body first.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { createConsole } from '../../console';
import { CareRepository } from '../../processes/care/repository';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { DealersRepository } from '../../installedBase/dealers';
import { DevicesRepository } from '../../installedBase/devices';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { UsersRepository } from '../../people/repository';
import type { Role } from '../../domain/access';
import { resolvePolicy } from '../../domain/policy';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ALL_ROWS } from '../../domain/access';

let db: TestDatabase;
let server: ApiServer;
const tokens: Record<string, string> = {};
const visitors = new Map<string, ConsoleVisitor>();
const ids = { plan: 0, visit: 0, call: 0 };
const HOUR = 3_600_000;

const WHO: Array<[string, Role]> = [
  ['admin', 'admin'],
  ['service_manager', 'service_manager'],
  ['senior_engineer', 'senior_engineer'],
  ['engineer (assigned)', 'engineer'],
  ['engineer (not assigned)', 'engineer'],
  ['dispatcher', 'dispatcher'],
  ['project manager (of the plan)', 'project_manager'],
  ['project manager (another)', 'project_manager'],
  ['customer user (of the customer)', 'customer'],
  ['customer user (another customer)', 'customer'],
  ['dealer (sold a device)', 'dealer'],
  ['dealer (another)', 'dealer'],
  ['finance', 'finance'],
  ['leadership', 'leadership'],
];

async function api(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: { [key: string]: Array<{ id: number }> } }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${tokens[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : {} };
}

async function visitor(who: string): Promise<ConsoleVisitor> {
  let found = visitors.get(who);
  if (!found) {
    found = new ConsoleVisitor(server.url);
    expect((await found.signIn(tokens[who]!)).status).toBe(303);
    // A page with a form, for the CSRF token the step forms send.
    await found.get('/home');
    visitors.set(who, found);
  }
  return found;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const { knex } = db;
  const users = new UsersRepository(knex);
  const now = new Date();
  const customers = new CustomersRepository(knex);
  const hospital = await customers.create({ name: 'Matrix Hospital', contacts: [{ name: 'Wang Fang', email: 'wang@matrix.test', role: 'technical_lead', phone: '+86 791 555 0101' }] });
  const clinic = await customers.create({ name: 'Matrix Clinic' });
  const dealer = await new DealersRepository(knex).create('Selling Dealer');
  const otherDealer = await new DealersRepository(knex).create('Other Dealer');
  const userIds: Record<string, number> = {};
  for (const [who, role] of WHO) {
    const extra = who === 'customer user (of the customer)' ? { customerId: hospital.id } : who === 'customer user (another customer)' ? { customerId: clinic.id } : who === 'dealer (sold a device)' ? { dealerId: dealer.id } : who === 'dealer (another)' ? { dealerId: otherDealer.id } : {};
    const slug = who.replace(/\W+/g, '-');
    const user = await users.create({ name: who, email: `${slug}@care-matrix.test`, role, locale: 'en', ...extra });
    userIds[who] = user.id;
    tokens[who] = await users.issueToken(user.id, 'matrix');
  }
  const contract = await new ContractsRepository(knex).create({ customerId: hospital.id, contractNo: 'HT-CARE-MATRIX', kind: 'project', policyOverrides: {}, resolvedPolicy: {} });
  const project = await new ProjectsRepository(knex).create({ customerId: hospital.id, contractId: contract.id, contractNo: 'HT-CARE-MATRIX', name: 'Matrix room', projectManager: { name: 'PM', email: 'pm@care-matrix.test' }, stage: 'installing' });
  await knex('projects').where({ id: project.id }).update({ project_manager_user_id: userIds['project manager (of the plan)'] });
  const serial = `CARE-MATRIX-${Date.now()}`;
  const [device] = await new DevicesRepository(knex).createMany(hospital.id, [{ model: 'DR-7000', serial }]);
  await knex('dealer_sales').insert({ dealer_id: dealer.id, device_serial: serial, model: 'DR-7000', sale_date: '2026-01-05', customer_name: 'Matrix Hospital', card_due_on: '2026-02-05', created_at: now });
  const care = new CareRepository(knex);
  const plan = await care.createPlan({ customerId: hospital.id, siteId: null, projectId: project.id, customerClass: 'regular', anchorAt: now, warrantyEndsAt: null, policy: resolvePolicy({}), deviceIds: [device!.id] }, now);
  // Overdue, so the console's work lists show them whatever the day.
  const times = { dueAt: new Date(now.getTime() - 2 * HOUR), windowStart: new Date(now.getTime() - 3 * HOUR), windowEnd: new Date(now.getTime() - HOUR), remindAt: new Date(now.getTime() - 4 * HOUR) };
  const ref = { id: plan.id, customerId: hospital.id, projectId: project.id };
  await care.insertVisit(ref, { taskKey: 'inspection:1', kind: 'inspection', ...times, assigneeUserId: userIds['engineer (assigned)']! }, now);
  await care.insertCall(ref, { taskKey: 'call:1', kind: 'call', ...times, assigneeUserId: null }, now);
  ids.plan = plan.id;
  ids.visit = (await care.listVisits({ planId: plan.id, now, scope: ALL_ROWS }))[0]!.id;
  ids.call = (await care.listCalls({ planId: plan.id, now, scope: ALL_ROWS }))[0]!.id;
  const app = createApp({ knex, routers: apiModules });
  app.use(createConsole({ knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

/** The console's page path and the API's path of the same question. */
const READS = [
  { page: () => `/care-plans/${ids.plan}`, api: () => `/api/care-plans/${ids.plan}` },
  { page: () => `/visits/${ids.visit}`, api: () => `/api/visits/${ids.visit}` },
  { page: () => `/calls/${ids.call}`, api: () => `/api/calls/${ids.call}` },
];
const STEPS = [
  { page: () => `/care-plans/${ids.plan}/steps/end`, api: () => `/api/care-plans/${ids.plan}/end` },
  { page: () => `/visits/${ids.visit}/steps/skip`, api: () => `/api/visits/${ids.visit}/skip` },
  { page: () => `/visits/${ids.visit}/steps/cancel`, api: () => `/api/visits/${ids.visit}/cancel` },
  { page: () => `/visits/${ids.visit}/steps/assign`, api: () => `/api/visits/${ids.visit}/assign` },
  { page: () => `/calls/${ids.call}/steps/reschedule`, api: () => `/api/calls/${ids.call}/reschedule` },
];
const LISTS = [
  { page: '/care-plans', api: '/api/care-plans', key: 'carePlans', href: () => `href="/care-plans/${ids.plan}"`, id: () => ids.plan },
  { page: '/visits', api: '/api/visits', key: 'visits', href: () => `href="/visits/${ids.visit}"`, id: () => ids.visit },
  { page: '/calls', api: '/api/calls', key: 'calls', href: () => `href="/calls/${ids.call}"`, id: () => ids.call },
];

describe.each(WHO.map(([who]) => who))('%s', (who) => {
  it('reads the plan, the visit and the call in the console exactly when the API lets them', async () => {
    const page = await visitor(who);
    for (const read of READS) {
      const [viaApi, viaConsole] = [(await api(who, 'GET', read.api())).status, (await page.get(read.page())).status];
      expect({ path: read.page(), console: viaConsole }).toEqual({ path: read.page(), console: viaApi });
      expect([200, 404]).toContain(viaApi);
    }
  });

  it('takes a step in the console exactly when the API lets them (an empty form: 400 when allowed)', async () => {
    const page = await visitor(who);
    for (const step of STEPS) {
      const viaApi = (await api(who, 'POST', step.api(), {})).status;
      const viaConsole = (await page.post(step.page(), {})).status;
      expect({ path: step.page(), console: viaConsole }).toEqual({ path: step.page(), console: viaApi });
      expect([400, 403, 404]).toContain(viaApi);
    }
  });

  it('finds the records in the console’s lists exactly when the API’s lists hold them', async () => {
    const page = await visitor(who);
    for (const list of LISTS) {
      const answer = await api(who, 'GET', list.api);
      expect(answer.status).toBe(200);
      const html = await page.get(list.page);
      expect(html.status).toBe(200);
      expect({ list: list.page, console: html.body.includes(list.href()) }).toEqual({ list: list.page, console: answer.body[list.key]!.some((r) => r.id === list.id()) });
    }
  });
});

it('answers as both agreed: who reaches what', async () => {
  // The rules the two now share (domain/access.ts), spelled out for a reader.
  const readers = async (path: () => string) => {
    const out: string[] = [];
    for (const [who] of WHO) if ((await api(who, 'GET', path())).status === 200) out.push(who);
    return out;
  };
  expect(await readers(() => `/api/care-plans/${ids.plan}`)).toEqual(['admin', 'service_manager', 'senior_engineer', 'engineer (assigned)', 'dispatcher', 'project manager (of the plan)', 'customer user (of the customer)', 'dealer (sold a device)', 'leadership']);
  expect(await readers(() => `/api/calls/${ids.call}`)).toEqual(['admin', 'service_manager', 'senior_engineer', 'dispatcher', 'project manager (of the plan)', 'customer user (of the customer)', 'leadership']);
});
