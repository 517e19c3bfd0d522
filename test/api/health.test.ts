import { startApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { calendarHealthWarnings } from '../../schedule/calendars/health';
import type { Health } from '../../platform/http/health';
import { CalendarsRepository } from '../../schedule/calendars/repository';
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
      body: { status: 'ok', database: 'up', temporal: 'not_configured', warnings: [] },
    });
  });

  it('is 200 when the Temporal check passes', async () => {
    const health = await healthOf(createApp({ knex: db.knex, health: { temporal: async () => true } }));
    expect(health).toEqual({ status: 200, body: { status: 'ok', database: 'up', temporal: 'up', warnings: [] } });
  });

  it('is 503 when Temporal is down', async () => {
    const health = await healthOf(createApp({ knex: db.knex, health: { temporal: async () => false } }));
    expect(health).toEqual({ status: 503, body: { status: 'degraded', database: 'up', temporal: 'down', warnings: [] } });
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
      expect(health).toEqual({ status: 503, body: { status: 'degraded', database: 'down', temporal: 'not_configured', warnings: [] } });
    } finally {
      await doomed.destroy();
    }
  });

  it('stays 200 and warns about each calendar year a deadline needed until it is loaded', async () => {
    const calendars = new CalendarsRepository(db.knex);
    await calendars.recordMissingYears('cn', [2027, 2028], new Date('2026-12-01T00:00:00Z'));
    try {
      const withCalendars = () => createApp({ knex: db.knex, health: { warnings: calendarHealthWarnings(db.knex) } });
      const health = await healthOf(withCalendars());
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', database: 'up' });
      expect(health.body.warnings).toEqual([
        { code: 'calendar_year_missing', calendar: 'cn', year: 2027, message: expect.stringContaining('PUT /api/calendars/cn/years/2027') },
        { code: 'calendar_year_missing', calendar: 'cn', year: 2028, message: expect.stringContaining('no holidays loaded for 2028') },
      ]);

      await calendars.putYear('cn', 2027, { holidays: ['2027-01-01'], makeupWorkdays: [] }, { userId: null, name: 'test' });
      expect((await healthOf(withCalendars())).body.warnings).toEqual([expect.objectContaining({ calendar: 'cn', year: 2028 })]);
    } finally {
      await db.knex('calendar_missing_years').del();
      await db.knex('calendar_years').where('year', '<>', 2026).del();
    }
  });
});
