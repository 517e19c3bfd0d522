/**
 * The projects API refusing what it must, on the real server: repeated starts, bad input, an unreachable
 * process engine, steps out of order, bad step payloads and roles. Every refusal answers
 * `{ error: { code, message, details } }`, leaves the database and the workflow as they were, and is
 * still written to the audit trail.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type express from 'express';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { projectsModule } from '../../processes/delivery/api';
import { AuditRepository } from '../../platform/db/audit';
import type { PolicyOverride } from '../../domain/policy';
import { projectStateQuery } from '../../processes/delivery/messages';
import { BOTH_SIGN, CUSTOMER_CONTACT, PM, SECONDS_POLICY, SERVICE_MANAGER, startProjectHarness, uniqueContractNo, withKey, type Json, type ProjectHarness } from '../support/projectHarness';

interface Reply {
  status: number;
  body: Json;
  requestId: string;
}

/** Every state-changing request this file makes, to be found again in the audit trail. */
interface Sent {
  requestId: string;
  path: string;
  status: number;
  code: string | undefined;
  role: string | null;
}

const TABLES = ['customers', 'customer_contacts', 'contracts', 'projects', 'devices'] as const;
type RowCounts = Record<(typeof TABLES)[number], number>;

/** No deadline falls due while a test looks (weekly reports hourly, a day of trial run, a day to ship a DOA replacement). */
const QUIET_DELIVERY = { initialAcceptanceRequired: true, weeklyReportEvery: 'PT1H', weeklyReportGrace: 'PT1H', trialRun: 'P1D', trialReportLead: 'PT1H', trialExtendBy: 'P1D', trialMaxExtensions: 2 };
const QUIET_POLICY: PolicyOverride = { ...SECONDS_POLICY, delivery: QUIET_DELIVERY, doa: { shipWithin: 'P1D', returnWithin: 'P2D', returnReminderBefore: 'P1D' } };
/** As quiet, but the trial run lasts seconds so a project reaches final acceptance and completion in a test. */
const SHORT_TRIAL_POLICY: PolicyOverride = { ...QUIET_POLICY, delivery: { ...QUIET_DELIVERY, trialRun: 'PT3S', trialReportLead: 'PT1S', trialExtendBy: 'PT3S' } };

const SCORES = { hardware: 28, software: 45, documents: 9, satisfaction: 10 };
const CUSTOMER_SIGNS = [{ name: 'Wang Fang', party: 'customer' }];

/** A valid payload for every project step: refusals then come from the stage alone. */
function validSteps(serials: string[]): Record<string, Json> {
  return {
    kickoff: { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality', 'network'], completionCriteria: 'all tests signed' },
    unboxing: { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN },
    'weekly-reports': { summary: 'cabling done' },
    'installation-complete': { testRecords: [{ name: 'exposure test', passed: true, signatures: BOTH_SIGN }] },
    'initial-acceptance': { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], signatures: BOTH_SIGN },
    'trial-issues': { title: 'label printer offline' },
    'trial-issues/I1/resolve': { resolution: 'driver reinstalled' },
    'trial-report': { summary: 'ran without faults' },
    'final-acceptance': { passed: true, signatures: BOTH_SIGN, scores: SCORES },
    handover: { documents: [{ name: '工程竣工资料移交清单', delivered: true }], signatures: CUSTOMER_SIGNS },
    cancel: { reason: 'the customer withdrew' },
  };
}
const ALL_STEPS = Object.keys(validSteps([]));

describe('projects API: validation, conflicts and refusals on the real server', () => {
  let h: ProjectHarness;
  let pmRole: string;
  const sent: Sent[] = [];
  const otherApps: express.Application[] = [];

  // Test databases number their rows from a random start (test/support/db.ts), so `project-<id>` never meets another file's workflow.
  beforeAll(async () => {
    h = await startProjectHarness('validation');
    pmRole = 'project_manager';
  });

  afterAll(async () => {
    for (const app of otherApps) await settleBackgroundWork(app);
    await h?.stop();
  });

  // --- Helpers --------------------------------------------------------------------------------

  const roleOf = (token: string | null): string | null => (token === h.pmToken ? pmRole : token === h.smToken ? 'service_manager' : token === h.readerToken ? 'dispatcher' : null);

  async function send(method: string, path: string, body?: unknown, token: string | null = h.pmToken, baseUrl = h.server.url, language = 'en'): Promise<Reply> {
    // Read in English (the users are zh-CN), unless a test asks for another language.
    const headers: Record<string, string> = { 'accept-language': language };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const reply: Reply = { status: response.status, body: text ? JSON.parse(text) : undefined, requestId: response.headers.get('x-request-id') ?? '' };
    if (method !== 'GET') sent.push({ requestId: reply.requestId, path, status: reply.status, code: reply.body?.error?.code, role: roleOf(token) });
    return reply;
  }

  // The service manager starts projects: their policies set commercial terms (DOA, warranty).
  const createProject = (body: Json, token: string | null = h.smToken, baseUrl?: string) => send('POST', '/api/projects', body, token, baseUrl);
  const step = (id: number, name: string, body: Json, token: string | null = h.pmToken, baseUrl?: string) => send('POST', `/api/projects/${id}/${name}`, body, token, baseUrl);

  function projectBody(overrides: Record<string, unknown> = {}, policy: PolicyOverride = QUIET_POLICY): Json {
    return {
      contractNo: uniqueContractNo('VAL'),
      name: 'CT room installation',
      customer: { name: 'Jiujiang People’s Hospital', address: '8 Xunyang Road', class: 'key', contacts: [CUSTOMER_CONTACT] },
      projectManager: PM,
      serviceManager: SERVICE_MANAGER,
      devices: [
        { model: 'DR-7000', serial: uniqueContractNo('DR'), brand: 'Tengyang', catalogPrice: { amount: 12_800_000, currency: 'CNY' } },
        { model: 'BC-300', serial: uniqueContractNo('BC'), brand: 'Tengyang', catalogPrice: { amount: 5_600_000, currency: 'CNY' } },
      ],
      policy,
      ...overrides,
    };
  }

  async function rowCounts(): Promise<RowCounts> {
    const counts = {} as RowCounts;
    for (const table of TABLES) {
      const row = (await h.system.db.knex(table).count({ n: '*' }).first()) as { n: number | string } | undefined;
      counts[table] = Number(row?.n ?? 0);
    }
    return counts;
  }

  /** The answer is the API's error shape with this status and code, and its details name `fields`. */
  function expectError(reply: Reply, status: number, code: string, fields: string[] = []): void {
    expect({ status: reply.status, body: reply.body }).toMatchObject({ status, body: { error: { code, message: expect.any(String), details: expect.anything() } } });
    if (fields.length > 0) {
      const named = (reply.body.error.details as Json[]).map((d) => d.field);
      expect({ fields: named, message: reply.body.error.message }).toEqual({ fields: expect.arrayContaining(fields), message: expect.any(String) });
    }
  }

  /** What must not move when a step is refused: stored stage and timeline, and the workflow's own. */
  async function snapshot(id: number): Promise<Json> {
    const project = await h.project(id);
    const live = await h.system.temporal.client.workflow.getHandle(`project-${id}`).query(projectStateQuery);
    return { stage: project.stage, timeline: project.timeline.length, liveStage: live.stage, lastStepAt: live.lastStepAt, issues: live.trialIssues.length, doaCases: live.doaCases.length };
  }

  async function refused(id: number, name: string, body: Json, status: number, code: string, fields: string[] = [], message?: RegExp, token: string | null = h.pmToken): Promise<Reply> {
    const before = await snapshot(id);
    const reply = await step(id, name, body, token);
    expectError(reply, status, code, fields);
    if (message) expect(reply.body.error.message).toMatch(message);
    expect({ step: name, ...(await snapshot(id)) }).toEqual({ step: name, ...before });
    return reply;
  }

  /** Each step is refused with 409 in the current stage, and nothing moves. */
  async function outOfOrder(id: number, serials: string[], steps: string[], message: RegExp): Promise<void> {
    const bodies = validSteps(serials);
    for (const name of steps) await refused(id, name, bodies[name], 409, 'conflict', [], message);
  }

  async function startedProject(policy: PolicyOverride = QUIET_POLICY): Promise<{ id: number; serials: string[]; customerId: number }> {
    const body = projectBody({}, policy);
    const created = await createProject(body);
    expect(created.status).toBe(201);
    await h.waitForEvent(created.body.id, 'project_started');
    return { id: created.body.id, serials: body.devices.map((d: Json) => d.serial), customerId: created.body.customerId };
  }

  async function walk(id: number, serials: string[], steps: string[]): Promise<Json> {
    const bodies = validSteps(serials);
    let last: Reply | undefined;
    for (const name of steps) {
      last = await step(id, name, bodies[name]);
      expect({ step: name, status: last.status, body: last.body }).toMatchObject({ step: name, status: name === 'weekly-reports' || name === 'trial-issues' ? 201 : 200 });
    }
    return last?.body;
  }

  async function expectOneWorkflow(id: number): Promise<void> {
    const client = h.system.temporal.client;
    const description = await client.workflow.getHandle(`project-${id}`).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe(h.system.temporal.taskQueue);
    // The run we see is the first and only one: its history starts it once.
    const history = await client.workflow.getHandle(`project-${id}`, description.runId).fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionStartedEventAttributes)).toHaveLength(1);
    const started = await h.system.db.knex('project_events').where({ project_id: id, kind: 'project_started' });
    expect(started).toHaveLength(1);
  }

  async function expectStartedOncePerRecipient(id: number): Promise<void> {
    const started = await h.waitForMails(withKey(`project-${id}:started:`), 2);
    expect(started.map((m) => m.envelope.to[0]).sort()).toEqual([PM.email, CUSTOMER_CONTACT.email].sort());
    const outbox = await h.system.db.knex('notice_outbox').where('idempotency_key', 'like', `project-${id}:started:%`);
    expect(outbox).toHaveLength(2);
  }

  const diff = (after: RowCounts, before: RowCounts) => Object.fromEntries(TABLES.map((t) => [t, after[t] - before[t]]));
  const createdProjects: number[] = [];

  // --- 1. The same contract number twice ------------------------------------------------------

  describe('the same contractNo posted twice', () => {
    it('sequentially: the second answer is 200 with the same project; one contract, one project, one workflow, one notice each', async () => {
      const body = projectBody();
      const before = await rowCounts();
      const first = await createProject(body);
      expect(first.status).toBe(201);
      const id: number = first.body.id;
      expect(first.body).toMatchObject({ workflowId: `project-${id}`, stage: 'awaiting_kickoff', contractNo: body.contractNo });
      createdProjects.push(id);

      // Same number, different content: the stored project wins, nothing of the second body is written.
      const again = await createProject({ ...body, name: 'another name', customer: { ...body.customer, name: 'Another Hospital' }, devices: [{ model: 'US-9', serial: uniqueContractNo('US') }] });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id, workflowId: `project-${id}`, contractNo: body.contractNo, name: body.name, customerId: first.body.customerId });

      expect(diff(await rowCounts(), before)).toEqual({ customers: 1, customer_contacts: 1, contracts: 1, projects: 1, devices: 2 });
      const knex = h.system.db.knex;
      expect(await knex('projects').where({ contract_no: body.contractNo })).toHaveLength(1);
      expect(await knex('contracts').where({ contract_no: body.contractNo })).toHaveLength(1);
      expect((await h.project(id)).devices.map((d: Json) => d.serial).sort()).toEqual(body.devices.map((d: Json) => d.serial).sort());
      await h.waitForEvent(id, 'project_started');
      await expectOneWorkflow(id);
      await expectStartedOncePerRecipient(id);
    });

    it('concurrently (Promise.all, three rounds): one 201, one 200, the same id; one of everything', async () => {
      // VALIDATION_RACE_ROUNDS=40 hunts the race harder.
      for (let round = 0; round < Number(process.env.VALIDATION_RACE_ROUNDS ?? 3); round += 1) {
        const body = projectBody();
        const before = await rowCounts();
        const [a, b] = await Promise.all([createProject(body), createProject(body)]);
        expect({ statuses: [a.status, b.status].sort(), answers: [a.body, b.body] }).toMatchObject({ statuses: [200, 201] });
        expect(a.body.id).toBe(b.body.id);
        const id: number = a.body.id;
        expect(a.body.workflowId).toBe(`project-${id}`);
        createdProjects.push(id);

        expect(diff(await rowCounts(), before)).toEqual({ customers: 1, customer_contacts: 1, contracts: 1, projects: 1, devices: 2 });
        const knex = h.system.db.knex;
        expect(await knex('projects').where({ contract_no: body.contractNo })).toHaveLength(1);
        expect(await knex('contracts').where({ contract_no: body.contractNo })).toHaveLength(1);
        await h.waitForEvent(id, 'project_started');
        await expectOneWorkflow(id);
        // The loser's project number (a rolled-back row) never got a workflow.
        await expect(h.system.temporal.client.workflow.getHandle(`project-${id + 1}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
        await expectStartedOncePerRecipient(id);
      }
    });
  });

  // --- 2. Bad input to POST /api/projects -----------------------------------------------------

  describe('POST /api/projects with bad input answers 400 naming each field and writes nothing', () => {
    let existing: { id: number; serials: string[]; customerId: number };
    beforeAll(async () => {
      existing = await startedProject();
    });

    const cases: [string, () => Json, string[]][] = [
      ['missing contractNo', () => ({ ...projectBody(), contractNo: undefined }), ['contractNo']],
      ['blank contractNo', () => projectBody({ contractNo: '   ' }), ['contractNo']],
      ['contractNo of the wrong type', () => projectBody({ contractNo: 20261123 }), ['contractNo']],
      ['no devices', () => projectBody({ devices: [] }), ['devices']],
      ['devices not a list', () => projectBody({ devices: 'DR-7000' }), ['devices']],
      ['a device without serial', () => projectBody({ devices: [{ model: 'DR-7000' }] }), ['devices.0.serial']],
      ['the same serial twice in the body', () => projectBody({ devices: [{ model: 'DR-7000', serial: 'SN-TWICE' }, { model: 'DR-7000', serial: 'SN-TWICE' }] }), ['devices']],
      ['a bad e-mail for the project manager', () => projectBody({ projectManager: { name: 'Zhang Wei', email: 'zhang.wei-at-maker' } }), ['projectManager.email']],
      ['both customer and customerId', () => projectBody({ customerId: existing.customerId }), ['customer']],
      ['neither customer nor customerId', () => ({ ...projectBody(), customer: undefined }), ['customer']],
      ['a customer without contacts', () => projectBody({ customer: { name: 'No Contacts Hospital', contacts: [] } }), ['customer.contacts']],
      ['an unknown customerId', () => ({ ...projectBody(), customer: undefined, customerId: 987_654_321 }), ['customerId']],
      ['a bad policy duration', () => projectBody({ policy: { delivery: { trialRun: 'three months' } } }), ['policy.delivery.trialRun']],
      ['an unknown policy section', () => projectBody({ policy: { deliveries: { trialRun: 'P3M' } } }), ['policy.deliveries']],
      ['an unknown policy key', () => projectBody({ policy: { delivery: { trialRuns: 'P3M' } } }), ['policy.delivery.trialRuns']],
      [
        'several bad fields at once',
        () => ({ ...projectBody({ devices: [], projectManager: { name: 'Zhang Wei', email: 'nope' } }), contractNo: undefined }),
        ['contractNo', 'devices', 'projectManager.email'],
      ],
    ];

    it.each(cases)('%s', async (_name, body, fields) => {
      const before = await rowCounts();
      const reply = await createProject(body());
      expectError(reply, 400, 'validation_failed', fields);
      expect(await rowCounts()).toEqual(before);
    });

    it('a body that is not JSON: 400 invalid_json, nothing written', async () => {
      const before = await rowCounts();
      expectError(await createProject('{"contractNo": '), 400, 'invalid_json');
      expect(await rowCounts()).toEqual(before);
    });

    it('a serial already registered by another project: 409 naming it, nothing written', async () => {
      const before = await rowCounts();
      const taken = existing.serials[1]!;
      const reply = await createProject(projectBody({ devices: [{ model: 'DR-7000', serial: uniqueContractNo('DR') }, { model: 'BC-300', serial: taken }] }));
      expectError(reply, 409, 'conflict');
      expect(reply.body.error.details).toEqual({ serials: [taken] });
      expect(reply.body.error.message).toContain(taken);
      expect(await rowCounts()).toEqual(before);
      // The other project still owns it.
      expect(await h.system.db.knex('devices').where({ serial: taken }).select('project_id')).toEqual([{ project_id: existing.id }]);
    });
  });

  // --- 3. The process engine unreachable -------------------------------------------------------

  describe('the process engine unreachable', () => {
    let broken: { app: express.Application; server: ApiServer; connection: Connection };
    beforeAll(async () => {
      // Lazy: nothing is dialled until the first call, which then fails (after the SDK's own retries).
      const connection = Connection.lazy({ address: '127.0.0.1:1' });
      const app = createApp({
        knex: h.system.db.knex,
        temporal: { client: new Client({ connection, namespace: 'default' }), taskQueue: h.system.temporal.taskQueue, namespace: 'default' },
        routers: [projectsModule],
        logger: { error: (message, error) => console.error(message, error) },
      });
      otherApps.push(app);
      broken = { app, server: await startApiServer(app, 0, '127.0.0.1'), connection };
    });
    afterAll(async () => {
      await settleBackgroundWork(broken.app);
      await broken.server.close();
      await broken.connection.close();
    });

    /** The reconciler (run by its Schedule in production) on the working engine: the pending starts begin. */
    const reconcile = () => h.system.temporal.client.workflow.execute('processStartReconciler', { taskQueue: h.system.temporal.taskQueue, workflowId: `process-starts-${uniqueContractNo('R')}`, args: [{ olderThanMs: 0 }] });
    const startOf = (id: number) => h.system.db.knex('process_starts').where({ workflow_id: `project-${id}` }).first('started_at');

    it('a new customer’s project: 201 with the project, its start pending; a retry answers the same project; the reconciler starts its one process', async () => {
      const body = projectBody();
      body.customer.name = `Hospital ${uniqueContractNo('C')}`;
      const before = await rowCounts();
      const reply = await createProject(body, h.smToken, broken.server.url);
      expect(reply.status).toBe(201);
      const id: number = reply.body.id;
      expect(reply.body).toMatchObject({ workflowId: `project-${id}`, contractNo: body.contractNo });
      expect(diff(await rowCounts(), before)).toEqual({ customers: 1, customer_contacts: 1, contracts: 1, projects: 1, devices: 2 });
      expect(await startOf(id)).toEqual({ started_at: null });

      // The same contract again, on a working engine: the stored project, not a second one (counted once below).
      const retried = await createProject(body);
      expect(retried.status).toBe(200);
      expect(retried.body.id).toBe(id);
      expect(diff(await rowCounts(), before)).toEqual({ customers: 1, customer_contacts: 1, contracts: 1, projects: 1, devices: 2 });

      await reconcile();
      createdProjects.push(id);
      await h.waitForEvent(id, 'project_started');
      await expectOneWorkflow(id);
      expect((await startOf(id)).started_at).not.toBeNull();
    });

    it('an existing customer’s project: 201, the project stands with its pending start, and starts once the engine answers', async () => {
      const { customerId } = await startedProject();
      const before = await rowCounts();
      const reply = await createProject({ ...projectBody(), customer: undefined, customerId }, h.smToken, broken.server.url);
      expect(reply.status).toBe(201);
      expect(diff(await rowCounts(), before)).toEqual({ customers: 0, customer_contacts: 0, contracts: 1, projects: 1, devices: 2 });
      await reconcile();
      await h.waitForEvent(reply.body.id, 'project_started');
      await expectOneWorkflow(reply.body.id);
    });

    it('a known contractNo still answers 200 from the records; a step answers 503 and changes nothing; reads fall back to the records', async () => {
      const { id, serials } = await startedProject();
      const contractNo = (await h.project(id)).contractNo;
      const again = await createProject(projectBody({ contractNo }), h.smToken, broken.server.url);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(id);

      const before = await snapshot(id);
      const reply = await step(id, 'kickoff', validSteps(serials).kickoff, h.pmToken, broken.server.url);
      expectError(reply, 503, 'unavailable');
      expect(await snapshot(id)).toEqual(before);

      const read = await send('GET', `/api/projects/${id}`, undefined, h.readerToken, broken.server.url);
      expect(read.status).toBe(200);
      // The page reads the database only, so it answers in full while the engine is down.
      expect(read.body).toMatchObject({ id, stage: 'awaiting_kickoff', deadlines: [] });
    });
  });

  // --- 4 and 5. Steps out of order and bad step payloads, on a project walked to completion ------

  describe('a project walked from contract to completion refuses every step out of order and every bad payload', () => {
    let id: number;
    let serials: string[];
    beforeAll(async () => {
      ({ id, serials } = await startedProject(SHORT_TRIAL_POLICY));
    });

    it('awaiting kickoff: later steps 409; kickoff payloads checked', async () => {
      await outOfOrder(id, serials, ['unboxing', 'weekly-reports', 'installation-complete', 'initial-acceptance', 'trial-issues', 'trial-issues/I1/resolve', 'trial-report', 'final-acceptance', 'handover'], /not possible in stage awaiting_kickoff/);
      const kickoff = validSteps(serials).kickoff;
      await refused(id, 'kickoff', { ...kickoff, meetingDate: 'next Monday' }, 400, 'validation_failed', ['meetingDate']);
      await refused(id, 'kickoff', { ...kickoff, acceptanceItems: 'image quality' }, 400, 'validation_failed', ['acceptanceItems']);
      await refused(id, 'kickoff', { ...kickoff, acceptanceItems: [] }, 400, 'validation_failed', ['acceptanceItems']);
      await refused(id, 'kickoff', { ...kickoff, plan: undefined, completionCriteria: 42 }, 400, 'validation_failed', ['plan', 'completionCriteria']);
      expect((await walk(id, serials, ['kickoff'])).stage).toBe('awaiting_unboxing');
    });

    it('awaiting unboxing: 409 out of order; unboxing needs every serial once, damage for damaged items and both signatures', async () => {
      await outOfOrder(id, serials, ['kickoff', 'weekly-reports', 'installation-complete', 'final-acceptance', 'handover'], /not possible in stage awaiting_unboxing/);
      const [first, second] = serials as [string, string];
      const ok = (serial: string) => ({ serial, condition: 'ok' });
      await refused(id, 'unboxing', { items: [ok(first), ok(second), ok('SN-NOT-OURS')], signatures: BOTH_SIGN }, 400, 'validation_failed', ['items'], /unknown serial SN-NOT-OURS/);
      await refused(id, 'unboxing', { items: [ok(first)], signatures: BOTH_SIGN }, 400, 'validation_failed', ['items'], new RegExp(`serial ${second} is missing`));
      await refused(id, 'unboxing', { items: [ok(first), ok(second), ok(second)], signatures: BOTH_SIGN }, 400, 'validation_failed', ['items'], /listed twice/);
      await refused(id, 'unboxing', { items: [ok(first), { serial: second, condition: 'damaged' }], signatures: BOTH_SIGN }, 400, 'validation_failed', ['items'], /needs a damage description/);
      await refused(id, 'unboxing', { items: [ok(first), ok(second)], signatures: [{ name: 'Zhang Wei', party: 'company' }] }, 400, 'validation_failed', ['signatures'], /customer/);
      await refused(id, 'unboxing', { items: [ok(first), ok(second)], signatures: [] }, 400, 'validation_failed', ['signatures'], /customer, company/);
      // zod: wrong shapes never reach the workflow.
      await refused(id, 'unboxing', { items: [], signatures: BOTH_SIGN }, 400, 'validation_failed', ['items']);
      await refused(id, 'unboxing', { items: [{ serial: first, condition: 'broken' }, ok(second)], signatures: BOTH_SIGN }, 400, 'validation_failed', ['items.0.condition']);
      await refused(id, 'unboxing', { items: [ok(first), ok(second)], signatures: [{ name: 'Wang Fang', party: 'vendor' }] }, 400, 'validation_failed', ['signatures.0.party']);
      await refused(id, 'unboxing', { items: [ok(first), ok(second)] }, 400, 'validation_failed', ['signatures']);
      expect((await walk(id, serials, ['unboxing'])).stage).toBe('installing');
    });

    it('installing: final acceptance, the trial report and the handover are 409; initial acceptance needs every item passed and both signatures', async () => {
      await outOfOrder(id, serials, ['kickoff', 'unboxing', 'final-acceptance', 'trial-report', 'trial-issues', 'trial-issues/I1/resolve', 'handover'], /not possible in stage installing/);
      const initial = validSteps(serials)['initial-acceptance'];
      await refused(id, 'initial-acceptance', { ...initial, items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }, { name: 'network', passed: false, signedBy: 'Wang Fang' }] }, 400, 'validation_failed', ['items'], /network/);
      await refused(id, 'initial-acceptance', { ...initial, items: [{ name: 'image quality', passed: true, signedBy: '  ' }] }, 400, 'validation_failed', ['items'], /image quality/);
      await refused(id, 'initial-acceptance', { ...initial, signatures: CUSTOMER_SIGNS }, 400, 'validation_failed', ['signatures'], /company/);
      await refused(id, 'initial-acceptance', { ...initial, items: [{ name: 'image quality', passed: 'yes', signedBy: 'Wang Fang' }] }, 400, 'validation_failed', ['items.0.passed']);
      await refused(id, 'installation-complete', { testRecords: [{ name: 'exposure test', passed: true, signatures: CUSTOMER_SIGNS }] }, 400, 'validation_failed', ['testRecords.0.signatures'], /exposure test/);
      await refused(id, 'weekly-reports', { summary: 42 }, 400, 'validation_failed', ['summary']);
      expect((await walk(id, serials, ['weekly-reports', 'initial-acceptance'])).stage).toBe('trial_run');
    });

    it('final acceptance: the handover is 409 before it; scores, issues and signatures are checked; unknown issues are 400', async () => {
      await h.waitForStage(id, 'final_acceptance', 90_000);
      await outOfOrder(id, serials, ['kickoff', 'unboxing', 'initial-acceptance', 'trial-issues', 'trial-report', 'handover'], /not possible in stage final_acceptance/);
      await refused(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN }, 400, 'validation_failed', ['scores'], /quality scores/);
      await refused(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: { ...SCORES, hardware: 31 } }, 400, 'validation_failed', ['scores.hardware']);
      await refused(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: { hardware: 28, software: 45 } }, 400, 'validation_failed', ['scores.documents', 'scores.satisfaction']);
      await refused(id, 'final-acceptance', { passed: false, signatures: BOTH_SIGN }, 400, 'validation_failed', ['issues'], /issues/);
      await refused(id, 'final-acceptance', { passed: false, signatures: BOTH_SIGN, issues: [] }, 400, 'validation_failed', ['issues']);
      await refused(id, 'final-acceptance', { passed: true, signatures: CUSTOMER_SIGNS, scores: SCORES }, 400, 'validation_failed', ['signatures'], /company/);
      await refused(id, 'final-acceptance', { passed: 'yes', signatures: BOTH_SIGN, scores: SCORES }, 400, 'validation_failed', ['passed']);
      await refused(id, 'trial-issues/I42/resolve', { resolution: 'replaced the cable' }, 400, 'validation_failed', ['issueId'], /no trial issue I42/);
      const passed = await walk(id, serials, ['final-acceptance']);
      expect(passed).toMatchObject({ stage: 'handover', qualityScore: 92 });
    });

    it('handover: final acceptance again is 409; every document must be delivered and the customer must sign', async () => {
      await outOfOrder(id, serials, ['final-acceptance', 'trial-report', 'trial-issues', 'kickoff'], /not possible in stage handover/);
      const documents = [{ name: '工程竣工资料移交清单', delivered: true }, { name: 'operating manuals', delivered: false }];
      await refused(id, 'handover', { documents, signatures: CUSTOMER_SIGNS }, 400, 'validation_failed', ['documents'], /operating manuals/);
      await refused(id, 'handover', { documents: [], signatures: CUSTOMER_SIGNS }, 400, 'validation_failed', ['documents']);
      await refused(id, 'handover', { documents: [documents[0]], signatures: [{ name: 'Zhang Wei', party: 'company' }] }, 400, 'validation_failed', ['signatures'], /customer/);
      expect((await walk(id, serials, ['handover'])).stage).toBe('completed');
    });

    it('completed: every step is 409, while the workflow finishes and once it is closed', async () => {
      await outOfOrder(id, serials, ALL_STEPS, /completed/);
      const handle = h.system.temporal.client.workflow.getHandle(`project-${id}`);
      expect((await handle.result()).stage).toBe('completed');
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      await outOfOrder(id, serials, ALL_STEPS, new RegExp(`project ${id} is completed`));
      expect((await h.project(id)).stage).toBe('completed');
    });
  });

  // --- 4, 5 and 6 on a project in its trial run, with a DOA case, then cancelled ------------------

  describe('a project in its trial run with a DOA case, then cancelled', () => {
    let id: number;
    let serials: string[];
    let damaged: string;
    let sound: string;
    beforeAll(async () => {
      ({ id, serials } = await startedProject({ ...QUIET_POLICY, delivery: { ...QUIET_DELIVERY, initialAcceptanceRequired: false } }));
      [damaged, sound] = serials as [string, string];
      await walk(id, serials, ['kickoff']);
      const unboxing = await step(id, 'unboxing', {
        items: [{ serial: damaged, condition: 'damaged', damage: { description: 'cracked housing', cause: 'transport' } }, { serial: sound, condition: 'ok' }],
        signatures: BOTH_SIGN,
      });
      expect(unboxing.status).toBe(200);
      await h.waitForEvent(id, 'doa_opened');
      expect((await walk(id, serials, ['installation-complete'])).stage).toBe('trial_run');
      await h.waitForEvent(id, 'trial_run_started');
    });

    it('trial run: steps of other stages are 409, the trial report needs a running trial; issues are checked', async () => {
      await outOfOrder(id, serials, ['kickoff', 'unboxing', 'installation-complete', 'weekly-reports', 'final-acceptance', 'handover'], /not possible in stage trial_run/);
      await refused(id, 'initial-acceptance', validSteps(serials)['initial-acceptance'], 409, 'conflict', [], /no initial acceptance/);
      await refused(id, 'trial-issues/I7/resolve', { resolution: 'cable replaced' }, 400, 'validation_failed', ['issueId'], /no trial issue I7/);
      await refused(id, 'trial-issues', { title: '   ' }, 400, 'validation_failed', ['title']);
      await refused(id, 'trial-issues', { title: ['a', 'b'] }, 400, 'validation_failed', ['title']);
      await refused(id, 'trial-report', {}, 400, 'validation_failed', ['summary']);

      const logged = await step(id, 'trial-issues', { title: 'image artefacts at high kV' });
      expect(logged.status).toBe(201);
      const issueId: string = logged.body.issueIds[0];
      await refused(id, `trial-issues/${issueId}/resolve`, { resolution: '' }, 400, 'validation_failed', ['resolution']);
      expect((await step(id, `trial-issues/${issueId}/resolve`, { resolution: 'detector recalibrated' })).status).toBe(200);
      await refused(id, `trial-issues/${issueId}/resolve`, { resolution: 'again' }, 409, 'conflict', [], /already resolved/);
    });

    it('DOA steps: out of order 409, bad payload 400, a serial without a DOA case 404', async () => {
      const doa = (serial: string, name: string) => `doa/${serial}/${name}`;
      await refused(id, doa(damaged, 'received'), {}, 409, 'conflict', [], /cannot be received now/);
      await refused(id, doa(damaged, 'returned'), { acceptable: true }, 409, 'conflict', [], /cannot be returned now/);
      await refused(id, doa(damaged, 'shipped'), { replacementSerial: ' ' }, 400, 'validation_failed', ['replacementSerial']);
      await refused(id, doa(damaged, 'returned'), { acceptable: 'yes' }, 400, 'validation_failed', ['acceptable']);
      const noCase = await refused(id, doa(sound, 'shipped'), { replacementSerial: 'DR-NEW-1' }, 404, 'not_found', [], new RegExp(`no dead-on-arrival case for serial ${sound}`));
      expect(noCase.body.error.details).toEqual([]);
      await refused(id, doa('SN-NOT-OURS', 'received'), {}, 404, 'not_found');
      // A Chinese reader hears the refusals in Chinese: the workflow's, and the API's own.
      const inChinese = await send('POST', `/api/projects/${id}/${doa(damaged, 'received')}`, {}, h.pmToken, undefined, 'zh-CN');
      expect(inChinese).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: '替换件现在不能签收（当前状态：待发货）' } } });
      const serialTaken = await send('POST', `/api/projects/${id}/${doa(damaged, 'shipped')}`, { replacementSerial: sound }, h.pmToken, undefined, 'zh-CN');
      expect(serialTaken).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: `序列号 ${sound} 已登记为其他设备` } } });
    });

    it('cancel: a blank reason is 400; after the cancel every step is 409, the DOA case too once it is closed', async () => {
      await refused(id, 'cancel', { reason: '   ' }, 400, 'validation_failed', ['reason']);
      await refused(id, 'cancel', {}, 400, 'validation_failed', ['reason']);
      const cancelled = await step(id, 'cancel', { reason: 'the hospital moved the CT room' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ stage: 'cancelled' });
      // The answer comes once the cancellation is stored.
      expect(await h.project(id)).toMatchObject({ stage: 'cancelled', cancelReason: 'the hospital moved the CT room' });
      // At once, while the workflow and its DOA child wind down (the child records its own cancellation): 409, still cancelled.
      const bodies = validSteps(serials);
      for (const name of ALL_STEPS) {
        const reply = await step(id, name, bodies[name]);
        expectError(reply, 409, 'conflict');
        expect(reply.body.error.message).toMatch(/cancelled/);
        expect((await snapshot(id)).stage).toBe('cancelled');
      }

      // Once both are closed, nothing moves at all.
      const client = h.system.temporal.client;
      expect((await client.workflow.getHandle(`project-${id}`).result()).stage).toBe('cancelled');
      const doaHandle = client.workflow.getHandle(`doa-${id}-${damaged}`);
      const deadline = Date.now() + 60_000;
      while ((await doaHandle.describe()).status.name === 'RUNNING' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await doaHandle.describe()).status.name).toBe('CANCELLED');
      await outOfOrder(id, serials, ALL_STEPS, new RegExp(`project ${id} is cancelled`));
      expect(await h.project(id)).toMatchObject({ stage: 'cancelled', cancelReason: 'the hospital moved the CT room' });

      const before = await snapshot(id);
      const closed = await step(id, `doa/${damaged}/shipped`, { replacementSerial: 'DR-NEW-2' });
      expectError(closed, 409, 'conflict');
      expect(closed.body.error.message).toMatch(/closed/);
      expect(await snapshot(id)).toEqual(before);
    });
  });

  // --- 6. Roles, tokens and unknown ids -------------------------------------------------------

  describe('roles, tokens and unknown ids', () => {
    let id: number;
    let serials: string[];
    beforeAll(async () => {
      ({ id, serials } = await startedProject());
    });

    it('a dispatcher reads, but every POST answers 403 and changes nothing', async () => {
      const read = await send('GET', `/api/projects/${id}`, undefined, h.readerToken);
      expect(read.status).toBe(200);
      expect((await send('GET', '/api/projects', undefined, h.readerToken)).status).toBe(200);
      const bodies = validSteps(serials);
      for (const name of [...ALL_STEPS, `doa/${serials[0]}/shipped`, `doa/${serials[0]}/received`, `doa/${serials[0]}/returned`]) {
        const reply = await refused(id, name, bodies[name] ?? {}, 403, 'forbidden', [], /dispatcher/, h.readerToken);
        expect(reply.body.error.details).toEqual([]);
      }
      const before = await rowCounts();
      expectError(await createProject(projectBody(), h.readerToken), 403, 'forbidden');
      expect(await rowCounts()).toEqual(before);
    });

    it('no token or an unknown token: 401 on reads and steps', async () => {
      expectError(await send('GET', `/api/projects/${id}`, undefined, null), 401, 'unauthenticated');
      expectError(await send('GET', `/api/projects/${id}`, undefined, 'not-a-token'), 401, 'unauthenticated');
      await refused(id, 'kickoff', validSteps(serials).kickoff, 401, 'unauthenticated', [], /Bearer/, null);
      await refused(id, 'cancel', { reason: 'x' }, 401, 'unauthenticated', [], /not valid/, 'not-a-token');
      const before = await rowCounts();
      expectError(await createProject(projectBody(), null), 401, 'unauthenticated');
      expect(await rowCounts()).toEqual(before);
    });

    it('an unknown project: 404 on GET, on a step, on resolving an issue and on a DOA step', async () => {
      const lowest = (await h.system.db.knex('projects').min({ id: 'id' }).first()) as { id: number | string };
      const unknown = Number(lowest.id) - 1;
      expect(unknown).toBeGreaterThan(0);
      const bodies = validSteps(serials);
      const read = await send('GET', `/api/projects/${unknown}`, undefined, h.readerToken);
      expectError(read, 404, 'not_found');
      expect(read.body.error.message).toContain(String(unknown));
      for (const [name, body] of [['kickoff', bodies.kickoff], ['cancel', bodies.cancel], ['trial-issues/I1/resolve', bodies['trial-issues/I1/resolve']], [`doa/${serials[0]}/shipped`, { replacementSerial: 'X-1' }]] as const) {
        const reply = await step(unknown, name, body);
        expectError(reply, 404, 'not_found');
        expect(reply.body.error.message).toContain(String(unknown));
      }
      // Not a project id at all: 400 on the path parameter.
      expectError(await send('GET', '/api/projects/abc', undefined, h.readerToken), 400, 'validation_failed', ['id']);
      expectError(await step(0, 'kickoff', bodies.kickoff), 400, 'validation_failed', ['id']);
      // The project we did not touch is still waiting for its kickoff.
      expect((await snapshot(id)).stage).toBe('awaiting_kickoff');
    });
  });

  // --- 7. The audit trail ---------------------------------------------------------------------

  describe('the audit trail', () => {
    it('has one row for every POST this file made, accepted or refused, with its status, actor and error code', async () => {
      await settleBackgroundWork(h.app);
      for (const app of otherApps) await settleBackgroundWork(app);
      const rows = await new AuditRepository(h.system.db.knex).list({ limit: 100_000 });
      const byRequest = new Map(rows.map((row) => [row.requestId, row]));
      expect(sent.length).toBeGreaterThan(150);
      expect(new Set(sent.map((s) => s.requestId)).size).toBe(sent.length);
      expect(rows).toHaveLength(sent.length);
      for (const request of sent) {
        const row = byRequest.get(request.requestId);
        expect({ request, row: row && { statusCode: row.statusCode, path: row.details.path, error: row.details.error, actorRole: row.actorRole, action: row.action } }).toEqual({
          request,
          row: {
            statusCode: request.status,
            path: request.path,
            error: request.status >= 400 ? request.code : undefined,
            actorRole: request.role,
            action: expect.stringMatching(/^POST \/api\/projects/),
          },
        });
      }
      // Accepted steps name their project; so do refusals the workflow made.
      const accepted = sent.filter((s) => s.status < 300 && /^\/api\/projects\/\d+\//.test(s.path));
      expect(accepted.length).toBeGreaterThan(10);
      for (const request of accepted) {
        const row = byRequest.get(request.requestId)!;
        expect({ path: request.path, entityType: row.entityType, entityId: row.entityId }).toEqual({ path: request.path, entityType: 'project', entityId: request.path.split('/')[3] });
      }
      // The 'started' notices of the projects posted twice are still one per recipient.
      for (const id of createdProjects) expect(h.mails(withKey(`project-${id}:started:`))).toHaveLength(2);
    });
  });
});
