/** The customer file and its one-to-one engineer, through the real API and database. */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('customers: the one-to-one engineer', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  let managerToken: string;
  let engineerId: number;
  let seniorId: number;
  let dispatcherId: number;
  let customerId: number;

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    system = await startTestSystem('customers');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    await users.ensureAdmin(generateToken());
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
    const manager = await users.create({ name: 'Manager', email: 'sm@customers.test', role: 'service_manager' });
    managerToken = await users.issueToken(manager.id, 'test');
    engineerId = (await users.create({ name: 'Wang Gong', email: 'wang@customers.test', role: 'engineer' })).id;
    seniorId = (await users.create({ name: 'Senior', email: 'senior@customers.test', role: 'senior_engineer' })).id;
    dispatcherId = (await users.create({ name: 'Desk', email: 'desk@customers.test', role: 'dispatcher' })).id;
    customerId = (await new CustomersRepository(knex).create({ name: 'Engineer Hospital', contacts: [{ name: 'Li', email: 'li@hospital.test', role: 'lead' }] })).id;
  });

  afterAll(async () => {
    if (app) await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('a service manager assigns, replaces and clears the engineer; the file shows it', async () => {
    const assigned = await call('POST', `/api/customers/${customerId}/engineer`, managerToken, { engineerUserId: engineerId });
    expect(assigned).toMatchObject({ status: 200, body: { id: customerId, engineerUserId: engineerId, contacts: [{ name: 'Li' }] } });
    expect(await new CustomersRepository(system.db.knex).engineerOf(customerId)).toBe(engineerId);

    expect((await call('POST', `/api/customers/${customerId}/engineer`, managerToken, { engineerUserId: seniorId })).body.engineerUserId).toBe(seniorId);
    expect((await call('GET', `/api/customers/${customerId}`, managerToken)).body.engineerUserId).toBe(seniorId);
    expect((await call('DELETE', `/api/customers/${customerId}/engineer`, managerToken)).body.engineerUserId).toBeNull();
    expect(await new CustomersRepository(system.db.knex).engineerOf(customerId)).toBeNull();
  });

  it('refuses a user who is not an active engineer, naming the field and changing nothing', async () => {
    for (const engineerUserId of [dispatcherId, 999_999, null]) {
      const refused = await call('POST', `/api/customers/${customerId}/engineer`, managerToken, { engineerUserId });
      expect(refused).toMatchObject({ status: 400, body: { error: { details: [{ field: 'engineerUserId' }] } } });
    }
    expect((await call('GET', `/api/customers/${customerId}`, managerToken)).body.engineerUserId).toBeNull();
    expect((await call('POST', '/api/customers/999999/engineer', managerToken, { engineerUserId: engineerId })).status).toBe(404);
  });

  it('a deactivated engineer is nobody’s one-to-one engineer any more', async () => {
    const users = new UsersRepository(system.db.knex);
    const leaving = await users.create({ name: 'Leaving', email: 'leaving@customers.test', role: 'engineer' });
    await call('POST', `/api/customers/${customerId}/engineer`, managerToken, { engineerUserId: leaving.id });
    await users.deactivate(leaving.id);
    expect(await new CustomersRepository(system.db.knex).engineerOf(customerId)).toBeNull();
  });
});
