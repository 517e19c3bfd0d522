/**
 * An admin loads a year over HTTP and a running project hears of it: the calendarChanged signal is in
 * its history. The real API, worker, Temporal server and database.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { calendarsModule, tellRunningProcesses } from '../../schedule/calendars/routes';
import { UsersRepository } from '../../people/repository';
import { startProjectHarness, type ProjectHarness } from '../support/projectHarness';

describe('PUT /api/calendars/:key/years/:year tells the running processes', () => {
  let harness: ProjectHarness;
  let calendarsServer: ApiServer;
  let adminToken: string;

  beforeAll(async () => {
    harness = await startProjectHarness('calendar-changed');
    const { knex } = harness.system.db;
    const { client, taskQueue } = harness.system.temporal;
    const users = new UsersRepository(knex);
    const admin = await users.create({ name: 'Zhou Min', email: 'zhou.min@maker.test', role: 'admin', locale: 'zh-CN' });
    adminToken = await users.issueToken(admin.id, 'test');
    const app = createApp({ knex, temporal: { client, taskQueue, namespace: 'default' }, routers: [calendarsModule], logger: { error: (m, e) => console.error(m, e) } });
    calendarsServer = await startApiServer(app, 0, '127.0.0.1');
  });

  afterAll(async () => {
    await calendarsServer.close();
    await harness.stop();
  });

  it('signals calendarChanged to a started projectDelivery workflow and counts it', async () => {
    const created = await harness.createProject();
    expect(created.status).toBe(201);
    const { workflowId } = created.body;
    const { client, taskQueue } = harness.system.temporal;

    // Visibility lags a start by a moment: wait until the list the PUT uses shows the process.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found: string[] = [];
      for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` })) found.push(wf.workflowId);
      if (found.includes(workflowId)) break;
      if (Date.now() > deadline) throw new Error(`${workflowId} never showed as running`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const response = await fetch(`${calendarsServer.url}/api/calendars/cn/years/2027`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ holidays: ['2027-01-01'], makeupWorkdays: [] }),
    });
    const answer = (await response.json()) as { processesTold: number; allProcessesTold: boolean };
    expect(response.status).toBe(200);
    expect(answer.allProcessesTold).toBe(true);
    expect(answer.processesTold).toBeGreaterThanOrEqual(1);

    // A signal that arrives while a workflow task runs is buffered, and written to history after it.
    const signalsInHistory = async () => {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      return (history.events ?? []).flatMap((event) => (event.workflowExecutionSignaledEventAttributes ? [event.workflowExecutionSignaledEventAttributes] : []));
    };
    let signals = await signalsInHistory();
    for (let tries = 0; signals.length === 0 && tries < 50; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      signals = await signalsInHistory();
    }
    expect(signals.map((s) => s.signalName)).toEqual(['calendarChanged']);
    const payload = signals[0]!.input!.payloads![0]!;
    expect(JSON.parse(Buffer.from(payload.data!).toString('utf8'))).toEqual({ calendar: 'cn' });
  });

  it('stops at its bound and says the telling was incomplete', async () => {
    const { client, taskQueue } = harness.system.temporal;
    // The project of the test above is still running.
    expect(await tellRunningProcesses({ client, taskQueue }, 'cn', { maxProcesses: 0, budgetMs: 5000, concurrency: 4 })).toEqual({ told: 0, complete: false });
    expect(await tellRunningProcesses({ client, taskQueue: `${taskQueue}-nobody` }, 'cn')).toEqual({ told: 0, complete: true });
    expect(await tellRunningProcesses(undefined, 'cn')).toEqual({ told: 0, complete: false });
  });
});
