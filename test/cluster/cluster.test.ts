/**
 * The production topology really run (npm run cluster): Temporal v1.29.1's four services as processes
 * on PostgreSQL, two Aftercare workers, the API and MariaDB, and the faults it must survive. Each fault
 * hits projects and a dealer settlement whose confirmation is sent into the fault, and ends with every
 * project completed, every request answered 2xx on record once (earlier faults' too), no notice sent
 * twice and exactly one ledger entry per confirmed statement.
 */
import { Connection } from '@temporalio/client';
import { TEMPORAL_SERVER_VERSION } from '../../platform/temporal/clusterServer';
import { SEARCH_ATTRIBUTE_TYPES } from '../../platform/temporal/searchAttributes';
import { SECONDS_POLICY } from '../support/projectHarness';
import { gate } from './dealerLoad';
import { expectNothingLostNothingTwice, startClusterHarness, type ClusterHarness } from './support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the cluster: Temporal on PostgreSQL, two workers, the API and MariaDB', () => {
  let h: ClusterHarness;
  beforeAll(async () => {
    h = await startClusterHarness('faults');
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    // A test that left a process down would make the next one fail for the wrong reason.
    expect(h.cluster.failed()).toBeUndefined();
  });

  it('runs as separate processes on their own ports, with the search attributes registered', async () => {
    const { cluster } = h;
    expect(cluster.all().every((p) => p.running)).toBe(true);
    expect(new Set(cluster.all().map((p) => p.pid)).size).toBe(cluster.all().length);
    expect(cluster.workers).toHaveLength(2);
    const health = await fetch(`${cluster.apiUrl}/healthz`);
    expect(health.status).toBe(200);
    const connection = await Connection.connect({ address: cluster.temporalAddress });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: cluster.namespace });
      for (const name of Object.keys(SEARCH_ATTRIBUTE_TYPES)) expect(customAttributes?.[name]).toBeDefined();
      const { serverVersion } = await connection.workflowService.getSystemInfo({});
      expect(serverVersion).toBe(TEMPORAL_SERVER_VERSION.replace(/^v/, ''));
    } finally {
      await connection.close();
    }
  });

  it('a project started through the API completes on the cluster', async () => {
    const id = await h.createProject();
    await h.toTrial(id);
    await h.fromTrialToCompletion(id);
    const done = await h.project(id);
    expect(done.stage).toBe('completed');
    expect(done.qualityScore).toBe(92);
    const started = h.smtp.messages.filter((m) => m.idempotencyKey?.includes(`project-${id}:started:`));
    expect(started.length).toBe(2);
    const settled = await h.dealers.settle(await h.dealers.newDealer());
    expect(settled.total).toBe(31_999);
    await expectNothingLostNothingTwice(h, [id]);
  });

  it('the history service killed and restarted mid-process', async () => {
    const id = await h.createProject();
    await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' });
    const confirm = gate();
    const settling = h.dealers.settle(await h.dealers.newDealer(), { confirmWhen: confirm.opened });
    await h.cluster.temporal.history.kill();
    confirm.open();
    // While history is down a step cannot be recorded; the client retries it under the same key.
    const serials: string[] = (await h.project(id)).devices.map((d: { serial: string }) => d.serial);
    const unboxing = h.step(id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: [{ name: 'Wang Fang', party: 'customer' }, { name: 'Zhang Wei', party: 'company' }] });
    await sleep(5_000);
    h.cluster.temporal.history.start();
    await unboxing;
    await h.step(id, 'weekly-reports', { summary: 'cabling done' });
    await h.step(id, 'installation-complete', { testRecords: [{ name: 'exposure test', passed: true, signatures: [{ name: 'Wang Fang', party: 'customer' }, { name: 'Zhang Wei', party: 'company' }] }] });
    await h.fromTrialToCompletion(id);
    await settling;
    await expectNothingLostNothingTwice(h, [id]);
  });

  it('one of two workers killed under load', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => h.createProject()));
    const dealers = await Promise.all([h.dealers.newDealer(), h.dealers.newDealer()]);
    const confirm = gate();
    const driving = Promise.all([
      ...ids.map(async (id) => {
        await h.toTrial(id);
        await h.fromTrialToCompletion(id);
      }),
      ...dealers.map((dealer) => h.dealers.settle(dealer, { confirmWhen: confirm.opened })),
    ]);
    await sleep(3_000);
    await h.cluster.workers[0]!.kill();
    confirm.open();
    try {
      await driving;
    } finally {
      h.cluster.workers[0]!.start();
      // Polling before the next fault: a worker starting while MariaDB is down exits, as it should.
      await h.cluster.workers[0]!.waitForOutput('"msg":"worker polling"');
    }
    await expectNothingLostNothingTwice(h, ids);
  });

  it('MariaDB stopped for 30 s and started again', async () => {
    // A trial longer than the outage, so that the report sent during it is in time.
    const id = await h.createProject({ ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, initialAcceptanceRequired: false, trialRun: 'PT40S', trialReportLead: 'PT20S' } });
    await h.toTrial(id);
    await h.waitFor(id, 'trial running', (p) => p.trial?.status === 'running');
    const confirm = gate();
    const settling = h.dealers.settle(await h.dealers.newDealer(), { confirmWhen: confirm.opened });
    await h.dealers.untilWaitingToConfirm(1);
    await h.cluster.mariadb.stop();
    // The trial's timers fire, the API takes a step and the dealer confirms meanwhile; all wait for the store to return.
    const report = h.step(id, 'trial-report', { summary: 'ran without faults' });
    confirm.open();
    await sleep(30_000);
    h.cluster.mariadb.start();
    await h.cluster.waitForMariadb();
    await report;
    await settling;
    await h.waitFor(id, 'final acceptance due', (p) => p.stage === 'final_acceptance', 180_000);
    await h.step(id, 'final-acceptance', { passed: true, signatures: [{ name: 'Wang Fang', party: 'customer' }, { name: 'Zhang Wei', party: 'company' }], scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } });
    await h.step(id, 'handover', { documents: [{ name: 'operating manuals', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] });
    await h.waitFor(id, 'completed', (p) => p.stage === 'completed');
    await expectNothingLostNothingTwice(h, [id]);
  });

  it('the whole cluster restarted mid-process', async () => {
    const id = await h.createProject();
    await h.toTrial(id);
    const confirm = gate();
    const settling = h.dealers.settle(await h.dealers.newDealer(), { confirmWhen: confirm.opened });
    await h.dealers.untilWaitingToConfirm(1);
    await h.cluster.stop();
    confirm.open();
    expect(h.cluster.all().some((p) => p.running)).toBe(false);
    await h.cluster.startAll();
    await h.fromTrialToCompletion(id);
    await settling;
    await expectNothingLostNothingTwice(h, [id]);
  });
});
