import { migrationConfig } from '../../platform/db/migrations';
import * as projectsMigration from '../../platform/db/migrations/0004_projects';
import { ConflictError, isForeignKeyViolation, isUniqueViolation, NotFoundError } from '../../platform/db/errors';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { ProjectsRepository, type NewProject } from '../../processes/delivery/repository';
import type { DoaState, TrialIssue } from '../../processes/delivery/messages';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';
import { ALL_ROWS } from '../../domain/access';

const CREATED = new Date('2026-01-05T01:02:03.456Z');
const LATER = new Date('2026-02-10T10:20:30.789Z');
const LATEST = new Date('2026-03-15T12:00:00.001Z');

/** Children first, so foreign keys never block the cleanup. */
const TABLES = ['project_events', 'trial_issues', 'doa_cases', 'projects', 'contracts', 'devices', 'sites', 'customer_contacts', 'customers'];

const PM = { name: '李经理', email: 'li.pm@maker.example', locale: 'zh-CN' as const };
const SM = { name: 'Sam Manager', email: 'sam@maker.example', locale: 'en' as const };
const ACTOR = { userId: 7, name: '李经理', role: 'project_manager' };

describe.each(testDatabaseKinds())('projects repository on %s', (kind) => {
  let db: TestDatabase;
  let projects: ProjectsRepository;
  let customers: CustomersRepository;
  let contracts: ContractsRepository;

  async function count(table: string, where: Record<string, unknown> = {}): Promise<number> {
    const row = (await db.knex(table).where(where).count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  }

  /** How an instant is stored: UTC text on MySQL, epoch milliseconds on SQLite. */
  async function storedInstant(table: string, column: string, id: number): Promise<unknown> {
    const query = db.knex(table).where({ id });
    const row = (await (kind === 'mysql'
      ? query.first(db.knex.raw("DATE_FORMAT(??, '%Y-%m-%d %H:%i:%s.%f') as value", [column]))
      : query.first(`${column} as value`))) as { value: unknown };
    return row.value;
  }

  /** A customer and a project contract of theirs. */
  async function contract(contractNo = 'HT-2026-001', customerName = '华东精密机械有限公司'): Promise<{ customerId: number; contractId: number; contractNo: string }> {
    const customer = await customers.create({ name: customerName }, CREATED);
    const created = await contracts.create({ customerId: customer.id, contractNo, kind: 'project', policyOverrides: {}, resolvedPolicy: {} }, CREATED);
    return { customerId: customer.id, contractId: created.id, contractNo };
  }

  async function newProject(overrides: Partial<NewProject> = {}, contractNo?: string): Promise<NewProject> {
    return { ...(await contract(contractNo)), name: '张江二期产线', projectManager: PM, stage: 'awaiting_kickoff', ...overrides };
  }

  async function projectId(contractNo?: string): Promise<number> {
    return (await projects.create(await newProject({}, contractNo), CREATED)).id;
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    projects = new ProjectsRepository(db.knex);
    customers = new CustomersRepository(db.knex);
    contracts = new ContractsRepository(db.knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  beforeEach(async () => {
    for (const table of TABLES) await db.knex(table).del();
  });

  describe('projects', () => {
    it('creates a project and reads it back, by id and by contract number', async () => {
      const input = await newProject({ serviceManager: SM, workflowId: 'project-x' });

      const created = await projects.create(input, CREATED);

      expect(created).toEqual({
        id: expect.any(Number),
        customerId: input.customerId,
        contractId: input.contractId,
        contractNo: 'HT-2026-001',
        name: '张江二期产线',
        projectManager: PM,
        projectManagerUserId: null,
        serviceManager: SM,
        stage: 'awaiting_kickoff',
        workflowId: 'project-x',
        installationCompletedAt: null,
        initialAcceptedAt: null,
        trialStartedAt: null,
        trialEndsAt: null,
        trialExtensions: 0,
        finalAcceptedAt: null,
        qualityScore: null,
        warrantyStartsAt: null,
        warrantyEndsAt: null,
        completedAt: null,
        cancelReason: null,
        createdAt: CREATED,
        updatedAt: CREATED,
      });
      expect(await projects.get(created.id)).toEqual(created);
      expect(await projects.getByContractNo(' HT-2026-001 ')).toEqual(created);
    });

    it('keeps a person without a locale without one, and no service manager as null', async () => {
      const created = await projects.create(await newProject({ projectManager: { name: 'Pat', email: 'pat@maker.example' } }), CREATED);

      expect(created.projectManager).toEqual({ name: 'Pat', email: 'pat@maker.example' });
      expect(created.serviceManager).toBeNull();
      expect(created.workflowId).toBeNull();
    });

    it('returns null for an unknown id or contract number, and matches contract numbers exactly', async () => {
      await projectId('HT-abc');

      expect(await projects.get(999_999)).toBeNull();
      expect(await projects.getByContractNo('HT-404')).toBeNull();
      expect(await projects.getByContractNo('ht-ABC')).toBeNull();
    });

    it('lists by stage, oldest first, a page at a time', async () => {
      const first = await projectId('HT-1');
      const second = await projectId('HT-2');
      const third = await projectId('HT-3');
      await projects.applyPatch(second, { stage: 'installing' }, LATER);

      expect((await projects.list({ scope: ALL_ROWS })).map((p) => p.id)).toEqual([first, second, third]);
      expect((await projects.list({ stage: 'awaiting_kickoff', scope: ALL_ROWS })).map((p) => p.id)).toEqual([first, third]);
      expect((await projects.list({ stage: 'installing', scope: ALL_ROWS })).map((p) => p.id)).toEqual([second]);
      expect(await projects.list({ stage: 'completed', scope: ALL_ROWS })).toEqual([]);
      expect((await projects.list({ limit: 1, offset: 1, scope: ALL_ROWS })).map((p) => p.id)).toEqual([second]);
      expect((await projects.list({ stage: 'awaiting_kickoff', limit: 5, offset: 1, scope: ALL_ROWS })).map((p) => p.id)).toEqual([third]);
    });

    it('refuses a second project for the same contract number', async () => {
      const input = await newProject();
      await projects.create(input, CREATED);

      await expect(projects.create({ ...input, name: 'again' }, LATER)).rejects.toBeInstanceOf(ConflictError);
      expect(await count('projects')).toBe(1);
    });

    it('refuses an unknown contract, another customer’s contract and a contract number that is not the contract’s', async () => {
      const input = await newProject();
      const other = await contract('HT-OTHER', 'Nordic Tools AB');

      await expect(projects.create({ ...input, contractId: 999_999 }, CREATED)).rejects.toBeInstanceOf(NotFoundError);
      await expect(projects.create({ ...input, contractId: other.contractId }, CREATED)).rejects.toBeInstanceOf(NotFoundError);
      await expect(projects.create({ ...input, contractNo: 'HT-OTHER' }, CREATED)).rejects.toBeInstanceOf(ConflictError);
      expect(await count('projects')).toBe(0);
    });

    it('enforces its foreign keys and the stage check in the schema itself', async () => {
      const { customerId, contractId } = await contract();
      const row = { customer_id: customerId, contract_id: contractId, contract_no: 'HT-2026-001', name: 'x', pm_name: 'x', pm_email: 'x@x', stage: 'installing', trial_extensions: 0, created_at: CREATED, updated_at: CREATED };

      const fkError = await db.knex('projects').insert({ ...row, contract_id: 999_999 }).catch((error: unknown) => error);
      expect(isForeignKeyViolation(fkError)).toBe(true);
      // Not `rejects.toThrow()`: better-sqlite3's errors fail `instanceof Error` in a second jest sandbox of the same worker.
      const checkError = await db.knex('projects').insert({ ...row, stage: 'dreaming' }).then(
        () => null,
        (error: { message?: unknown }) => String(error.message),
      );
      expect(checkError).toMatch(/projects_stage_check/);
      await db.knex('projects').insert(row);
      const uniqueError = await db.knex('projects').insert(row).catch((error: unknown) => error);
      expect(isUniqueViolation(uniqueError)).toBe(true);
    });

    it('records the workflow id once', async () => {
      const id = await projectId();

      expect((await projects.setWorkflowId(id, `project-${id}`, LATER)).workflowId).toBe(`project-${id}`);
      const again = await projects.setWorkflowId(id, `project-${id}`, LATEST);
      expect(again.updatedAt).toEqual(LATER);
      await expect(projects.setWorkflowId(999_999, 'project-999999')).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('applyPatch', () => {
    const PATCH = {
      stage: 'handover',
      installationCompletedAt: '2026-03-01T08:00:00.123Z',
      initialAcceptedAt: '2026-03-02T00:00:00.000Z',
      trialStartedAt: '2026-03-02T00:00:00.000Z',
      trialEndsAt: '2026-06-02T15:59:59.999Z',
      trialExtensions: 2,
      finalAcceptedAt: '2026-07-01T09:30:00.500Z',
      qualityScore: 92,
      warrantyStartsAt: '2026-07-01T09:30:00.500Z',
      warrantyEndsAt: '2027-07-01T09:30:00.500Z',
      completedAt: '2026-07-10T10:00:00.000Z',
      cancelReason: null,
    } as const;

    it('stores ISO instants as the same UTC instants and reads them back as Dates', async () => {
      const id = await projectId();

      const patched = await projects.applyPatch(id, PATCH, LATER);

      expect(patched).toMatchObject({
        stage: 'handover',
        installationCompletedAt: new Date('2026-03-01T08:00:00.123Z'),
        initialAcceptedAt: new Date('2026-03-02T00:00:00.000Z'),
        trialStartedAt: new Date('2026-03-02T00:00:00.000Z'),
        trialEndsAt: new Date('2026-06-02T15:59:59.999Z'),
        trialExtensions: 2,
        finalAcceptedAt: new Date('2026-07-01T09:30:00.500Z'),
        qualityScore: 92,
        warrantyStartsAt: new Date('2026-07-01T09:30:00.500Z'),
        warrantyEndsAt: new Date('2027-07-01T09:30:00.500Z'),
        completedAt: new Date('2026-07-10T10:00:00.000Z'),
        cancelReason: null,
        createdAt: CREATED,
        updatedAt: LATER,
      });
      expect(await projects.get(id)).toEqual(patched);
      expect(await storedInstant('projects', 'installation_completed_at', id)).toEqual(
        kind === 'mysql' ? '2026-03-01 08:00:00.123000' : Date.parse('2026-03-01T08:00:00.123Z'),
      );
    });

    it('changes nothing, updated_at included, when applied again; unknown keys are ignored', async () => {
      const id = await projectId();
      const first = await projects.applyPatch(id, { ...PATCH, somethingElse: 'ignored', stage: 'completed' }, LATER);

      const again = await projects.applyPatch(id, { ...PATCH, stage: 'completed' }, LATEST);

      expect(again).toEqual(first);
      expect(again.updatedAt).toEqual(LATER);
    });

    it('changes only the fields it names', async () => {
      const id = await projectId();
      await projects.applyPatch(id, { stage: 'trial_run', trialStartedAt: '2026-03-02T00:00:00.000Z' }, LATER);

      const patched = await projects.applyPatch(id, { stage: 'cancelled', cancelReason: '客户取消 / customer withdrew' }, LATEST);

      expect(patched).toMatchObject({ stage: 'cancelled', trialStartedAt: new Date('2026-03-02T00:00:00.000Z'), cancelReason: '客户取消 / customer withdrew', updatedAt: LATEST });
    });

    it.each([
      ['an unknown stage', { stage: 'dreaming' }],
      ['a malformed instant', { trialEndsAt: 'next Tuesday' }],
      ['a quality score over 100', { qualityScore: 101 }],
      ['a fractional extension count', { trialExtensions: 1.5 }],
    ])('rejects %s with a RangeError and writes nothing', async (_case, patch) => {
      const id = await projectId();

      await expect(projects.applyPatch(id, patch, LATER)).rejects.toBeInstanceOf(RangeError);
      expect((await projects.get(id))?.updatedAt).toEqual(CREATED);
    });

    it('throws NotFoundError for an unknown project', async () => {
      await expect(projects.applyPatch(999_999, { stage: 'installing' }, LATER)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('timeline', () => {
    it('records an event once per key: a repeat is a no-op that reports inserted false', async () => {
      const id = await projectId();
      const event = { eventKey: 'kickoff', kind: 'kickoff_recorded', at: '2026-01-06T02:00:00.000Z', actor: ACTOR, summary: 'kickoff meeting on 2026-01-06', data: { plan: '三周安装', items: ['电气', 'PLC'], n: 2, ok: true, none: null } };

      expect(await projects.addEvent(id, event)).toEqual({ inserted: true });
      expect(await projects.addEvent(id, { ...event, summary: 'a retry with other text' })).toEqual({ inserted: false });

      expect(await count('project_events')).toBe(1);
      expect(await projects.timeline(id)).toEqual([
        {
          id: expect.any(Number),
          projectId: id,
          eventKey: 'kickoff',
          kind: 'kickoff_recorded',
          at: new Date('2026-01-06T02:00:00.000Z'),
          actor: ACTOR,
          summary: 'kickoff meeting on 2026-01-06',
          // Written without words: a row from before words existed reads back with none.
          words: null,
          data: event.data,
        },
      ]);
    });

    it('keeps an event\'s words beside its English summary, and reads them back', async () => {
      const id = await projectId();
      const said = { key: 'timeline.project.kickoff_recorded', params: { meetingDate: '2026-01-06' } };
      await projects.addEvent(id, { eventKey: 'kickoff', kind: 'kickoff_recorded', at: '2026-01-06T02:00:00.000Z', summary: 'kickoff meeting on 2026-01-06', words: said });
      const [event] = await projects.timeline(id);
      expect(event).toMatchObject({ summary: 'kickoff meeting on 2026-01-06', words: said });
    });

    it('keeps the same key on different projects apart, and keys that differ only in case', async () => {
      const first = await projectId('HT-1');
      const second = await projectId('HT-2');
      const event = { eventKey: 'started', kind: 'project_started', at: CREATED, summary: 'started' };

      expect(await projects.addEvent(first, event)).toEqual({ inserted: true });
      expect(await projects.addEvent(second, event)).toEqual({ inserted: true });
      expect(await projects.addEvent(first, { ...event, eventKey: 'STARTED' })).toEqual({ inserted: true });
      expect(await count('project_events')).toBe(3);
    });

    it('orders the timeline by time, then by insertion, and keeps events without actor or data', async () => {
      const id = await projectId();
      await projects.addEvent(id, { eventKey: 'c', kind: 'k', at: '2026-01-03T00:00:00.000Z', summary: 'third' });
      await projects.addEvent(id, { eventKey: 'a', kind: 'k', at: '2026-01-01T00:00:00.000Z', summary: 'first' });
      await projects.addEvent(id, { eventKey: 'b2', kind: 'k', at: '2026-01-02T00:00:00.000Z', summary: 'second' });
      await projects.addEvent(id, { eventKey: 'b1', kind: 'k', at: '2026-01-02T00:00:00.000Z', summary: 'second, later row' });

      const timeline = await projects.timeline(id);

      expect(timeline.map((e) => e.summary)).toEqual(['first', 'second', 'second, later row', 'third']);
      expect(timeline[0]).toMatchObject({ actor: null, data: null });
    });

    it('refuses an event for an unknown project, and a malformed time or key', async () => {
      const id = await projectId();

      await expect(projects.addEvent(999_999, { eventKey: 'x', kind: 'k', at: CREATED, summary: 's' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(projects.addEvent(id, { eventKey: 'x', kind: 'k', at: 'soon', summary: 's' })).rejects.toBeInstanceOf(RangeError);
      await expect(projects.addEvent(id, { eventKey: 'x'.repeat(192), kind: 'k', at: CREATED, summary: 's' })).rejects.toBeInstanceOf(RangeError);
      expect(await count('project_events')).toBe(0);
    });

    it('has a unique (project, event key) and a foreign key to projects in the schema', async () => {
      const id = await projectId();
      const row = { project_id: id, event_key: 'k', kind: 'k', at: CREATED, summary: 's' };
      await db.knex('project_events').insert(row);

      expect(isUniqueViolation(await db.knex('project_events').insert(row).catch((error: unknown) => error))).toBe(true);
      expect(isForeignKeyViolation(await db.knex('project_events').insert({ ...row, project_id: 999_999 }).catch((error: unknown) => error))).toBe(true);
    });
  });

  describe('trial issues', () => {
    const LOGGED: TrialIssue = { id: 'I3', title: '主轴异响', description: 'noise at 3000 rpm', loggedAt: '2026-04-01T03:00:00.000Z', round: 1 };
    const RESOLVED: TrialIssue = { ...LOGGED, resolvedAt: '2026-04-03T05:00:00.250Z', resolution: 'bearing replaced' };

    it('logs an issue, then resolves it in the same row', async () => {
      const id = await projectId();

      const logged = await projects.upsertTrialIssue(id, LOGGED);
      await projects.upsertTrialIssue(id, LOGGED);
      const resolved = await projects.upsertTrialIssue(id, RESOLVED);

      expect(logged).toEqual({ id: expect.any(Number), projectId: id, issueKey: 'I3', title: '主轴异响', description: 'noise at 3000 rpm', round: 1, loggedAt: new Date(LOGGED.loggedAt), resolvedAt: null, resolution: null });
      expect(resolved).toEqual({ ...logged, resolvedAt: new Date('2026-04-03T05:00:00.250Z'), resolution: 'bearing replaced' });
      expect(await projects.trialIssues(id)).toEqual([resolved]);
    });

    it('never reopens a resolved issue when the logging call is repeated late', async () => {
      const id = await projectId();
      await projects.upsertTrialIssue(id, RESOLVED);

      await projects.upsertTrialIssue(id, LOGGED);

      expect(await projects.trialIssues(id)).toEqual([expect.objectContaining({ resolvedAt: new Date(RESOLVED.resolvedAt!), resolution: 'bearing replaced' })]);
    });

    it('lists a project’s issues in the order they were logged', async () => {
      const id = await projectId();
      const other = await projectId('HT-OTHER');
      await projects.upsertTrialIssue(id, { id: 'I2', title: 'second', loggedAt: '2026-04-02T00:00:00.000Z', round: 1 });
      await projects.upsertTrialIssue(id, { id: 'I1', title: 'first', loggedAt: '2026-04-01T00:00:00.000Z', round: 1 });
      await projects.upsertTrialIssue(other, { id: 'I1', title: 'elsewhere', loggedAt: '2026-04-01T00:00:00.000Z', round: 1 });

      expect((await projects.trialIssues(id)).map((i) => [i.issueKey, i.title, i.description])).toEqual([
        ['I1', 'first', null],
        ['I2', 'second', null],
      ]);
    });

    it('refuses an issue for an unknown project, and has a unique (project, issue key) in the schema', async () => {
      const id = await projectId();
      await expect(projects.upsertTrialIssue(999_999, LOGGED)).rejects.toBeInstanceOf(NotFoundError);

      const row = { project_id: id, issue_key: 'I9', title: 't', round: 1, logged_at: CREATED };
      await db.knex('trial_issues').insert(row);
      expect(isUniqueViolation(await db.knex('trial_issues').insert(row).catch((error: unknown) => error))).toBe(true);
    });
  });

  describe('DOA cases', () => {
    const DAMAGE = { description: '外壳运输破损 / housing cracked in transit', cause: 'transport' };
    const AWAITING: DoaState = { serial: 'SN-001', status: 'awaiting_shipment', shipBy: '2026-01-08T09:00:00.000Z' };
    const RETURNED: DoaState = {
      ...AWAITING,
      status: 'charged',
      shippedAt: '2026-01-07T02:00:00.000Z',
      replacementSerial: 'SN-001R',
      receivedAt: '2026-01-09T03:00:00.000Z',
      returnDue: '2026-01-30T09:00:00.000Z',
      returnedAt: '2026-01-29T04:00:00.000Z',
      returnAcceptable: false,
      chargedAmount: { amount: 1_234_567, currency: 'CNY' },
    };

    it('opens a case and keeps updating the same row as the DOA moves on', async () => {
      const id = await projectId();

      const opened = await projects.upsertDoaCase(id, { damage: DAMAGE, state: AWAITING }, LATER);
      const charged = await projects.upsertDoaCase(id, { damage: DAMAGE, state: RETURNED }, LATEST);

      expect(opened).toEqual({
        id: expect.any(Number),
        projectId: id,
        serial: 'SN-001',
        status: 'awaiting_shipment',
        cause: 'transport',
        damageDescription: DAMAGE.description,
        exclusion: null,
        shipBy: new Date('2026-01-08T09:00:00.000Z'),
        shippedAt: null,
        replacementSerial: null,
        receivedAt: null,
        returnDue: null,
        returnedAt: null,
        returnAcceptable: null,
        chargedAmount: null,
        updatedAt: LATER,
      });
      expect(charged).toEqual({
        ...opened,
        status: 'charged',
        shippedAt: new Date('2026-01-07T02:00:00.000Z'),
        replacementSerial: 'SN-001R',
        receivedAt: new Date('2026-01-09T03:00:00.000Z'),
        returnDue: new Date('2026-01-30T09:00:00.000Z'),
        returnedAt: new Date('2026-01-29T04:00:00.000Z'),
        returnAcceptable: false,
        chargedAmount: { amount: 1_234_567, currency: 'CNY' },
        updatedAt: LATEST,
      });
      expect(await projects.doaCases(id)).toEqual([charged]);
    });

    it('changes nothing, updated_at included, when the same state is saved again', async () => {
      const id = await projectId();
      const saved = await projects.upsertDoaCase(id, { damage: DAMAGE, state: RETURNED }, LATER);

      expect(await projects.upsertDoaCase(id, { damage: DAMAGE, state: RETURNED }, LATEST)).toEqual(saved);
      expect(await count('doa_cases')).toBe(1);
    });

    it('keeps an excluded case with its exclusion, and a true acceptability as true', async () => {
      const id = await projectId();
      await projects.upsertDoaCase(id, { damage: { description: 'dropped', cause: 'human' }, state: { serial: 'SN-002', status: 'excluded', exclusion: 'damage caused by people' } }, LATER);
      await projects.upsertDoaCase(id, { damage: DAMAGE, state: { serial: 'SN-003', status: 'returned', returnAcceptable: true, chargedAmount: null } }, LATER);

      expect((await projects.doaCases(id)).map((c) => [c.serial, c.status, c.exclusion, c.returnAcceptable, c.chargedAmount])).toEqual([
        ['SN-002', 'excluded', 'damage caused by people', null, null],
        ['SN-003', 'returned', null, true, null],
      ]);
    });

    it('refuses an unknown status or cause with a RangeError, and an unknown project with NotFoundError', async () => {
      const id = await projectId();

      await expect(projects.upsertDoaCase(id, { damage: DAMAGE, state: { ...AWAITING, status: 'lost' as DoaState['status'] } }, LATER)).rejects.toBeInstanceOf(RangeError);
      await expect(projects.upsertDoaCase(id, { damage: { ...DAMAGE, cause: 'gremlins' }, state: AWAITING }, LATER)).rejects.toBeInstanceOf(RangeError);
      await expect(projects.upsertDoaCase(999_999, { damage: DAMAGE, state: AWAITING }, LATER)).rejects.toBeInstanceOf(NotFoundError);
      expect(await count('doa_cases')).toBe(0);
    });

    it('stores a charge as minor units with its currency; a plain number from an older process is CNY yuan; bad money is a RangeError', async () => {
      const id = await projectId();
      const charged = (chargedAmount: unknown) => projects.upsertDoaCase(id, { damage: DAMAGE, state: { ...RETURNED, chargedAmount: chargedAmount as DoaState['chargedAmount'] } }, LATER);

      expect((await charged({ amount: 1234, currency: 'JPY' })).chargedAmount).toEqual({ amount: 1234, currency: 'JPY' });
      expect((await charged(56_000)).chargedAmount).toEqual({ amount: 5_600_000, currency: 'CNY' });
      await expect(charged({ amount: 1.5, currency: 'CNY' })).rejects.toBeInstanceOf(RangeError);
      await expect(charged({ amount: 100, currency: 'XYZ' })).rejects.toBeInstanceOf(RangeError);
      await expect(charged(-1)).rejects.toBeInstanceOf(RangeError);
      expect((await projects.doaCases(id))[0]?.chargedAmount).toEqual({ amount: 5_600_000, currency: 'CNY' });
    });

    it('has a unique (project, serial) in the schema', async () => {
      const id = await projectId();
      const row = { project_id: id, serial: 'SN-9', status: 'awaiting_shipment', cause: 'transport', damage_description: 'd', updated_at: CREATED };
      await db.knex('doa_cases').insert(row);

      expect(isUniqueViolation(await db.knex('doa_cases').insert(row).catch((error: unknown) => error))).toBe(true);
      await db.knex('doa_cases').insert({ ...row, serial: 'sn-9' });
      expect(await count('doa_cases', { project_id: id })).toBe(2);
    });
  });
});

describe.each(testDatabaseKinds())('0004_projects migration on %s', (kind) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('drops its four tables and creates them again', async () => {
    const tables = ['projects', 'project_events', 'trial_issues', 'doa_cases'];
    const present = async (): Promise<boolean[]> => Promise.all(tables.map((table) => db.knex.schema.hasTable(table)));
    expect(await present()).toEqual([true, true, true, true]);

    // Later migrations reference projects (care plans): undo them first, newest first, down to 0004.
    for (;;) {
      const [done] = (await db.knex.migrate.list(migrationConfig)) as [{ name: string }[], unknown];
      const last = done[done.length - 1]!.name;
      if (last === '0004_projects') break;
      await db.knex.migrate.down({ ...migrationConfig, name: last });
    }
    await projectsMigration.down(db.knex);
    expect(await present()).toEqual([false, false, false, false]);
    expect(await db.knex.schema.hasTable('customers')).toBe(true);

    await projectsMigration.up(db.knex);
    expect(await present()).toEqual([true, true, true, true]);
  });
});
