/**
 * Read-your-writes for tickets: the ticket's row shows a step's new status a moment before the
 * workflow applies it. A step sent in that moment is judged against the status being entered (the
 * step kit's `recording` / `allows`), waits for the lock and is judged again, instead of a stale 409.
 * The moment is held open here: the recording activity commits, then waits for the test's word.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { ticketsModule } from '../../api/index';
import type { RecordTicketStepInput } from '../../processes/tickets/activities';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('a ticket step sent the instant the row shows the previous one', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let engineerId: number;
  let customerId: number;
  let release: () => void = () => undefined;
  let held: Promise<void> = Promise.resolve();

  const call = async (path: string, body: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    system = await startTestSystem('ticket-entering');
    const { knex } = system.db;
    // The acknowledgement is written, then its answer is held back from the workflow until released.
    await system.temporal.restart({
      ...system.activities,
      async recordTicketStep(input: RecordTicketStepInput) {
        await system.activities.recordTicketStep(input);
        if (input.eventKey.startsWith('acknowledged:')) await held;
      },
    });
    const users = new UsersRepository(knex);
    await users.ensureAdmin(generateToken());
    const dispatcher = await users.create({ name: 'dispatcher', email: 'dispatcher@maker.test', role: 'dispatcher', locale: 'en' });
    token = await users.issueToken(dispatcher.id, 'test');
    engineerId = (await users.create({ name: 'engineer', email: 'engineer@maker.test', role: 'engineer', locale: 'en' })).id;
    customerId = (await new CustomersRepository(knex).create({ name: 'Nanchang First Hospital' })).id;
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: [ticketsModule], logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
  });

  afterAll(async () => {
    release();
    await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('resolve sent while the acknowledgement is on the row but not yet applied is accepted, not refused as stale', async () => {
    held = new Promise((resolve) => (release = resolve));
    const opened = await call('/api/tickets', { customerId, model: 'XR-1', symptom: 'no image', level: 3, channel: 'phone', contact: { name: 'Wang Fang', email: 'wang.fang@hospital.test' }, engineerUserId: engineerId });
    expect(opened.status).toBe(201);
    const id = opened.body.id as number;
    // Out of scope: work needs an accepted quote first.
    expect(await call(`/api/tickets/${id}/quote`, { labourMinutes: 60, labourRate: { amount: 20_000, currency: 'CNY' }, travel: { amount: 0, currency: 'CNY' } })).toMatchObject({ status: 200 });
    expect((await call(`/api/tickets/${id}/quote-accepted`, {})).status).toBe(200);

    const acknowledged = call(`/api/tickets/${id}/acknowledge`, {});
    const until = Date.now() + 30_000;
    while ((await system.db.knex('tickets').where({ id }).first('status')).status !== 'acknowledged') {
      if (Date.now() > until) throw new Error('the acknowledgement never reached the row');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The row says acknowledged; the workflow still says assigned, where resolve is not possible.
    const resolved = call(`/api/tickets/${id}/resolve`, { diagnosis: 'cable', workDone: 'replaced the cable', qualityFault: true, labourMinutes: 60, labourRate: { amount: 20_000, currency: 'CNY' }, travel: { amount: 0, currency: 'CNY' } });
    // A step the entered status does not allow either is still refused at once.
    expect((await call(`/api/tickets/${id}/close`, {})).status).toBe(409);
    release();
    expect((await acknowledged).status).toBe(200);
    expect(await resolved).toMatchObject({ status: 200, body: { status: 'resolved' } });
  });
});
