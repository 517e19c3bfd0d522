import { startApi, type ApiHarness } from './harness';

describe('POST /api/users input and conflicts', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });

  afterAll(async () => {
    await api.close();
  });

  const userCount = async () => Number((await api.db.knex('users').count({ n: '*' }))[0]?.n);

  it('names every bad field in one 400 and writes nothing', async () => {
    const before = await userCount();

    const answer = await api.call('POST', '/api/users', { token: api.adminToken, body: { name: 'No Mail', role: 'dealer' } });

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details).toEqual([
      { field: 'email', message: expect.any(String) },
      { field: 'dealerId', message: 'Required when role is dealer' },
    ]);
    expect(await userCount()).toBe(before);
  });

  it.each([
    ['a missing email', { name: 'A', role: 'engineer' }, ['email']],
    ['a bad role', { name: 'A', email: 'a@example.com', role: 'wizard' }, ['role']],
    ['a dealer without dealerId', { name: 'A', email: 'a@example.com', role: 'dealer' }, ['dealerId']],
    ['a bad e-mail and locale', { name: 'A', email: 'nope', role: 'finance', locale: 'fr' }, ['email', 'locale']],
    ['no body at all', undefined, ['body']],
  ])('rejects %s', async (_case, body, fields) => {
    const before = await userCount();

    const answer = await api.call('POST', '/api/users', { token: api.adminToken, body });

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation_failed');
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
    expect(await userCount()).toBe(before);
  });

  it('answers 409 for an e-mail already in use, in any letter case, and keeps one user', async () => {
    const body = { name: 'Zhang San', email: 'zhang.san@example.com', role: 'finance' };
    expect((await api.call('POST', '/api/users', { token: api.adminToken, body })).status).toBe(201);

    const again = await api.call('POST', '/api/users', { token: api.adminToken, body: { ...body, email: 'ZHANG.SAN@example.com' } });

    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const rows = await api.db.knex('users').where({ email: 'zhang.san@example.com' });
    expect(rows).toHaveLength(1);
    expect(await api.db.knex('api_tokens').where({ user_id: rows[0].id })).toHaveLength(1);
  });
});
