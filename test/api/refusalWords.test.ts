/**
 * The API's own refusals outside the processes are words (issue #20): a reader who asks for Chinese
 * (Accept-Language: zh-CN) gets them in Chinese, anyone else as before in English.
 */
import { startApi, type ApiHarness } from './harness';
import { calendarsModule } from '../../schedule/calendars/routes';
import { customersModule } from '../../installedBase/routes';

describe('refusals outside the processes, in the reader’s language', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi({ routers: [calendarsModule, customersModule] });
  });

  afterAll(async () => {
    await api.close();
  });

  const zh = { 'accept-language': 'zh-CN' };

  it('a record not found, an unknown endpoint, a missing token', async () => {
    const missing = await api.call('GET', '/api/customers/999999', { token: api.adminToken, headers: zh });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('没有客户 999999');
    expect((await api.call('GET', '/api/customers/999999', { token: api.adminToken })).body.error.message).toBe('no customer 999999');

    const endpoint = await api.call('GET', '/api/no-such-thing', { token: api.adminToken, headers: zh });
    expect(endpoint.status).toBe(404);
    expect(endpoint.body.error.message).toBe('没有此接口：GET /api/no-such-thing');

    const anonymous = await api.call('GET', '/api/users/me', { headers: zh });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.message).toBe('此接口需要 `Authorization: Bearer <token>` 请求头');
  });

  it('a role that may not act, a name taken, a calendar unknown', async () => {
    const engineer = await api.users.create({ name: 'Eng', email: 'eng-words@example.com', role: 'engineer' });
    const token = await api.users.issueToken(engineer.id, 'test');
    const refused = await api.call('POST', '/api/users', { token, headers: zh, body: { name: 'X', email: 'x-words@example.com', role: 'engineer' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/^角色 engineer 无权/);

    const dealer = { name: 'Words Trading' };
    expect((await api.call('POST', '/api/dealers', { token: api.adminToken, body: dealer })).status).toBe(201);
    const taken = await api.call('POST', '/api/dealers', { token: api.adminToken, headers: zh, body: dealer });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toBe('名为 Words Trading 的经销商已存在');
    const takenEn = await api.call('POST', '/api/dealers', { token: api.adminToken, body: dealer });
    expect(takenEn.body.error.message).toBe('A dealer named Words Trading already exists');

    const user = { name: 'Twice', email: 'twice-words@example.com', role: 'engineer' };
    expect((await api.call('POST', '/api/users', { token: api.adminToken, body: user })).status).toBe(201);
    const twice = await api.call('POST', '/api/users', { token: api.adminToken, headers: zh, body: user });
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toBe('电子邮箱为 twice-words@example.com 的用户已存在');

    const calendar = await api.call('GET', '/api/calendars/nowhere', { token: api.adminToken, headers: zh });
    expect(calendar.status).toBe(404);
    expect(calendar.body.error.message).toBe('没有日历“nowhere”');
    expect((await api.call('GET', '/api/calendars/nowhere', { token: api.adminToken })).body.error.message).toBe("No calendar 'nowhere'");
  });

  it('a calendar year’s problems', async () => {
    const bad = await api.call('PUT', '/api/calendars/cn/years/2027', { token: api.adminToken, headers: zh, body: { holidays: [], makeupWorkdays: ['2027-01-29'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'validation_failed', message: '以下字段无效：makeupWorkdays.0', details: [{ field: 'makeupWorkdays.0', message: '2027-01-29 是星期五，本就是工作日；调休上班日必须是周末' }] });
    const badEn = await api.call('PUT', '/api/calendars/cn/years/2027', { token: api.adminToken, body: { holidays: [], makeupWorkdays: ['2027-01-29'] } });
    expect(badEn.body.error.details).toEqual([{ field: 'makeupWorkdays.0', message: '2027-01-29 is a Friday, a working day already; a make-up working day must be a weekend day' }]);
  });
});
