/**
 * A person's step never waits for e-mail. With the SMTP server accepting connections and never
 * answering, a ticket's, a care plan's and a dealer task's step each answer through the API while
 * their notice is still stuck; once the server answers again, each of those notices goes out once.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import type { Role } from '../../domain/access';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** A guard, not a timing: a step still waiting for mail after this long is waiting for good. */
const STEP_GUARD_MS = 60_000;

/** A start date a month ago and `days` more, in China: a plan's first call falls due in `days` days. */
function monthAgoPlus(days: number): string {
  const date = new Date(Date.now() + 8 * 3_600_000);
  date.setUTCMonth(date.getUTCMonth() - 1);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

describe('steps answer while the SMTP server hangs; their notices follow once it answers', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  const tokens = {} as Record<string, string>;
  const ids = {} as Record<string, number>;
  let customerId: number;
  let serial: string;
  let dealerId: number;

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };

  async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  /** The step's answer, or `no answer` if it is still waiting after the guard. */
  async function answerOf(what: string, step: Promise<{ status: number; body: Json }>): Promise<{ what: string; status: number | 'no answer'; body?: Json }> {
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<'no answer'>((resolve) => {
      timer = setTimeout(() => resolve('no answer'), STEP_GUARD_MS);
    });
    const answer = await Promise.race([step, guard]);
    clearTimeout(timer);
    return answer === 'no answer' ? { what, status: answer } : { what, status: answer.status, body: answer.body };
  }

  const mails = (prefix: string) => system.smtp.messages.filter((m) => m.idempotencyKey?.startsWith(prefix));
  const outboxRows = (prefix: string) => system.db.knex('notice_outbox').where('idempotency_key', 'like', `${prefix}%`).select('idempotency_key', 'status') as Promise<{ idempotency_key: string; status: string }[]>;

  beforeAll(async () => {
    system = await startTestSystem('steps-smtp-hanging');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const adminToken = generateToken();
    await users.ensureAdmin(adminToken);
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');

    const customers = new CustomersRepository(knex);
    const customer = await customers.create({ name: 'Jiujiang Hospital', contacts: [{ name: 'Zhao Lei', email: 'zhao.lei@hospital.test', role: 'technical_lead' }] });
    customerId = customer.id;
    serial = `HANG-${process.pid}-${Date.now()}`;
    const devices = new DevicesRepository(knex);
    await devices.createMany(customerId, [{ model: 'DR-7000', serial }]);
    await devices.setWarranty([serial], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
    dealerId = (await call('POST', '/dealers', adminToken, { name: 'Dealer Hang', contactEmail: 'service@dealer-hang.test', locale: 'en' })).body.id;

    const people: [string, Role, { dealerId?: number }?][] = [
      ['dispatcher', 'dispatcher'],
      ['engineer', 'engineer'],
      ['manager', 'service_manager'],
      ['clerk', 'sales_clerk'],
      ['dealer', 'dealer', { dealerId }],
    ];
    for (const [name, role, extra] of people) {
      const user = await users.create({ name, email: `${name}@maker.test`, role, locale: 'en', ...(extra ?? {}) });
      ids[name] = user.id;
      tokens[name] = await users.issueToken(user.id, 'test');
    }
  });

  afterAll(async () => {
    system?.smtp.release();
    if (system) {
      const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
      for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    }
    if (app) await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('a ticket, a care and a dealer-task step answer 200 before the server is released; each notice is then sent exactly once', async () => {
    // The three records, each with a step ahead of it that sends a notice.
    const ticket = await call('POST', '/tickets', tokens.dispatcher!, { customerId, serial, symptom: 'no image on the detector', level: 3, channel: 'phone', contact: { name: 'Zhao Lei', email: 'zhao.lei@hospital.test' } });
    expect({ status: ticket.status, body: ticket.body }).toMatchObject({ status: 201, body: { status: 'open' } });
    const plan = await call('POST', '/care-plans', tokens.manager!, { customerId, devices: [{ serial: `${serial}-CARE`, model: 'DR-7000' }], startDate: monthAgoPlus(2) });
    expect({ status: plan.status, body: plan.body }).toMatchObject({ status: 201 });
    const firstCall = await poll(`the first call of plan ${plan.body.id}`, async () => (await call('GET', `/care-plans/${plan.body.id}`, tokens.manager!)).body.nextTasks?.calls?.[0] as Json);
    const task = await call('POST', '/dealer-tasks', tokens.clerk!, { dealerId, deviceSerial: `${serial}-DEALER`, customerName: 'Zhao Lei', customerEmail: 'zhao.lei@user.test', customerLocale: 'en', request: 'pump noisy' });
    expect({ status: task.status, body: task.body }).toMatchObject({ status: 201 });

    const planWorkflowId = ((await system.db.knex('care_plans').where({ id: plan.body.id }).first('workflow_id')) as { workflow_id: string }).workflow_id;
    const notices = {
      ticket: `ticket-${ticket.body.id}:assigned:`,
      care: `${planWorkflowId}:follow-up:`,
      dealerTask: `dealer-task-${task.body.id}:arranged:`,
    };

    system.smtp.hang();
    const answers = await Promise.all([
      answerOf('ticket assign', call('POST', `/tickets/${ticket.body.id}/assign`, tokens.dispatcher!, { engineerUserId: ids.engineer })),
      answerOf('care call complete', call('POST', `/calls/${firstCall.id}/complete`, tokens.dispatcher!, { answers: { usage: 'daily', mastery: 'needs training', problems: 'exposure drifts' }, satisfaction: 1 })),
      answerOf('dealer task arrange', call('POST', `/dealer-tasks/${task.body.id}/arrange`, tokens.dealer!, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'engineer Wang brings a spare pump' })),
    ]);
    expect(answers.map(({ what, status }) => ({ what, status }))).toEqual([
      { what: 'ticket assign', status: 200 },
      { what: 'care call complete', status: 200 },
      { what: 'dealer task arrange', status: 200 },
    ]);
    expect(answers.map((a) => a.body)).toEqual([expect.objectContaining({ status: 'assigned' }), expect.objectContaining({ status: 'done', followUp: true }), expect.objectContaining({ status: 'arranged' })]);
    // Nothing of them got through yet: the server is still hanging.
    expect(Object.values(notices).map((prefix) => mails(prefix).length)).toEqual([0, 0, 0]);

    // The notices are stuck at the server (one connection at least waits for its greeting), not yet tried.
    await poll('a connection held by the hanging server', async () => (system.smtp.heldConnections() > 0 ? true : undefined));
    system.smtp.release();
    const expected = {
      [notices.ticket]: ['engineer@maker.test'],
      [notices.care]: ['manager@maker.test'],
      [notices.dealerTask]: ['zhao.lei@user.test'],
    };
    for (const [prefix, recipients] of Object.entries(expected)) {
      // Sent: every outbox row of the notice says so, and the server received each once.
      await poll(`the notices ${prefix}`, async () => {
        const rows = await outboxRows(prefix);
        return rows.length === recipients.length && rows.every((r) => r.status === 'sent') ? rows : undefined;
      });
      expect(mails(prefix).map((m) => m.envelope.to.join(',')).sort()).toEqual(recipients);
    }
  }, 240_000);
});
