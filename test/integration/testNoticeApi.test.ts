import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { startTestSystem, type TestSystem } from '../support/services';

describe('POST /api/notices/test: API → workflow → activity → outbox → SMTP', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  const adminToken = generateToken();

  beforeAll(async () => {
    system = await startTestSystem('notice-api');
    await new UsersRepository(system.db.knex).ensureAdmin(adminToken);
    app = createApp({ knex: system.db.knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules });
    server = await startApiServer(app, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await settleBackgroundWork(app);
    await server.close();
    await system.stop();
  });

  const post = (body: unknown, token = adminToken) =>
    fetch(`${server.url}/api/notices/test`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('delivers one e-mail in the requested language and answers with its message id', async () => {
    const answer = await post({ email: 'someone@customer.test', name: 'Someone', locale: 'en' });
    expect(answer.status).toBe(201);
    const body = (await answer.json()) as { workflowId: string; messageId: string };
    const [mail] = await system.smtp.waitFor(1);
    expect(mail!.envelope.to).toEqual(['someone@customer.test']);
    expect(mail!.messageId).toBe(body.messageId);
    expect(mail!.idempotencyKey).toBe(`${body.workflowId}:test-notice`);
  });

  it('rejects a bad address naming the field, and non-admins', async () => {
    const bad = await post({ email: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { field: string }[] } }).error.details[0]!.field).toBe('email');
    const users = new UsersRepository(system.db.knex);
    const clerk = await users.create({ name: 'Clerk', email: 'clerk@maker.test', role: 'sales_clerk' });
    expect((await post({ email: 'a@b.test' }, await users.issueToken(clerk.id, 't'))).status).toBe(403);
  });
});
