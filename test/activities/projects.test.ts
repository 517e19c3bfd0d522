import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../../activities';
import { createProjectActivities } from '../../processes/delivery/activities';
import { NotFoundError } from '../../platform/db/errors';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { ProjectsRepository } from '../../processes/delivery/repository';
import type { DoaState, TrialIssue } from '../../processes/delivery/messages';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const CREATED = new Date('2026-01-05T01:02:03.456Z');
const FIRST_RUN = new Date('2026-02-10T10:20:30.789Z');
const RETRY = new Date('2026-02-10T10:21:00.000Z');

/** Children first, so foreign keys never block the cleanup. */
const TABLES = ['project_events', 'trial_issues', 'doa_cases', 'projects', 'contracts', 'devices', 'sites', 'customer_contacts', 'customers', 'api_tokens', 'users'];

const SERIALS = ['SN-001', 'SN-002', 'SN-003'];
const ACTOR = { userId: 7, name: '李经理', role: 'project_manager' };

describe.each(testDatabaseKinds())('project activities on %s', (kind) => {
  let db: TestDatabase;
  let clock: Date;
  let activities: ReturnType<typeof createProjectActivities>;
  let projects: ProjectsRepository;
  let customers: CustomersRepository;
  let devices: DevicesRepository;
  let customerId: number;
  let projectId: number;

  /** The activities under test use only the database and the clock. */
  function deps(): ActivityDeps {
    return { knex: db.knex, outbox: undefined as never, now: () => clock, publicUrl: 'http://localhost:8080' };
  }

  async function count(table: string): Promise<number> {
    const row = (await db.knex(table).count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  }

  /** Runs an activity as Temporal would after a crash between the commit and the completion: twice, the clock moved on. */
  async function twice(run: () => Promise<unknown>): Promise<void> {
    clock = FIRST_RUN;
    await run();
    clock = RETRY;
    await run();
  }

  async function failureOf(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    activities = createProjectActivities(deps());
    projects = new ProjectsRepository(db.knex);
    customers = new CustomersRepository(db.knex);
    devices = new DevicesRepository(db.knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  beforeEach(async () => {
    clock = CREATED;
    for (const table of TABLES) await db.knex(table).del();
    customerId = (await customers.create({ name: '华东精密机械有限公司' }, CREATED)).id;
    const contract = await new ContractsRepository(db.knex).create({ customerId, contractNo: 'HT-2026-001', kind: 'project', policyOverrides: {}, resolvedPolicy: {} }, CREATED);
    const project = await projects.create(
      { customerId, contractId: contract.id, contractNo: 'HT-2026-001', name: '张江二期产线', projectManager: { name: '李经理', email: 'li@maker.example' }, stage: 'awaiting_kickoff' },
      CREATED,
    );
    projectId = project.id;
    await devices.createMany(customerId, SERIALS.map((serial) => ({ serial, model: 'CNC-5X', projectId })), CREATED);
  });

  it('are all part of createActivities, under the names the workflows call', () => {
    const all = createActivities(deps());

    for (const name of ['recordProjectEvent', 'saveTrialIssue', 'saveDoaCase', 'writeDeviceWarranty', 'recordCustomerAcceptance', 'flagCustomerServiceStopped', 'serviceManagerRecipients']) {
      expect(typeof (all as Record<string, unknown>)[name]).toBe('function');
    }
  });

  describe('recordProjectEvent', () => {
    const EVENT = {
      eventKey: 'installation-complete',
      kind: 'installation_completed',
      at: '2026-02-10T10:20:30.000Z',
      actor: ACTOR,
      summary: 'installation and commissioning complete (2 test records)',
      data: { testRecords: [{ name: '空载试车', passed: true }] },
    };

    it('records the event and the patch once, however often it runs', async () => {
      await twice(() => activities.recordProjectEvent({ projectId, ...EVENT, patch: { stage: 'trial_run', installationCompletedAt: '2026-02-10T10:20:30.000Z' } }));

      expect(await projects.timeline(projectId)).toEqual([expect.objectContaining({ eventKey: 'installation-complete', actor: ACTOR, data: EVENT.data, at: new Date(EVENT.at) })]);
      expect(await projects.get(projectId)).toMatchObject({ stage: 'trial_run', installationCompletedAt: new Date('2026-02-10T10:20:30.000Z'), updatedAt: FIRST_RUN });
    });

    it('stores words as given and an English summary said from them; an input from an older history keeps its summary', async () => {
      const { summary: _old, ...withoutSummary } = EVENT;
      const said = { key: 'timeline.project.installation_completed', params: { testRecords: 2 } };
      await activities.recordProjectStep({ projectId, ...withoutSummary, words: said, patch: {}, events: [{ eventKey: 'trial-issue:I1', kind: 'trial_issue_logged', words: { key: 'timeline.project.trial_issue_logged', params: { issue: 'I1', title: '漏油' } } }] });
      await activities.recordProjectEvent({ projectId, eventKey: 'old', kind: 'kickoff_recorded', at: EVENT.at, summary: 'kickoff meeting on 2026-02-01', patch: {} });

      const byKey = new Map((await projects.timeline(projectId)).map((e) => [e.eventKey, e]));
      expect(byKey.get('installation-complete')).toMatchObject({ summary: 'installation and commissioning complete (2 test records)', words: said });
      expect(byKey.get('trial-issue:I1')).toMatchObject({ summary: 'issue I1: 漏油', words: { key: 'timeline.project.trial_issue_logged' } });
      expect(byKey.get('old')).toMatchObject({ summary: 'kickoff meeting on 2026-02-01', words: null });
    });

    it('still lands the patch when the event made it but the patch did not', async () => {
      await projects.addEvent(projectId, EVENT);

      await activities.recordProjectEvent({ projectId, ...EVENT, patch: { stage: 'installing' } });

      expect(await count('project_events')).toBe(1);
      expect((await projects.get(projectId))?.stage).toBe('installing');
    });

    it('records an event with an empty patch without touching the project', async () => {
      await twice(() => activities.recordProjectEvent({ projectId, eventKey: 'doa:SN-001:shipped', kind: 'doa_shipped', at: EVENT.at, summary: 'DOA SN-001: shipped', data: { serial: 'SN-001' }, patch: {} }));

      expect(await count('project_events')).toBe(1);
      expect((await projects.get(projectId))?.updatedAt).toEqual(CREATED);
    });

    it('fails for good on a patch it can never write, and leaves no event behind', async () => {
      const failure = await failureOf(activities.recordProjectEvent({ projectId, ...EVENT, patch: { stage: 'dreaming' } }));

      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ nonRetryable: true, type: 'InvalidActivityInput' });
      expect(await count('project_events')).toBe(0);
    });

    it('stays retryable for an unknown project', async () => {
      await expect(activities.recordProjectEvent({ projectId: 999_999, ...EVENT, patch: {} })).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  it('saveTrialIssue logs and resolves one row, idempotently', async () => {
    const issue: TrialIssue = { id: 'I1', title: '主轴异响', loggedAt: '2026-04-01T03:00:00.000Z', round: 1 };

    await twice(() => activities.saveTrialIssue({ projectId, issue }));
    await twice(() => activities.saveTrialIssue({ projectId, issue: { ...issue, resolvedAt: '2026-04-02T03:00:00.000Z', resolution: 'bearing replaced' } }));

    expect(await projects.trialIssues(projectId)).toEqual([
      expect.objectContaining({ issueKey: 'I1', title: '主轴异响', resolvedAt: new Date('2026-04-02T03:00:00.000Z'), resolution: 'bearing replaced' }),
    ]);
  });

  it('saveDoaCase keeps one row per serial, idempotently', async () => {
    const damage = { description: 'housing cracked in transit', cause: 'transport' };
    const state: DoaState = { serial: 'SN-002', status: 'awaiting_receipt', shipBy: '2026-02-12T09:00:00.000Z', shippedAt: '2026-02-11T02:00:00.000Z', replacementSerial: 'SN-002R' };

    await twice(() => activities.saveDoaCase({ projectId, damage, state }));

    expect(await projects.doaCases(projectId)).toEqual([
      expect.objectContaining({ serial: 'SN-002', status: 'awaiting_receipt', replacementSerial: 'SN-002R', shippedAt: new Date('2026-02-11T02:00:00.000Z'), updatedAt: FIRST_RUN }),
    ]);
  });

  it('writeDeviceWarranty writes the period to every serial, idempotently', async () => {
    const startsAt = '2026-07-01T09:30:00.500Z';
    const endsAt = '2027-07-01T09:30:00.500Z';

    await twice(() => activities.writeDeviceWarranty({ projectId, serials: SERIALS, startsAt, endsAt }));

    const written = await devices.listByProject(projectId);
    expect(written).toHaveLength(3);
    for (const device of written) {
      expect(device).toMatchObject({ warrantyStartsAt: new Date(startsAt), warrantyEndsAt: new Date(endsAt), updatedAt: FIRST_RUN });
    }
  });

  it('writeDeviceWarranty fails for good on a period that ends before it starts', async () => {
    const failure = await failureOf(activities.writeDeviceWarranty({ projectId, serials: SERIALS, startsAt: '2027-01-01T00:00:00.000Z', endsAt: '2026-01-01T00:00:00.000Z' }));

    expect(failure).toMatchObject({ nonRetryable: true, type: 'InvalidActivityInput' });
  });

  it('recordCustomerAcceptance puts the acceptance date on the customer file, idempotently', async () => {
    await twice(() => activities.recordCustomerAcceptance({ customerId, acceptedAt: '2026-07-01T09:30:00.500Z' }));

    expect(await customers.get(customerId)).toMatchObject({ acceptanceDate: new Date('2026-07-01T09:30:00.500Z'), updatedAt: FIRST_RUN });
  });

  it('flagCustomerServiceStopped flags the customer with the reason, idempotently', async () => {
    await twice(() => activities.flagCustomerServiceStopped({ customerId, reason: 'DOA SN-002: damaged unit not returned' }));

    expect(await customers.get(customerId)).toMatchObject({ serviceStopped: true, flagReason: 'DOA SN-002: damaged unit not returned', updatedAt: FIRST_RUN });
  });

  it('serviceManagerRecipients returns the active service managers only', async () => {
    const user = (name: string, email: string, role: string, locale: string, active: boolean) => ({ name, email, role, locale, active, created_at: CREATED });
    await db.knex('users').insert([
      user('Sam Manager', 'sam@maker.example', 'service_manager', 'en', true),
      user('李经理', 'li@maker.example', 'project_manager', 'zh-CN', true),
      user('Old Manager', 'old@maker.example', 'service_manager', 'en', false),
      user('王服务', 'wang@maker.example', 'service_manager', 'zh-CN', true),
    ]);

    expect(await activities.serviceManagerRecipients()).toEqual([
      { name: 'Sam Manager', email: 'sam@maker.example', locale: 'en' },
      { name: '王服务', email: 'wang@maker.example', locale: 'zh-CN' },
    ]);
  });

  it('serviceManagerRecipients is empty when there is none', async () => {
    expect(await activities.serviceManagerRecipients()).toEqual([]);
  });
});
