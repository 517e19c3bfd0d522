/**
 * The authorization matrix: every route in the registry (the OpenAPI document every defineRoute
 * route registers in), every role, and a record of the caller's own and one of another party's,
 * against the real API, database and Temporal. The expected cells are written out by hand below,
 * per access rule, from the permissions table in the README; a route whose rule has no row fails.
 */
import { defineRoute, settleBackgroundWork, startApiServer, z, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { rolesOfRule, type RouteAccess } from '../../platform/http/access';
import { apiModules } from '../../api/index';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { TicketsRepository } from '../../processes/tickets/repository';
import { CareRepository } from '../../processes/care/repository';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { ROLES, type Role } from '../../domain/access';
import { startTestSystem, type TestSystem } from '../support/services';
import { SECONDS_POLICY, uniqueContractNo } from '../support/projectHarness';
import { ALL_ROWS } from '../../domain/access';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** 'ok': the rule lets the call through (the route's own answer: 400 for the deliberately bad body, else its 2xx). */
type Outcome = 'ok' | 403 | 404;
/** [a record of the caller's own, another party's record]. */
type Cell = readonly [Outcome, Outcome];
type Row = Readonly<Record<Role, Cell>>;

const same = (outcome: Outcome): Cell => [outcome, outcome];
const rowOf = (cells: Partial<Record<Role, Cell>>, otherwise: Cell): Row => Object.fromEntries(ROLES.map((role) => [role, cells[role] ?? otherwise])) as Record<Role, Cell>;

// --- The matrix: one row per access rule --------------------------------------------------------

const adminOnly = rowOf({ admin: same('ok') }, same(403));
const projectActors = rowOf({ project_manager: ['ok', 404], service_manager: same('ok') }, same(403));

const MATRIX: Record<string, Row> = {
  self: rowOf({}, same('ok')),
  // Public routes answer to what they carry, not to a bearer token: the visits feed without its feed token is a 404 for anyone.
  public: rowOf({}, same(404)),
  // An engineer's own account (the calendar feed); the matrix's targets are other users, so even engineers get 404.
  'record user act': rowOf({ engineer: same(404), senior_engineer: same(404) }, same(403)),
  'collection user administer': adminOnly,
  // Inviting and listing people: admins; service managers (staff below them, customers' contacts); the service
  // desk and project managers (customers' contacts); dealers (their administrators: their dealer's users).
  // The body and people/adminRules.ts decide the rest; GET /api/users lists only whom the caller administers.
  'collection invitation administer': rowOf({ admin: same('ok'), project_manager: same('ok'), dispatcher: same('ok'), service_manager: same('ok'), dealer: same('ok') }, same(403)),
  // A person's account (change, resend, deactivate): the targets are engineers, so a dealer reaches neither
  // (own dealer only); the service desk and project managers pass the rule and their bodies are refused (400).
  'record invitation administer': rowOf({ admin: same('ok'), project_manager: same('ok'), dispatcher: same('ok'), service_manager: same('ok'), dealer: same(404) }, same(403)),
  // Organisational units: everyone lists them; the admin adds, renames and moves them.
  'collection org_unit read': rowOf({}, same('ok')),
  'collection org_unit administer': adminOnly,
  'record org_unit administer': adminOnly,
  'collection dealer administer': adminOnly,
  'collection notice administer': adminOnly,
  'record user administer': adminOnly,
  // Everyone revokes their own machine tokens, the admin anyone's; the matrix's targets are other users' tokens.
  'record api_token administer': rowOf({ admin: same('ok') }, same(404)),
  'collection project act': rowOf({ project_manager: same('ok'), service_manager: same('ok') }, same(403)),
  'collection project read': rowOf({}, same('ok')),
  'record project read': rowOf(
    {
      admin: same('ok'),
      project_manager: ['ok', 404],
      dispatcher: same('ok'),
      senior_engineer: same('ok'),
      service_manager: same('ok'),
      leadership: same('ok'),
      customer: ['ok', 404],
    },
    same(404),
  ),
  'record project act': projectActors,
  'record doa_case act': projectActors,
  'record project assign': rowOf({ service_manager: same('ok') }, same(403)),
  // Failed notices: every signed-in user may ask; the list holds something only for admin and service manager.
  'collection notice read': rowOf({}, same('ok')),
  // Calendars are reference data every role counts working days on; only the admin loads a year.
  'collection calendar read': rowOf({}, same('ok')),
  'collection calendar administer': adminOnly,
  // Policy layers: the numbers new contracts start from, set by the admin and the service manager.
  'collection policy_layer administer': rowOf({ admin: same('ok'), service_manager: same('ok') }, same(403)),
  // Dealer warranty: a dealer reaches its own dealer's records only; the company's roles per step.
  'collection claim administer': rowOf({ admin: same('ok'), technical_appraiser: same('ok') }, same(403)),
  'collection claim read': rowOf({}, same('ok')),
  'collection claim act': rowOf({ technical_appraiser: same('ok'), sales_clerk: same('ok'), dealer: same('ok') }, same(403)),
  'record claim read': rowOf({ admin: same('ok'), leadership: same('ok'), technical_appraiser: same('ok'), sales_clerk: same('ok'), finance: same('ok'), dealer: ['ok', 404] }, same(404)),
  'record claim act': rowOf({ technical_appraiser: same('ok'), sales_clerk: same('ok'), dealer: ['ok', 404] }, same(403)),
  'collection dealer_sale act': rowOf({ sales_clerk: same('ok'), dealer: same('ok') }, same(403)),
  'record dealer_sale act': rowOf({ sales_clerk: same('ok'), dealer: ['ok', 404] }, same(403)),
  'collection dealer_task act': rowOf({ sales_clerk: same('ok'), dealer: same('ok') }, same(403)),
  'record dealer_task read': rowOf({ admin: same('ok'), leadership: same('ok'), sales_clerk: same('ok'), dealer: ['ok', 404] }, same(404)),
  'record dealer_task act': rowOf({ sales_clerk: same('ok'), dealer: ['ok', 404] }, same(403)),
  'collection settlement read': rowOf({}, same('ok')),
  'collection settlement act': rowOf({ finance: same('ok'), dealer: same('ok') }, same(403)),
  'record settlement read': rowOf({ admin: same('ok'), leadership: same('ok'), sales_clerk: same('ok'), finance: same('ok'), dealer: ['ok', 404] }, same(404)),
  'record settlement act': rowOf({ finance: same('ok'), dealer: ['ok', 404] }, same(403)),
  'record ledger read': rowOf({ admin: same('ok'), leadership: same('ok'), finance: same('ok'), dealer: ['ok', 404] }, same(404)),
  'record parts_plan read': rowOf({ admin: same('ok'), leadership: same('ok'), sales_clerk: same('ok'), dealer: ['ok', 404] }, same(404)),
  'record parts_plan act': rowOf({ dealer: ['ok', 404] }, same(403)),
  // Tickets: dispatchers and service managers run them all, engineers those assigned to them. Opening
  // one from a care follow-up or a visit finding (POST /api/care-plans/:id/…/ticket) is opening a ticket.
  'collection ticket act': rowOf({ dispatcher: same('ok'), engineer: same('ok'), senior_engineer: same('ok'), service_manager: same('ok') }, same(403)),
  'collection ticket read': rowOf({}, same('ok')),
  'record ticket read': rowOf(
    { admin: same('ok'), dispatcher: same('ok'), engineer: ['ok', 404], senior_engineer: same('ok'), service_manager: same('ok'), leadership: same('ok'), finance: same('ok'), customer: ['ok', 404] },
    same(404),
  ),
  'record ticket act': rowOf({ dispatcher: same('ok'), engineer: ['ok', 404], senior_engineer: same('ok'), service_manager: same('ok') }, same(403)),
  'record ticket assign': rowOf({ dispatcher: same('ok'), service_manager: same('ok') }, same(403)),
  // The customer file: its project managers, its one-to-one engineer, the customer's own users, the company's desks.
  'record customer read': rowOf(
    { admin: same('ok'), project_manager: ['ok', 404], dispatcher: same('ok'), engineer: ['ok', 404], senior_engineer: same('ok'), service_manager: same('ok'), leadership: same('ok'), customer: ['ok', 404] },
    same(404),
  ),
  'record customer assign': rowOf({ service_manager: same('ok') }, same(403)),
  // A contact is corrected (a wrong number) by the service desk, the service manager and the customer's project managers.
  'record contact act': rowOf({ project_manager: ['ok', 404], dispatcher: same('ok'), service_manager: same('ok') }, same(403)),
  // Asset care: the service manager runs plans; engineers work their visits, the service desk the calls.
  'collection care_plan act': rowOf({ service_manager: same('ok') }, same(403)),
  'collection care_plan read': rowOf({}, same('ok')),
  'record care_plan read': rowOf(
    { admin: same('ok'), project_manager: ['ok', 404], dispatcher: same('ok'), engineer: ['ok', 404], senior_engineer: same('ok'), service_manager: same('ok'), leadership: same('ok'), dealer: ['ok', 404], customer: ['ok', 404] },
    same(404),
  ),
  'record care_plan act': rowOf({ service_manager: same('ok') }, same(403)),
  'collection care_visit read': rowOf({}, same('ok')),
  'collection care_call read': rowOf({}, same('ok')),
  'record care_visit read': rowOf(
    { admin: same('ok'), project_manager: ['ok', 404], dispatcher: same('ok'), engineer: ['ok', 404], senior_engineer: same('ok'), service_manager: same('ok'), leadership: same('ok'), customer: ['ok', 404] },
    same(404),
  ),
  'record care_call read': rowOf(
    { admin: same('ok'), project_manager: ['ok', 404], dispatcher: same('ok'), senior_engineer: same('ok'), service_manager: same('ok'), leadership: same('ok'), customer: ['ok', 404] },
    same(404),
  ),
  'record care_visit act': rowOf({ engineer: ['ok', 404], service_manager: same('ok') }, same(403)),
  'record care_visit assign': rowOf({ service_manager: same('ok') }, same(403)),
  'record care_call act': rowOf({ dispatcher: same('ok'), service_manager: same('ok') }, same(403)),
};

/** GET /api/care-plans, and the plans' deadlines on GET /api/deadlines: [the own plan, the other one]. */
const CARE_LISTED: Record<Role, readonly [boolean, boolean]> = {
  admin: [true, true],
  project_manager: [true, false],
  dispatcher: [true, true],
  engineer: [true, false],
  senior_engineer: [true, true],
  service_manager: [true, true],
  leadership: [true, true],
  technical_appraiser: [false, false],
  sales_clerk: [false, false],
  finance: [false, false],
  dealer: [true, false],
  customer: [true, false],
};

/** GET /api/projects: [lists the own project, lists the other one]. */
const LISTED: Record<Role, readonly [boolean, boolean]> = {
  admin: [true, true],
  project_manager: [true, false],
  dispatcher: [true, true],
  engineer: [false, false],
  senior_engineer: [true, true],
  service_manager: [true, true],
  leadership: [true, true],
  technical_appraiser: [false, false],
  sales_clerk: [false, false],
  finance: [false, false],
  dealer: [false, false],
  customer: [true, false],
};

const ruleKey = (access: RouteAccess): string => (access.rule === 'public' || access.rule === 'self' ? access.rule : `${access.rule} ${access.resource} ${access.action}`);

interface Operation {
  method: string;
  path: string;
  access: RouteAccess | undefined;
  roles: unknown;
  hasBody: boolean;
  success: number;
}

function operationsOf(document: Json): Operation[] {
  return Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      access: op['x-access'],
      roles: op['x-roles'],
      hasBody: Boolean(op.requestBody),
      success: Number(Object.keys(op.responses).find((status) => status.startsWith('2'))),
    })),
  );
}

describe('authorization matrix: every route × every role × own and other records', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  const tokens = {} as Record<Role, string>;
  let otherPmToken: string;
  let operations: Operation[];
  type Target = { project: Json; serial: string; user: number; token: number; orgUnit: number; dealer: number; sale: number; task: number; claim: number; settlement: number; ticket: number; carePlan: number; visit: number; call: number; contact: number };
  const own = {} as Target;
  const other = {} as Target;

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    // Most answers are JSON; a printable notice is HTML.
    const json = response.headers.get('content-type')?.includes('application/json');
    return { status: response.status, body: text && json ? JSON.parse(text) : text || undefined };
  };

  async function startProject(token: string, customer: string): Promise<Json> {
    const serial = `SN-${uniqueContractNo('M')}`;
    const answer = await call('POST', '/api/projects', token, {
      contractNo: uniqueContractNo('ACL'),
      name: `Project of ${customer}`,
      customer: { name: customer, class: 'regular', contacts: [{ name: 'Contact', email: `contact@${customer.toLowerCase().replace(/\W+/g, '-')}.test` }] },
      projectManager: { name: 'PM', email: 'pm-contact@maker.test' },
      devices: [{ model: 'DR-7000', serial }],
      policy: { delivery: SECONDS_POLICY.delivery },
    });
    expect({ status: answer.status, body: answer.body }).toMatchObject({ status: 201 });
    return { ...answer.body, serial };
  }

  beforeAll(async () => {
    system = await startTestSystem('access-matrix');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const adminToken = generateToken();
    await users.ensureAdmin(adminToken);
    tokens.admin = adminToken;
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
    // A stored layer, so reading one is a 200 for whoever may.
    await new PolicyLayersRepository(knex).put('template', 'default', { delivery: { trialRun: 'P3M' } });

    const tokenOf = async (role: Role, extra: { customerId?: number; dealerId?: number } = {}, name: string = role) => {
      const user = await users.create({ name, email: `${name}@access.test`, role, ...extra });
      return users.issueToken(user.id, 'matrix');
    };
    tokens.project_manager = await tokenOf('project_manager');
    otherPmToken = await tokenOf('project_manager', {}, 'other_pm');
    const ownProject = await startProject(tokens.project_manager, 'Own Hospital');
    const otherProject = await startProject(otherPmToken, 'Other Hospital');
    const projects = new ProjectsRepository(knex);
    own.project = await projects.get(ownProject.id);
    other.project = await projects.get(otherProject.id);
    own.serial = ownProject.serial;
    other.serial = otherProject.serial;
    for (const [target, project] of [[own, own.project], [other, other.project]] as const) {
      await projects.upsertDoaCase(project.id, { damage: { description: 'cracked', cause: 'transport' }, state: { serial: target.serial, status: 'awaiting_shipment' } });
    }

    const dealer = await new DealersRepository(knex).create('Matrix Dealer');
    const otherDealer = await new DealersRepository(knex).create('Other Matrix Dealer');
    // One dealer-warranty record of each kind for the matrix dealer and for another dealer.
    const warranty = new DealerWarrantyRepository(knex);
    for (const [target, dealerId] of [[own, dealer.id], [other, otherDealer.id]] as const) {
      const sale = await warranty.createSale({ dealerId, deviceSerial: `SN-D${dealerId}`, model: 'M1', saleDate: '2026-01-05', customerName: 'C' }, DEFAULT_POLICY.dealer, new Date());
      const claim = await warranty.submitClaim({ dealerId, deviceSerial: `SN-D${dealerId}`, faultCode: 'E1', repairDate: '2026-02-01', workDone: 'w', lines: [{ kind: 'other', amount: { amount: 1, currency: 'CNY' }, description: 'x' }] }, DEFAULT_POLICY.dealer, 1, new Date(), '2026-02-02');
      const [settlement] = await knex('settlements').insert({ dealer_id: dealerId, period: '2026-01', currency: 'CNY', status: 'review', total_minor: 0, created_at: new Date(), updated_at: new Date() });
      const task = await warranty.createTask({ dealerId, deviceSerial: `SN-D${dealerId}`, customerName: 'C', request: 'visit' }, DEFAULT_POLICY.dealer, 1, new Date());
      Object.assign(target, { dealer: dealerId, sale: sale.id, task: task.id, claim: claim.id, settlement: Number(settlement) });
    }
    for (const role of ROLES) {
      if (tokens[role]) continue;
      tokens[role] = await tokenOf(role, role === 'customer' ? { customerId: own.project.customerId } : role === 'dealer' ? { dealerId: dealer.id } : {});
    }
    // Tickets on record: the own one the customer's and assigned to the engineer, the other one neither.
    const engineer = await users.getByEmail('engineer@access.test');
    const clockState = { startedAt: new Date().toISOString(), clock: { kind: '24x7' as const }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5], holds: [], clocks: [{ name: 'respond' as const, lengthMs: 3_600_000 }] };
    for (const [target, project, assignee] of [[own, own.project, engineer!.id], [other, other.project, null]] as const) {
      const ticket = await new TicketsRepository(knex).create(
        { kind: 'repair', customerId: project.customerId, deviceId: null, serial: null, model: 'DR-7000', channel: 'phone', symptom: 'no image', faultLevel: 3, entitlement: 'out_of_scope', assigneeUserId: assignee, contact: { name: 'Contact', email: 'contact@matrix.test' }, clockState, repeatOfTicketId: null, openedAt: new Date() },
        new Date(),
      );
      target.ticket = ticket.id;
    }
    // The engineer is the own customer's one-to-one engineer, and nobody's for the other.
    await knex('customers').where({ id: own.project.customerId }).update({ engineer_user_id: engineer!.id });
    // Care plans on record (no workflow: every step the matrix sends is refused for its body first). The own
    // one: the own project's, its customer's (the engineer's), a device the matrix dealer sold, a visit assigned to the engineer.
    const care = new CareRepository(knex);
    for (const [target, project, dealerId, assignee] of [[own, own.project, dealer.id, engineer!.id], [other, other.project, otherDealer.id, null]] as const) {
      const [deviceId] = await knex('devices').insert({ customer_id: project.customerId, model: 'M1', serial: `SN-D${dealerId}`, status: 'active', created_at: new Date(), updated_at: new Date() });
      const plan = await care.createPlan({ customerId: project.customerId, siteId: null, projectId: project.id, customerClass: 'regular', anchorAt: new Date(), warrantyEndsAt: null, policy: DEFAULT_POLICY, deviceIds: [Number(deviceId)] }, new Date());
      const due = new Date(Date.now() + 86_400_000);
      const times = { dueAt: due, windowStart: due, windowEnd: due, remindAt: due };
      await care.insertVisit({ id: plan.id, customerId: project.customerId, projectId: project.id }, { taskKey: 'inspection:1', kind: 'inspection', ...times, assigneeUserId: assignee }, new Date());
      await care.insertCall({ id: plan.id, customerId: project.customerId, projectId: project.id }, { taskKey: 'call:1', kind: 'call', ...times, assigneeUserId: null }, new Date());
      const [visit] = await care.listVisits({ planId: plan.id, now: new Date(), scope: ALL_ROWS });
      const [careCall] = await care.listCalls({ planId: plan.id, now: new Date(), scope: ALL_ROWS });
      const contact = (await knex('customer_contacts').where({ customer_id: project.customerId }).first('id')) as { id: number };
      await knex('deadlines').insert({ workflow_id: plan.workflowId, deadline_key: 'care:matrix', record_type: 'care_plan', record_id: plan.id, kind: 'care_visit', description: 'matrix visit due', due_at: due, status: 'open', opened_at: new Date(), provisional: false });
      Object.assign(target, { carePlan: plan.id, visit: visit!.id, call: careCall!.id, contact: Number(contact.id) });
    }
    // Targets of the account routes: users and tokens nobody signs in with.
    for (const [target, name] of [[own, 'spare_one'], [other, 'spare_two']] as const) {
      const spare = await users.create({ name, email: `${name}@access.test`, role: 'engineer' });
      await users.issueToken(spare.id, 'spare');
      target.user = spare.id;
      target.token = (await users.listTokens(spare.id))[0]!.id;
      target.orgUnit = Number((await knex('org_units').insert({ name: `Matrix ${name}`, kind: 'region', parent_key: 0, created_at: new Date() }))[0]);
    }
    operations = operationsOf((await call('GET', '/api/openapi.json', adminToken)).body);
  });

  afterAll(async () => {
    const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
    for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('finds the whole registry, and every route declares an access rule with a row in the matrix', () => {
    const api = operations.filter((op) => op.path.startsWith('/api/'));
    expect(api.length).toBeGreaterThanOrEqual(25);
    const undeclared = api.filter((op) => !op.access || !MATRIX[ruleKey(op.access)]).map((op) => `${op.method} ${op.path}`);
    expect(undeclared).toEqual([]);
  });

  it('every route admits by role exactly the roles its rule reaches', () => {
    for (const op of operations.filter((o) => o.access)) {
      const roles = rolesOfRule(op.access!);
      expect({ route: `${op.method} ${op.path}`, roles: op.roles }).toEqual({ route: `${op.method} ${op.path}`, roles: roles === null ? (op.access!.rule === 'public' ? 'public' : 'authenticated') : roles });
    }
  });

  it('a route declared without an access rule is refused at start-up', () => {
    // The type requires `access` too; this is the check for code that gets past the compiler.
    const define = defineRoute as unknown as (spec: object, handler: () => Promise<unknown>) => unknown;
    const spec = { method: 'get', path: '/unruled', roles: 'authenticated', summary: 'No rule', responses: { 200: { description: 'x' } } };
    expect(() => define(spec, async () => ({ status: 200 }))).toThrow(/access rule/);
    expect(() => define({ ...spec, access: { rule: 'record', resource: 'calendar', action: 'read' }, params: z.object({ id: z.string() }) }, async () => ({ status: 200 }))).toThrow(/no record lookup/);
  });

  function concreteRequest(op: Operation, target: typeof own): { path: string; body: unknown } {
    const resource = op.access && 'resource' in op.access ? op.access.resource : null;
    const ids: Partial<Record<string, number>> = { user: target.user, invitation: target.user, org_unit: target.orgUnit, api_token: target.token, dealer_sale: target.sale, dealer_task: target.task, claim: target.claim, settlement: target.settlement, ledger: target.dealer, parts_plan: target.dealer, ticket: target.ticket, customer: target.project.customerId, contact: target.project.customerId, care_plan: target.carePlan, care_visit: target.visit, care_call: target.call };
    const id = (resource && ids[resource]) ?? target.project.id;
    const path = op.path.replace('{id}', String(id)).replace('{serial}', encodeURIComponent(target.serial)).replace('{issueId}', 'I1').replace('{scope}', 'template').replace('{key}', resource === 'policy_layer' ? 'default' : 'cn').replace('{model}', 'M1').replace('{year}', '2027').replace('{contactId}', String(target.contact)).replace('{followUpId}', '1').replace('{visitId}', '1');
    // Every request body is an object: an array is always a 400, so a call the rule lets through changes nothing.
    return { path, body: op.hasBody ? [] : undefined };
  }

  it.each(ROLES)('%s: every route answers as the matrix says, for its own and another party’s record', async (role) => {
    const mismatches: string[] = [];
    for (const op of operations.filter((o) => o.path.startsWith('/api/') && o.access && MATRIX[ruleKey(o.access)])) {
      const cell = MATRIX[ruleKey(op.access!)]![role];
      for (const [which, target, expected] of [['own', own, cell[0]], ['other', other, cell[1]]] as const) {
        const { path, body } = concreteRequest(op, target);
        const answer = await call(op.method, path, tokens[role], body);
        const wanted = expected === 'ok' ? (op.hasBody ? 400 : op.success) : expected;
        if (answer.status !== wanted) mismatches.push(`${op.method} ${path} (${which}): ${answer.status}, expected ${wanted} ${JSON.stringify(answer.body?.error?.message ?? '')}`);
        if (expected === 404 && answer.body?.error?.code !== 'not_found') mismatches.push(`${op.method} ${path} (${which}): not a not_found error`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it.each(ROLES)('%s: the project list shows only the projects the role may read', async (role) => {
    const answer = await call('GET', '/api/projects', tokens[role]);
    expect(answer.status).toBe(200);
    const ids = answer.body.projects.map((p: Json) => p.id);
    expect([ids.includes(own.project.id), ids.includes(other.project.id)]).toEqual(LISTED[role]);
  });

  it.each(ROLES)('%s: the care-plan list and the plans’ deadlines show only the plans the role may read', async (role) => {
    const plans = await call('GET', '/api/care-plans', tokens[role]);
    expect(plans.status).toBe(200);
    const ids = plans.body.carePlans.map((p: Json) => p.id);
    expect([ids.includes(own.carePlan), ids.includes(other.carePlan)]).toEqual(CARE_LISTED[role]);
    const deadlines = await call('GET', '/api/deadlines', tokens[role]);
    const onHome = deadlines.body.deadlines.filter((d: Json) => d.recordType === 'care_plan').map((d: Json) => d.recordId);
    expect([onHome.includes(own.carePlan), onHome.includes(other.carePlan)]).toEqual(CARE_LISTED[role]);
  });

  it('an admin’s revoked token and a deactivated user’s tokens stop working at once', async () => {
    const users = new UsersRepository(system.db.knex);
    const victim = await users.create({ name: 'Leaving', email: 'leaving@access.test', role: 'finance' });
    const [first, second] = [await users.issueToken(victim.id, 'one'), await users.issueToken(victim.id, 'two')];
    const listed = await call('GET', `/api/users/${victim.id}/tokens`, tokens.admin);
    expect(listed.body.tokens.map((t: Json) => [t.label, t.live])).toEqual([['one', true], ['two', true]]);
    expect(JSON.stringify(listed.body)).not.toContain(first);

    const revoked = await call('DELETE', `/api/tokens/${listed.body.tokens[0].id}`, tokens.admin);
    expect(revoked).toMatchObject({ status: 200, body: { label: 'one', live: false } });
    expect((await call('GET', '/api/users/me', first)).status).toBe(401);
    expect((await call('GET', '/api/users/me', second)).status).toBe(200);

    const deactivated = await call('POST', `/api/users/${victim.id}/deactivate`, tokens.admin);
    expect(deactivated).toMatchObject({ status: 200, body: { id: victim.id, active: false } });
    expect((await call('GET', '/api/users/me', second)).status).toBe(401);
    expect((await call('GET', `/api/users/${victim.id}/tokens`, tokens.admin)).body.tokens.every((t: Json) => !t.live)).toBe(true);
    expect((await call('DELETE', '/api/tokens/999999999', tokens.admin)).status).toBe(404);
  });

  it('a project manager’s project is theirs: started by them, handed over by the service manager, then the other’s', async () => {
    expect(own.project.projectManagerUserId).toBe((await call('GET', '/api/users/me', tokens.project_manager)).body.id);
    const otherPm = (await call('GET', '/api/users/me', otherPmToken)).body;
    const project = await startProject(tokens.service_manager, 'Handover Hospital');
    // Started by a service manager without naming one: no project manager user matches the contact.
    expect(project.projectManagerUserId).toBeNull();
    expect((await call('GET', `/api/projects/${project.id}`, otherPmToken)).status).toBe(404);

    expect((await call('POST', `/api/projects/${project.id}/assign`, tokens.project_manager, { projectManagerUserId: otherPm.id })).status).toBe(403);
    const notPm = await call('POST', `/api/projects/${project.id}/assign`, tokens.service_manager, { projectManagerUserId: (await call('GET', '/api/users/me', tokens.dispatcher)).body.id });
    expect(notPm).toMatchObject({ status: 400, body: { error: { details: [{ field: 'projectManagerUserId' }] } } });
    const assigned = await call('POST', `/api/projects/${project.id}/assign`, tokens.service_manager, { projectManagerUserId: otherPm.id });
    expect(assigned).toMatchObject({ status: 200, body: { id: project.id, projectManagerUserId: otherPm.id } });
    const read = await call('GET', `/api/projects/${project.id}`, otherPmToken);
    expect(read.status).toBe(200);
    expect(read.body.projectManager).toMatchObject({ name: 'other_pm', email: 'other_pm@access.test' });
    expect((await call('GET', `/api/projects/${project.id}`, tokens.project_manager)).status).toBe(404);
  });

  it('the same contract number again: the existing project for who may read it, 409 for anyone else', async () => {
    const again = { ...(await startProject(tokens.project_manager, 'Twice Hospital')) };
    const body = {
      contractNo: again.contractNo,
      name: 'x',
      customer: { name: 'Twice Hospital', contacts: [{ name: 'C', email: 'c@twice.test' }] },
      projectManager: { name: 'PM', email: 'pm@maker.test' },
      devices: [{ model: 'DR', serial: again.serial }],
    };
    expect(await call('POST', '/api/projects', tokens.project_manager, body)).toMatchObject({ status: 200, body: { id: again.id } });
    const refused = await call('POST', '/api/projects', otherPmToken, body);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).not.toContain(String(again.id));
  });

  it('commercial terms: a project manager’s override answers 403 naming each field and records nothing; a service manager’s is applied', async () => {
    const body = (policy: unknown) => ({
      contractNo: uniqueContractNo('COM'),
      name: 'Commercial terms',
      customer: { name: 'Terms Hospital', contacts: [{ name: 'C', email: 'c@terms.test' }] },
      projectManager: { name: 'PM', email: 'pm@maker.test' },
      devices: [{ model: 'DR', serial: `SN-${uniqueContractNo('C')}` }],
      policy,
    });
    const before = Number(((await system.db.knex('projects').count({ n: '*' }).first()) as { n: unknown }).n);
    const policy = { delivery: { trialRun: 'PT8S' }, warranty: { length: 'P36M' }, doa: { returnWithin: { workingDays: 30 } }, calendar: 'cn' };
    const refused = await call('POST', '/api/projects', tokens.project_manager, body(policy));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect(refused.body.error.details.map((d: Json) => d.field)).toEqual(['policy.warranty.length', 'policy.doa.returnWithin.workingDays', 'policy.calendar']);
    expect(Number(((await system.db.knex('projects').count({ n: '*' }).first()) as { n: unknown }).n)).toBe(before);

    expect((await call('POST', '/api/projects', tokens.project_manager, body({ delivery: { trialRun: 'PT8S' } }))).status).toBe(201);
    const bySm = await call('POST', '/api/projects', tokens.service_manager, { ...body(policy), projectManagerUserId: own.project.projectManagerUserId });
    expect(bySm.status).toBe(201);
    const contract = (await system.db.knex('contracts').where({ contract_no: bySm.body.contractNo }).first('resolved_policy')) as { resolved_policy: unknown };
    const resolved = typeof contract.resolved_policy === 'string' ? JSON.parse(contract.resolved_policy) : contract.resolved_policy;
    expect(resolved.warranty.length).toBe('P36M');
  });

  it('projectManagerUserId must name an active project manager', async () => {
    const dispatcher = (await call('GET', '/api/users/me', tokens.dispatcher)).body;
    const answer = await call('POST', '/api/projects', tokens.service_manager, {
      contractNo: uniqueContractNo('PMU'),
      name: 'x',
      customer: { name: 'PMU Hospital', contacts: [{ name: 'C', email: 'c@pmu.test' }] },
      projectManager: { name: 'PM', email: 'pm@maker.test' },
      projectManagerUserId: dispatcher.id,
      devices: [{ model: 'DR', serial: `SN-${uniqueContractNo('P')}` }],
    });
    expect(answer).toMatchObject({ status: 400, body: { error: { details: [{ field: 'projectManagerUserId' }] } } });
  });
});
