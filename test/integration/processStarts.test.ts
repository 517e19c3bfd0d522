/**
 * One safe way to create a record and start its process (issue #20), on the real server and store:
 * each create path writes its rows with a pending start in one transaction, starts the process after
 * the commit, and deletes nothing when the start fails. (1) A start that dies after the commit: the
 * request still answers 201 with the record, and the reconciler starts its one process. (2) A start
 * the server took whose answer timed out: 201 with the record, one run, and the reconciler's repeat
 * changes nothing. Each create path is run both ways.
 */
import crypto from 'node:crypto';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { ServiceError } from '@temporalio/client';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Reply = { status: number; body: Json };

const today = () => new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const unique = (prefix: string) => `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
const CONTACT = { name: 'Wang Fang', email: 'wang.fang@hospital.test', locale: 'zh-CN' as const };

describe('create paths: the record and its pending start in one transaction, the start retried, nothing deleted', () => {
  let system: TestSystem;
  const servers: Record<'normal' | 'crash' | 'timeout', { app: ReturnType<typeof createApp>; server: ApiServer }> = {} as never;
  const tokens = {} as Record<string, string>;
  let customerId: number;
  let reconciles = 0;

  /** A client whose start dies (the request's process "crashes" between the commit and the start). */
  function crashingClient(): Client {
    const client = new Client({ connection: system.temporal.client.connection, namespace: 'default' });
    client.workflow.start = async () => {
      throw new Error('the process died between the commit and the start');
    };
    return client;
  }

  /** A client whose start reaches the server, then answers with a timeout (the answer was lost). */
  function timingOutClient(): Client {
    const client = new Client({ connection: system.temporal.client.connection, namespace: 'default' });
    const start = client.workflow.start.bind(client.workflow);
    client.workflow.start = (async (...args: Parameters<typeof start>) => {
      await start(...args);
      throw new ServiceError('4 DEADLINE_EXCEEDED: Deadline exceeded', { cause: Object.assign(new Error('deadline exceeded'), { code: 4 }) });
    }) as typeof start;
    return client;
  }

  const call = async (server: 'normal' | 'crash' | 'timeout', path: string, token: string, body: unknown, key = unique('key')): Promise<Reply> => {
    const response = await fetch(`${servers[server].server.url}/api${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'Idempotency-Key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : text };
  };

  const pending = async (): Promise<{ workflow_id: string; workflow_type: string; task_queue: string; started_at: unknown }[]> => system.db.knex('process_starts').select('workflow_id', 'workflow_type', 'task_queue', 'started_at');
  const reconcile = async (olderThanMs = 0): Promise<string[]> =>
    ((await system.temporal.client.workflow.execute('processStartReconciler', { taskQueue: system.temporal.taskQueue, workflowId: `process-starts-${system.temporal.taskQueue}-${++reconciles}`, args: [{ olderThanMs }] })) as { started: string[] }).started;

  /** The create posted, its one pending start found; its workflow's state after that. */
  async function created(server: 'crash' | 'timeout', path: string, token: string, body: unknown, key?: string): Promise<{ reply: Reply; workflowId: string }> {
    const before = new Set((await pending()).map((r) => r.workflow_id));
    const reply = await call(server, path, token, body, key);
    expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 201, body: { id: expect.any(Number) } });
    const added = (await pending()).filter((r) => !before.has(r.workflow_id));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ task_queue: system.temporal.taskQueue, started_at: null });
    return { reply, workflowId: added[0]!.workflow_id };
  }

  async function expectOneRun(workflowId: string): Promise<void> {
    const client = system.temporal.client;
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    const history = await client.workflow.getHandle(workflowId, description.runId).fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionStartedEventAttributes)).toHaveLength(1);
    const row = (await system.db.knex('process_starts').where({ workflow_id: workflowId }).first('started_at')) as { started_at: unknown };
    expect(row.started_at).not.toBeNull();
  }

  /** Both failures on one path: one record each, no process yet after the crash, one run each after the reconciler. */
  async function bothWays(path: string, token: string, body: () => unknown, table: string): Promise<void> {
    const crashed = await created('crash', path, token, body());
    await expect(system.temporal.client.workflow.getHandle(crashed.workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const timedOut = await created('timeout', path, token, body());
    // The server took it: it runs already, its start not yet marked.
    expect((await system.temporal.client.workflow.getHandle(timedOut.workflowId).describe()).status.name).toBe('RUNNING');

    const started = await reconcile();
    expect(started).toEqual(expect.arrayContaining([crashed.workflowId, timedOut.workflowId]));
    for (const { reply, workflowId } of [crashed, timedOut]) {
      expect(await system.db.knex(table).where({ id: reply.body.id })).toHaveLength(1);
      await expectOneRun(workflowId);
    }
    // A second run finds nothing pending, and starts nothing twice.
    expect(await reconcile()).toEqual([]);
  }

  beforeAll(async () => {
    system = await startTestSystem('process-starts');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const adminToken = generateToken();
    await users.ensureAdmin(adminToken);
    tokens.admin = adminToken;
    const engine = (client: Client) => ({ client, taskQueue: system.temporal.taskQueue, namespace: 'default' });
    for (const [name, client] of [
      ['normal', system.temporal.client],
      ['crash', crashingClient()],
      ['timeout', timingOutClient()],
    ] as const) {
      const app = createApp({ knex, temporal: engine(client), routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
      servers[name] = { app, server: await startApiServer(app, 0, '127.0.0.1') };
    }
    for (const [name, role] of [
      ['sm', 'service_manager'],
      ['dispatcher', 'dispatcher'],
    ] as const) {
      const user = await users.create({ name, email: `${name}@starts.test`, role, locale: 'en' });
      tokens[name] = await users.issueToken(user.id, 'test');
    }
    customerId = (await new CustomersRepository(knex).create({ name: 'Jiujiang People’s Hospital', class: 'key', contacts: [{ ...CONTACT, role: 'head nurse', isPrimary: true }] })).id;
    const dealerId = (await call('normal', '/dealers', adminToken, { name: 'Dealer PS', contactEmail: 'service@dealer-ps.test', locale: 'en' })).body.id;
    const dealer = await users.create({ name: 'dealer', email: 'dealer@starts.test', role: 'dealer', locale: 'en', dealerId });
    tokens.dealer = await users.issueToken(dealer.id, 'test');
  });

  afterAll(async () => {
    if (system) {
      const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
      for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    }
    for (const { app, server } of Object.values(servers)) {
      await settleBackgroundWork(app);
      await server.close();
    }
    await system?.stop();
  });

  it('a pending start younger than the grace is left to its request; older, the reconciler starts it', async () => {
    const { workflowId } = await created('crash', '/tickets', tokens.dispatcher!, { customerId, model: 'DR-7000', symptom: 'no image', level: 3, channel: 'phone', contact: CONTACT });
    expect(await reconcile(60_000)).toEqual([]);
    expect(await reconcile()).toEqual([workflowId]);
    await expectOneRun(workflowId);
  });

  it('delivery project', async () => {
    await bothWays(
      '/projects',
      tokens.sm!,
      () => ({
        contractNo: unique('PS'),
        name: 'CT room installation',
        customer: { name: 'Jiujiang People’s Hospital', class: 'key', contacts: [CONTACT] },
        projectManager: { name: 'Zhang Wei', email: 'pm@maker.test', locale: 'zh-CN' },
        devices: [{ model: 'DR-7000', serial: unique('DR'), brand: 'Tengyang' }],
      }),
      'projects',
    );
  });

  it('service ticket', async () => {
    await bothWays('/tickets', tokens.dispatcher!, () => ({ customerId, model: 'DR-7000', symptom: 'no image', level: 3, channel: 'phone', contact: CONTACT }), 'tickets');
  });

  it('care plan', async () => {
    await bothWays('/care-plans', tokens.sm!, () => ({ customerId, devices: [{ serial: unique('CP'), model: 'DR-7000' }], startDate: today() }), 'care_plans');
  });

  it('dealer sale and dealer task', async () => {
    await bothWays('/dealer-sales', tokens.dealer!, () => ({ deviceSerial: unique('SN'), model: 'M1', saleDate: today(), customerName: 'Li Si' }), 'dealer_sales');
    await bothWays('/dealer-tasks', tokens.dealer!, () => ({ deviceSerial: unique('SN'), customerName: 'Li Si', request: 'the pump is loud' }), 'dealer_tasks');
  });

  it('a step on a record whose process is still starting answers 503 (try again), not that it ended; after the start it is taken', async () => {
    const sale = await created('crash', '/dealer-sales', tokens.dealer!, { deviceSerial: unique('SN'), model: 'M1', saleDate: today(), customerName: 'Li Si' });
    const early = await call('normal', `/dealer-sales/${sale.reply.body.id}/card`, tokens.dealer!, { cardDate: today() });
    expect(early.status).toBe(503);
    expect(JSON.stringify(early.body)).toMatch(/still starting/);
    expect(await reconcile()).toContain(sale.workflowId);
    const card = await call('normal', `/dealer-sales/${sale.reply.body.id}/card`, tokens.dealer!, { cardDate: today() });
    expect(card).toMatchObject({ status: 200, body: { warranty: 'recognised' } });
  });

  it('dealer claim; a repeat with the same Idempotency-Key answers the same claim', async () => {
    const claimFor = () => {
      const serial = unique('SN');
      return async () => {
        const sale = await call('normal', '/dealer-sales', tokens.dealer!, { deviceSerial: serial, model: 'M1', saleDate: today(), customerName: 'Li Si' });
        await call('normal', `/dealer-sales/${sale.body.id}/card`, tokens.dealer!, { cardDate: today() });
        return { deviceSerial: serial, faultCode: 'E1', repairDate: today(), workDone: 'replaced the pump', lines: [{ kind: 'travel', amount: { amount: 60000, currency: 'CNY' } }] };
      };
    };
    const bodies = [await claimFor()(), await claimFor()()];
    let i = 0;
    await bothWays('/claims', tokens.dealer!, () => bodies[i++], 'claims');

    const body = await claimFor()();
    const key = unique('claim');
    const first = await created('crash', '/claims', tokens.dealer!, body, key);
    const again = await call('crash', '/claims', tokens.dealer!, body, key);
    expect(again).toEqual({ status: 201, body: first.reply.body });
    expect(await system.db.knex('claims').where({ device_serial: body.deviceSerial })).toHaveLength(1);
    expect(await reconcile()).toEqual([first.workflowId]);
    await expectOneRun(first.workflowId);
  });
});
