/** GET/PUT /api/policy-layers: roles, validation naming `policy.<path>`, the resolved-policy check, 404s and the audit trail. */
import { policyLayersApi } from '../../schedule/policies/routes';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { startApi, type ApiHarness } from './harness';

describe('policy layers API', () => {
  let api: ApiHarness;
  let managerToken: string;
  let pmToken: string;

  beforeAll(async () => {
    api = await startApi({ routers: [policyLayersApi] });
    const manager = await api.users.create({ name: 'Liu Yang', email: 'sm@maker.test', role: 'service_manager' });
    managerToken = await api.users.issueToken(manager.id, 'test');
    const pm = await api.users.create({ name: 'Zhang Wei', email: 'pm@maker.test', role: 'project_manager' });
    pmToken = await api.users.issueToken(pm.id, 'test');
  });

  afterAll(async () => {
    await api.close();
  });

  beforeEach(async () => {
    await api.db.knex('policy_layers').delete();
  });

  const put = (path: string, body: unknown, token = managerToken) => api.call('PUT', `/api/policy-layers/${path}`, { token, body });
  const layers = () => new PolicyLayersRepository(api.db.knex).list();

  it('creates (201), replaces (200), reads one and lists them; admin may too', async () => {
    const created = await put('model/DR-7000', { policy: { delivery: { trialRun: 'P2M' } } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ scope: 'model', key: 'DR-7000', policy: { delivery: { trialRun: 'P2M' } }, updatedAt: expect.any(String) });

    const replaced = await put('model/DR-7000', { policy: { warranty: { length: 'P24M' } } }, api.adminToken);
    expect(replaced.status).toBe(200);
    expect(replaced.body.policy).toEqual({ warranty: { length: 'P24M' } });

    await put('customer_class/key', { policy: { doa: { returnWithin: { workingDays: 10 } } } });
    const one = await api.call('GET', '/api/policy-layers/model/DR-7000', { token: managerToken });
    expect(one.status).toBe(200);
    expect(one.body.policy).toEqual({ warranty: { length: 'P24M' } });

    const all = await api.call('GET', '/api/policy-layers', { token: api.adminToken });
    expect(all.status).toBe(200);
    expect(all.body.layers.map((l: { scope: string; key: string }) => `${l.scope}/${l.key}`)).toEqual(['customer_class/key', 'model/DR-7000']);
  });

  it('answers 404 for a layer that is not stored', async () => {
    const answer = await api.call('GET', '/api/policy-layers/template/default', { token: managerToken });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
  });

  it('refuses other roles (403) and anonymous callers (401), writing nothing', async () => {
    expect((await put('template/default', { policy: {} }, pmToken)).status).toBe(403);
    expect((await api.call('GET', '/api/policy-layers', { token: pmToken })).status).toBe(403);
    expect((await api.call('PUT', '/api/policy-layers/template/default', { body: { policy: {} } })).status).toBe(401);
    expect(await layers()).toEqual([]);
  });

  it.each([
    ['a bad duration', { policy: { delivery: { trialRun: 'three months' } } }, ['policy.delivery.trialRun']],
    ['an unknown policy field', { policy: { delivery: { trialRunz: 'P3M' } } }, ['policy.delivery.trialRunz']],
    ['a calendar given as data instead of its key', { policy: { calendar: { timeZone: 'Mars/Olympus' } } }, ['policy.calendar']],
    ['a body without policy', {}, ['policy']],
    ['a policy that is not an object', { policy: 'P3M' }, ['policy']],
    ['an extra field', { policy: {}, note: 'x' }, ['note']],
  ])('refuses %s with a 400 naming the field, writing nothing', async (_case, body, fields) => {
    const answer = await put('template/default', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
    expect(await layers()).toEqual([]);
  });

  it.each([
    ['an unknown scope', 'contract/HT-1', 'scope'],
    ['an unknown customer class', 'customer_class/vip', 'key'],
  ])('refuses %s in the path', async (_case, path, field) => {
    const answer = await put(path, { policy: {} });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
    expect(await layers()).toEqual([]);
  });

  it('stores a layer that names a calendar by key, and the resolved policy uses it', async () => {
    expect((await put('template/default', { policy: { calendar: 'weekends', delivery: { trialRun: 'P2M' } } })).status).toBe(201);
    const stored = await api.call('GET', '/api/policy-layers/template/default', { token: managerToken });
    expect(stored.body.policy).toEqual({ calendar: 'weekends', delivery: { trialRun: 'P2M' } });
    await api.db.knex('policy_layers').delete();
  });

  it('is in the OpenAPI document with its roles and body', async () => {
    const document = (await api.call('GET', '/api/openapi.json')).body;
    const item = document.paths['/api/policy-layers/{scope}/{key}'];
    expect(item.put['x-roles']).toEqual(['admin', 'service_manager']);
    expect(item.put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/PolicyLayerBody' });
    expect(item.get.responses['404']).toBeDefined();
    expect(document.paths['/api/policy-layers'].get).toBeDefined();
  });

  it('audits every write, refused ones included, naming the layer', async () => {
    const before = (await api.auditRows(0)).length;
    const answer = await put('customer_class/regular', { policy: { delivery: { trialMaxExtensions: 1 } } });
    expect(answer.status).toBe(201);
    await put('customer_class/regular', { policy: { delivery: { trialMaxExtensions: 99 } } });
    const rows = (await api.auditRows(before + 2)).slice(0, 2);
    expect(rows.map((r) => [r.action, r.entityType, r.entityId, r.statusCode])).toEqual([
      ['PUT /api/policy-layers/:scope/:key', 'policy_layer', 'customer_class/regular', 400],
      ['PUT /api/policy-layers/:scope/:key', 'policy_layer', 'customer_class/regular', 201],
    ]);
  });
});
