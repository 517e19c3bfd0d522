import { calendarsModule } from '../../schedule/calendars/routes';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { CN_STATUTORY_YEARS } from '../../domain';
import { startApi, type ApiHarness, type Json } from './harness';

const YEAR_2027 = {
  holidays: ['2027-01-01', '2027-02-06', '2027-02-07', '2027-02-08'],
  makeupWorkdays: ['2027-01-30'],
  source: '国务院办公厅关于2027年部分节假日安排的通知',
};

describe('calendars API', () => {
  let api: ApiHarness;
  let managerToken: string;
  let engineerToken: string;
  let calendars: CalendarsRepository;

  const put = (path: string, body: unknown, token = api.adminToken) => api.call('PUT', path, { token, body });
  const storedYears = async () => (await calendars.years('cn')).map((y) => y.year);

  beforeAll(async () => {
    api = await startApi({ routers: [calendarsModule] });
    calendars = new CalendarsRepository(api.db.knex);
    const manager = await api.users.create({ name: 'Liu Yang', email: 'liu.yang@maker.test', role: 'service_manager' });
    managerToken = await api.users.issueToken(manager.id, 'test');
    const engineer = await api.users.create({ name: 'Chen Jie', email: 'chen.jie@maker.test', role: 'engineer' });
    engineerToken = await api.users.issueToken(engineer.id, 'test');
  });

  afterAll(async () => {
    await api.close();
  });

  beforeEach(async () => {
    await api.db.knex('calendar_missing_years').del();
    await api.db.knex('calendar_years').where('year', '<>', 2026).del();
  });

  it('lists the calendars with the years loaded and missing, to every signed-in user', async () => {
    const expected = [
      { key: 'cn', name: expect.any(String), timeZone: 'Asia/Shanghai', weekendDays: [6, 7], yearlyData: true, yearsLoaded: [2026], yearsMissing: [] },
      { key: 'weekends', name: expect.any(String), timeZone: 'UTC', weekendDays: [6, 7], yearlyData: false, yearsLoaded: [], yearsMissing: [] },
    ];
    expect(await api.call('GET', '/api/calendars', { token: api.adminToken })).toMatchObject({ status: 200, body: expected });
    expect(await api.call('GET', '/api/calendars', { token: managerToken })).toMatchObject({ status: 200, body: expected });
    // Reference data: every signed-in user counts working days on it.
    expect(await api.call('GET', '/api/calendars', { token: engineerToken })).toMatchObject({ status: 200, body: expected });
    expect((await api.call('GET', '/api/calendars')).status).toBe(401);
  });

  it('reads one calendar with its years, and 404 for an unknown key', async () => {
    const answer = await api.call('GET', '/api/calendars/cn', { token: managerToken });
    expect(answer.status).toBe(200);
    expect(answer.body.years).toEqual([
      expect.objectContaining({ calendar: 'cn', year: 2026, holidays: [...CN_STATUTORY_YEARS[2026]!.holidays], makeupWorkdays: [...CN_STATUTORY_YEARS[2026]!.makeupWorkdays] }),
    ]);
    expect((await api.call('GET', '/api/calendars/xx', { token: managerToken })).body.error.code).toBe('not_found');
  });

  it('shows a year a deadline needed as missing until an admin loads it, audited', async () => {
    await calendars.recordMissingYears('cn', [2027], new Date('2026-12-01T00:00:00Z'));
    expect((await api.call('GET', '/api/calendars/cn', { token: api.adminToken })).body).toMatchObject({ yearsLoaded: [2026], yearsMissing: [2027] });

    const answer = await put('/api/calendars/cn/years/2027', YEAR_2027);

    expect(answer.status).toBe(200);
    // No Temporal in this app: nobody could be told, and the answer says so.
    expect(answer.body).toEqual({
      year: { calendar: 'cn', year: 2027, ...YEAR_2027, notes: null, updatedAt: expect.any(String), updatedBy: { userId: expect.any(Number), name: 'Administrator' } },
      processesTold: 0,
      allProcessesTold: false,
    });
    expect((await api.call('GET', '/api/calendars/cn', { token: api.adminToken })).body).toMatchObject({ yearsLoaded: [2026, 2027], yearsMissing: [] });
    const [row] = await api.auditRows(1);
    expect(row).toMatchObject({ action: 'PUT /api/calendars/:key/years/:year', entityType: 'calendar_year', entityId: 'cn:2027', statusCode: 200, actorRole: 'admin' });
  });

  it('replaces a year wholly when it is corrected', async () => {
    await put('/api/calendars/cn/years/2027', YEAR_2027);
    const corrected = await put('/api/calendars/cn/years/2027', { holidays: ['2027-01-01'], makeupWorkdays: [] });
    expect(corrected.status).toBe(200);
    expect(await calendars.getYear('cn', 2027)).toMatchObject({ holidays: ['2027-01-01'], makeupWorkdays: [], source: null });
  });

  it.each<[string, string, Json, string]>([
    ['a year that is not a number', '/api/calendars/cn/years/next', YEAR_2027, 'year'],
    ['a year out of range', '/api/calendars/cn/years/1999', { holidays: [], makeupWorkdays: [] }, 'year'],
    ['a date that does not exist', '/api/calendars/cn/years/2027', { holidays: ['2027-01-01', '2027-02-30'], makeupWorkdays: [] }, 'holidays.1'],
    ['a date of another year', '/api/calendars/cn/years/2027', { holidays: ['2026-12-31'], makeupWorkdays: [] }, 'holidays.0'],
    ['a day both off and worked', '/api/calendars/cn/years/2027', { holidays: ['2027-01-30'], makeupWorkdays: ['2027-01-30'] }, 'makeupWorkdays.0'],
    ['a make-up day on a weekday', '/api/calendars/cn/years/2027', { holidays: [], makeupWorkdays: ['2027-01-29'] }, 'makeupWorkdays.0'],
    ['a date that is not a string', '/api/calendars/cn/years/2027', { holidays: [20270101], makeupWorkdays: [] }, 'holidays.0'],
    ['a missing list', '/api/calendars/cn/years/2027', { holidays: [] }, 'makeupWorkdays'],
    ['an unknown field', '/api/calendars/cn/years/2027', { holidays: [], makeupWorkdays: [], region: 'north' }, 'region'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_what, path, body, field) => {
    const answer = await put(path, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await storedYears()).toEqual([2026]);
  });

  it('lets only admins load a year, refuses an unknown calendar and the weekends-only one', async () => {
    expect((await put('/api/calendars/cn/years/2027', YEAR_2027, managerToken)).status).toBe(403);
    expect((await put('/api/calendars/mars/years/2027', YEAR_2027)).status).toBe(404);
    expect(await put('/api/calendars/weekends/years/2027', { holidays: [], makeupWorkdays: [] })).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect(await storedYears()).toEqual([2026]);
    expect(await api.db.knex('calendar_years').whereNot({ calendar_key: 'cn' })).toHaveLength(0);
  });

  it('documents the endpoints in the OpenAPI document', async () => {
    const document = (await api.call('GET', '/api/openapi.json')).body;
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/calendars', '/api/calendars/{key}', '/api/calendars/{key}/years/{year}']));
    expect(document.paths['/api/calendars/{key}/years/{year}'].put['x-roles']).toEqual(['admin']);
  });
});
