import { apiModule, defineRoute, z } from '../../platform/http';
import { startApi, type ApiHarness, type Json } from './harness';

/** Every `$ref` in the document points at something that exists. */
function unresolvedRefs(document: Json): string[] {
  const missing: string[] = [];
  const visit = (node: Json): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') {
      const target = node.$ref
        .replace(/^#\//, '')
        .split('/')
        .reduce((at: Json, key: string) => (at === undefined ? undefined : at[key]), document);
      if (target === undefined) missing.push(node.$ref);
    }
    Object.values(node).forEach(visit);
  };
  visit(document);
  return missing;
}

function resolve(document: Json, schema: Json): Json {
  return schema?.$ref ? resolve(document, schema.$ref.replace(/^#\//, '').split('/').reduce((at: Json, key: string) => at[key], document)) : schema;
}

describe('GET /api/openapi.json', () => {
  let api: ApiHarness;
  let document: Json;

  beforeAll(async () => {
    const extra = apiModule(
      defineRoute(
        { method: 'get', path: '/things/:thingId', roles: ['dispatcher'], access: { rule: 'self' }, summary: 'A thing', params: z.object({ thingId: z.string() }), responses: { 200: { description: 'The thing' } } },
        async () => ({ status: 200 }),
      ),
    );
    api = await startApi({ routers: [extra] });
    const answer = await api.call('GET', '/api/openapi.json');
    expect(answer.status).toBe(200);
    document = answer.body;
  });

  afterAll(async () => {
    await api.close();
  });

  it('is an OpenAPI 3.1 document whose references all resolve', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
    expect(unresolvedRefs(document)).toEqual([]);
    for (const [path, item] of Object.entries<Json>(document.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const operation of Object.values<Json>(item)) expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
    }
  });

  it('declares the bearer scheme and uses it on protected operations only', () => {
    expect(document.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(document.paths['/api/users'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/healthz'].get.security).toBeUndefined();
  });

  it('describes POST /api/users from the same schema that validates it', () => {
    const operation = document.paths['/api/users'].post;
    const schema = resolve(document, operation.requestBody.content['application/json'].schema);

    expect(schema.properties.email).toEqual(expect.objectContaining({ type: 'string', format: 'email' }));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'email', 'role']));
    expect(resolve(document, schema.properties.role).enum).toContain('technical_appraiser');
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409']));
    expect(operation['x-roles']).toEqual(['admin']);
  });

  it('turns express path parameters into OpenAPI ones', () => {
    const operation = document.paths['/api/things/{thingId}'].get;
    expect(operation.parameters).toEqual([expect.objectContaining({ name: 'thingId', in: 'path', required: true })]);
  });
});
