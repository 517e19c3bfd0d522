import { createApp, startApiServer } from '../../api';
import type { Health } from '../../api/health';
import { createTestDatabase, type TestDatabase } from '../support/db';

describe('GET /healthz', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.destroy();
  });

  async function healthOf(app: ReturnType<typeof createApp>) {
    const server = await startApiServer(app, 0);
    try {
      const response = await fetch(`${server.url}/healthz`);
      return { status: response.status, body: (await response.json()) as Health };
    } finally {
      await server.close();
    }
  }

  it('is 200 with the database up and Temporal not configured', async () => {
    expect(await healthOf(createApp({ knex: db.knex }))).toEqual({
      status: 200,
      body: { status: 'ok', database: 'up', temporal: 'not_configured' },
    });
  });

  it('is 200 when the Temporal check passes', async () => {
    const health = await healthOf(createApp({ knex: db.knex, health: { temporal: async () => true } }));
    expect(health).toEqual({ status: 200, body: { status: 'ok', database: 'up', temporal: 'up' } });
  });

  it('is 503 when Temporal is down', async () => {
    const health = await healthOf(createApp({ knex: db.knex, health: { temporal: async () => false } }));
    expect(health).toEqual({ status: 503, body: { status: 'degraded', database: 'up', temporal: 'down' } });
  });

  it('is 503 when the Temporal check throws', async () => {
    const health = await healthOf(createApp({ knex: db.knex, health: { temporal: () => Promise.reject(new Error('unreachable')) } }));
    expect(health.status).toBe(503);
    expect(health.body.temporal).toBe('down');
  });

  it('is 503 when the database is gone', async () => {
    const doomed = await createTestDatabase();
    await doomed.knex.destroy();
    try {
      const health = await healthOf(createApp({ knex: doomed.knex, logger: { error: () => undefined } }));
      expect(health).toEqual({ status: 503, body: { status: 'degraded', database: 'down', temporal: 'not_configured' } });
    } finally {
      await doomed.destroy();
    }
  });
});
