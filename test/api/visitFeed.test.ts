/** An engineer's visits as an iCalendar feed: issued, read with its token only, revoked. */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { visitsCalendar } from '../../schedule/calendars/visitFeed';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('visitsCalendar (the feed’s content)', () => {
  const visit = {
    id: 7,
    planId: 3,
    kind: 'inspection',
    // 01:00 in Shanghai on 5 December, still 4 December in UTC.
    dueAt: new Date('2026-12-04T17:00:00Z'),
    windowStart: new Date('2026-11-27T17:00:00Z'),
    windowEnd: new Date('2026-12-11T17:00:00Z'),
    updatedAt: new Date('2026-12-01T00:00:00Z'),
    customerName: 'Ruijin Hospital',
    timeZone: 'Asia/Shanghai',
    address: 'Ruijin Road 2, Shanghai',
  };

  it('writes each open visit as an all-day event on its due date in the customer’s zone, with its window and plan', () => {
    const text = visitsCalendar([visit], { engineerName: 'Wang Gong', locale: 'en', consoleUrl: 'https://care.example' });
    expect(text).toContain('BEGIN:VCALENDAR');
    expect(text).toContain('UID:care-visit-7@aftercare');
    expect(text).toContain('DTSTART;VALUE=DATE:20261205');
    expect(text).toContain('SUMMARY:Inspection: Ruijin Hospital');
    expect(text).toContain('Window: 2026-11-28 – 2026-12-12');
    expect(text).toContain('LOCATION:Ruijin Road 2\\, Shanghai');
    expect(text).toContain('https://care.example/care-plans/3');
  });

  it('speaks the engineer’s language, and an empty list is an empty calendar', () => {
    expect(visitsCalendar([visit], { engineerName: '王工', locale: 'zh-CN', consoleUrl: 'https://care.example' })).toContain('SUMMARY:巡检: Ruijin Hospital');
    const empty = visitsCalendar([], { engineerName: 'Wang Gong', locale: 'en', consoleUrl: 'https://care.example' });
    expect(empty).toContain('END:VCALENDAR');
    expect(empty).not.toContain('BEGIN:VEVENT');
  });
});

describe('GET /api/engineers/:id/visits.ics', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  let engineer: { id: number; token: string };
  let otherEngineer: { id: number; token: string };

  const call = async (method: string, path: string, token?: string): Promise<{ status: number; type: string; text: string }> => {
    const response = await fetch(`${server.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
  };
  const json = (text: string): Json => JSON.parse(text);

  beforeAll(async () => {
    system = await startTestSystem('visit-feed');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    await users.ensureAdmin(generateToken());
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
    const make = async (name: string) => {
      const user = await users.create({ name, email: `${name.toLowerCase().replace(/\W/g, '')}@feed.test`, role: 'engineer', locale: 'en' });
      return { id: user.id, token: await users.issueToken(user.id, 'test') };
    };
    engineer = await make('Wang Gong');
    otherEngineer = await make('Li Gong');
    const customer = await new CustomersRepository(knex).create({ name: 'Feed Hospital', timeZone: 'Asia/Shanghai' });
    const now = new Date();
    const [planId] = await knex('care_plans').insert({ customer_id: customer.id, status: 'active', customer_class: 'regular', anchor_at: now, policy: '{}', contracts: '[]', workflow_id: `care-plan-feed-${Date.now()}`, created_at: now, updated_at: now });
    const visit = (key: string, assignee: number, status: string, dueAt: string) => ({
      plan_id: planId, customer_id: customer.id, task_key: key, kind: 'inspection', status, assignee_user_id: assignee,
      due_at: new Date(dueAt), window_start: new Date(dueAt), window_end: new Date(dueAt), remind_at: new Date(dueAt), created_at: now, updated_at: now,
    });
    await knex('care_visits').insert([
      visit('inspection:1', engineer.id, 'due', '2027-01-10T02:00:00Z'),
      visit('inspection:2', engineer.id, 'done', '2026-11-10T02:00:00Z'),
      visit('inspection:3', otherEngineer.id, 'due', '2027-01-11T02:00:00Z'),
    ]);
  });

  afterAll(async () => {
    if (app) await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('the engineer issues a feed address; it reads their open visits only, as text/calendar, without a bearer token', async () => {
    const issued = await call('POST', `/api/engineers/${engineer.id}/calendar-feed`, engineer.token);
    expect(issued.status).toBe(201);
    const { url, token } = json(issued.text);
    expect(url).toMatch(new RegExp(`/api/engineers/${engineer.id}/visits\\.ics\\?token=`));
    const feed = await call('GET', new URL(url).pathname + new URL(url).search);
    expect(feed.status).toBe(200);
    expect(feed.type).toContain('text/calendar');
    expect(feed.text).toContain('DTSTART;VALUE=DATE:20270110');
    expect(feed.text.match(/BEGIN:VEVENT/g)).toHaveLength(1);
    // The feed token reads this one feed and nothing else: it is no API token.
    expect((await call('GET', '/api/users/me', token)).status).toBe(401);
    expect((await call('GET', `/api/engineers/${otherEngineer.id}/visits.ics?token=${token}`)).status).toBe(404);
    // And an API token is no feed token.
    expect((await call('GET', `/api/engineers/${engineer.id}/visits.ics?token=${engineer.token}`)).status).toBe(404);
  });

  it('a new address revokes the old one, and revoking ends the feed', async () => {
    const first = json((await call('POST', `/api/engineers/${engineer.id}/calendar-feed`, engineer.token)).text).token;
    const second = json((await call('POST', `/api/engineers/${engineer.id}/calendar-feed`, engineer.token)).text).token;
    expect((await call('GET', `/api/engineers/${engineer.id}/visits.ics?token=${first}`)).status).toBe(404);
    expect((await call('GET', `/api/engineers/${engineer.id}/visits.ics?token=${second}`)).status).toBe(200);
    const revoked = await call('DELETE', `/api/engineers/${engineer.id}/calendar-feed`, engineer.token);
    expect(json(revoked.text)).toEqual({ revoked: true });
    expect((await call('GET', `/api/engineers/${engineer.id}/visits.ics?token=${second}`)).status).toBe(404);
    expect(json((await call('DELETE', `/api/engineers/${engineer.id}/calendar-feed`, engineer.token)).text)).toEqual({ revoked: false });
    expect((await call('GET', `/api/engineers/${engineer.id}/visits.ics`)).status).toBe(404);
  });

  it('nobody issues or revokes another engineer’s feed', async () => {
    expect((await call('POST', `/api/engineers/${otherEngineer.id}/calendar-feed`, engineer.token)).status).toBe(404);
    expect((await call('DELETE', `/api/engineers/${otherEngineer.id}/calendar-feed`, engineer.token)).status).toBe(404);
  });

  it('a deactivated engineer’s feed reads nothing', async () => {
    const token = json((await call('POST', `/api/engineers/${otherEngineer.id}/calendar-feed`, otherEngineer.token)).text).token;
    expect((await call('GET', `/api/engineers/${otherEngineer.id}/visits.ics?token=${token}`)).status).toBe(200);
    await new UsersRepository(system.db.knex).deactivate(otherEngineer.id);
    expect((await call('GET', `/api/engineers/${otherEngineer.id}/visits.ics?token=${token}`)).status).toBe(404);
  });
});
