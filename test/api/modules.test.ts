import { apiModule, defineRoute, z, type AuditTarget } from '../../platform/http';
import { ConflictError, NotFoundError } from '../../platform/db/errors';
import { startApi, type ApiHarness } from './harness';

/** A feature module the way later features plug in: routes declared once, passed as `routers`. */
const widgets = apiModule(
  defineRoute(
    {
      method: 'post',
      path: '/widgets/:id/parts',
      roles: ['engineer', 'admin'],
      access: { rule: 'self' },
      summary: 'Add parts to a widget',
      params: z.object({ id: z.coerce.number().int().positive() }),
      query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
      body: z.object({ parts: z.array(z.object({ serial: z.string().min(3), quantity: z.number().int().positive() })).min(1) }),
      responses: { 201: { description: 'Added', body: z.object({ widgetId: z.number(), added: z.number(), dryRun: z.boolean() }) } },
    },
    async ({ params, query, body, res }) => {
      res.locals.audit = { entityType: 'widget', entityId: params.id } satisfies AuditTarget;
      return { status: 201, body: { widgetId: params.id, added: body.parts.length, dryRun: query.dryRun === 'true' } };
    },
  ),
  defineRoute(
    { method: 'get', path: '/widgets/:id', roles: 'public', access: { rule: 'public' }, summary: 'Fails in each known way', params: z.object({ id: z.string() }), responses: { 200: { description: 'Never' } } },
    async ({ params }) => {
      if (params.id === 'missing') throw new NotFoundError('Widget missing not found');
      if (params.id === 'taken') throw new ConflictError('Widget taken is taken');
      throw new Error('database password is hunter2');
    },
  ),
);

describe('API plumbing: modules, validation, errors', () => {
  let api: ApiHarness;
  let engineerToken: string;

  beforeAll(async () => {
    api = await startApi({ routers: [widgets] });
    const engineer = await api.users.create({ name: 'Eng', email: 'eng@example.com', role: 'engineer' });
    engineerToken = await api.users.issueToken(engineer.id, 'test');
  });

  afterAll(async () => {
    await api.close();
  });

  it('serves a feature module with typed params, query and body', async () => {
    const answer = await api.call('POST', '/api/widgets/42/parts?dryRun=true', { token: engineerToken, body: { parts: [{ serial: 'SN-1', quantity: 2 }] } });

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ widgetId: 42, added: 1, dryRun: true });
  });

  it('names bad fields in params, query and nested body paths together', async () => {
    const answer = await api.call('POST', '/api/widgets/abc/parts?dryRun=maybe', {
      token: engineerToken,
      body: { parts: [{ serial: 'SN-1', quantity: 1 }, { serial: 'x', quantity: 0 }] },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual(['id', 'dryRun', 'parts.1.serial', 'parts.1.quantity']);
  });

  it('checks the role before the input, so strangers learn nothing about the schema', async () => {
    const answer = await api.call('POST', '/api/widgets/abc/parts', { body: {} });
    expect(answer.status).toBe(401);
  });

  it('answers 400 invalid_json for a malformed body', async () => {
    const answer = await api.call('POST', '/api/users', { token: api.adminToken, rawBody: '{"name": "oops",' });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: 'invalid_json', message: expect.any(String), details: [{ field: 'body', message: 'must be a JSON object' }] } });
  });

  it('answers 404 JSON for an unknown /api route', async () => {
    const answer = await api.call('GET', '/api/no-such-thing', { token: api.adminToken });

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: { code: 'not_found', message: expect.stringContaining('/api/no-such-thing'), details: [] } });
  });

  it('maps NotFoundError to 404 and ConflictError to 409', async () => {
    expect((await api.call('GET', '/api/widgets/missing')).body.error.code).toBe('not_found');
    expect((await api.call('GET', '/api/widgets/missing')).status).toBe(404);
    expect((await api.call('GET', '/api/widgets/taken')).status).toBe(409);
  });

  it('answers 500 internal with a generic message and logs the error', async () => {
    const answer = await api.call('GET', '/api/widgets/boom', { headers: { 'x-request-id': 'req-boom-1' } });

    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('internal');
    expect(JSON.stringify(answer.body)).not.toContain('hunter2');
    expect(answer.headers.get('x-request-id')).toBe('req-boom-1');
    expect(api.logged).toContainEqual([expect.stringContaining('req-boom-1'), expect.objectContaining({ message: 'database password is hunter2' })]);
  });

  it('echoes a sane X-Request-Id and replaces anything else', async () => {
    expect((await api.call('GET', '/api/openapi.json', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    const replaced = (await api.call('GET', '/api/openapi.json', { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get('x-request-id');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });
});
