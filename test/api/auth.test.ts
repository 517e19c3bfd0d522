import { startApi, type Answer, type ApiHarness } from './harness';

describe('API authentication and roles', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });

  afterAll(async () => {
    await api.close();
  });

  const expectError = (answer: Answer, status: number, code: string) => {
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error: { code, message: expect.any(String), details: expect.anything() } });
  };

  it('answers 401 without a token', async () => {
    expectError(await api.call('GET', '/api/users/me'), 401, 'unauthenticated');
  });

  it('answers 401 with an unknown token and with a non-bearer header', async () => {
    expectError(await api.call('GET', '/api/users/me', { token: 'ac_not-a-real-token' }), 401, 'unauthenticated');
    expectError(await api.call('GET', '/api/users/me', { headers: { authorization: `Basic ${api.adminToken}` } }), 401, 'unauthenticated');
  });

  it('answers 401 with a revoked token', async () => {
    const user = await api.users.create({ name: 'Revoked', email: 'revoked@example.com', role: 'engineer' });
    const token = await api.users.issueToken(user.id, 'test');
    expect((await api.call('GET', '/api/users/me', { token })).status).toBe(200);

    await api.users.revokeToken(token);

    expectError(await api.call('GET', '/api/users/me', { token }), 401, 'unauthenticated');
  });

  it('answers 403 when the role may not do it', async () => {
    const engineer = await api.users.create({ name: 'Eng', email: 'eng@example.com', role: 'engineer' });
    const token = await api.users.issueToken(engineer.id, 'test');

    const answer = await api.call('POST', '/api/users', { token, body: { name: 'X', email: 'x@example.com', role: 'engineer' } });

    expectError(answer, 403, 'forbidden');
    expect(await api.users.getByEmail('x@example.com')).toBeNull();
  });

  it('lets an admin create a user whose token then identifies them', async () => {
    const dealer = await api.call('POST', '/api/dealers', { token: api.adminToken, body: { name: 'Jiangxi Medical Trading' } });
    expect(dealer.status).toBe(201);
    const created = await api.call('POST', '/api/users', {
      token: api.adminToken,
      body: { name: 'Li Wei', email: 'Li.Wei@Example.com', role: 'dealer', dealerId: dealer.body.id, locale: 'zh-CN' },
    });

    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^ac_[A-Za-z0-9_-]{43}$/);
    expect(created.body.user).toEqual({
      id: expect.any(Number),
      name: 'Li Wei',
      email: 'li.wei@example.com',
      role: 'dealer',
      locale: 'zh-CN',
      timeZone: null,
      dealerId: dealer.body.id,
      customerId: null,
      active: true,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });

    const me = await api.call('GET', '/api/users/me', { token: created.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(created.body.user);
  });

  it('identifies the bootstrap admin', async () => {
    const me = await api.call('GET', '/api/users/me', { token: api.adminToken });
    expect(me.body).toMatchObject({ email: 'admin@localhost', role: 'admin' });
  });
});
