import { startApi, type ApiHarness } from './harness';

describe('audit trail of API requests', () => {
  let api: ApiHarness;

  beforeEach(async () => {
    api = await startApi();
  });

  afterEach(async () => {
    await api.close();
  });

  it('records a successful POST with actor, action, entity, status and request id', async () => {
    const admin = await api.users.getByEmail('admin@localhost');
    const created = await api.call('POST', '/api/users', {
      token: api.adminToken,
      headers: { 'x-request-id': 'req-create-1' },
      body: { name: 'Wang Fang', email: 'wang.fang@example.com', role: 'dispatcher' },
    });
    expect(created.status).toBe(201);

    const [row, ...others] = await api.auditRows(1);

    expect(others).toEqual([]);
    expect(row).toMatchObject({
      actorUserId: admin!.id,
      actorRole: 'admin',
      action: 'POST /api/users',
      entityType: 'user',
      entityId: String(created.body.user.id),
      requestId: 'req-create-1',
      statusCode: 201,
      details: expect.objectContaining({ path: '/api/users' }),
    });
    expect(row!.at).toBeInstanceOf(Date);
  });

  it('records rejected POSTs too, with their status and error code', async () => {
    await api.call('POST', '/api/users', { body: { name: 'Anon' } });
    await api.call('POST', '/api/users', { token: api.adminToken, body: { name: 'No Mail', role: 'finance' } });
    await api.call('POST', '/api/users', { token: api.adminToken, rawBody: '{' });

    const rows = (await api.auditRows(3)).reverse();

    expect(rows.map((r) => [r.statusCode, r.details.error, r.actorRole])).toEqual([
      [401, 'unauthenticated', null],
      [400, 'validation_failed', 'admin'],
      [400, 'invalid_json', 'admin'],
    ]);
    expect(rows.every((r) => r.action === 'POST /api/users' && r.entityId === null)).toBe(true);
    const generatedIds = new Set(rows.map((r) => r.requestId));
    expect(generatedIds.size).toBe(3);
  });

  it('records nothing for GETs', async () => {
    await api.call('GET', '/api/users/me', { token: api.adminToken });
    await api.call('GET', '/api/openapi.json');
    await api.call('GET', '/api/nowhere');
    await api.call('DELETE', '/api/nowhere', { token: api.adminToken });

    const rows = await api.auditRows(1);

    expect(rows.map((r) => [r.action, r.statusCode])).toEqual([['DELETE /api/nowhere', 404]]);
  });

  it('logs a failed audit write without failing the request', async () => {
    await api.db.knex.schema.dropTable('audit_log');

    const created = await api.call('POST', '/api/users', { token: api.adminToken, body: { name: 'A', email: 'a@example.com', role: 'finance' } });

    expect(created.status).toBe(201);
    const deadline = Date.now() + 5000;
    while (api.logged.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(api.logged).toEqual([[expect.stringContaining('audit write failed'), expect.anything()]]);
  });
});
