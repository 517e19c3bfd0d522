/**
 * Machine tokens over HTTP: made with a name, a role no higher than the maker's and an expiry, shown
 * once, listed with their last use, revoked; refused past expiry, once revoked, and once their
 * holder is deactivated. No Temporal needed.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, type TestDatabase } from '../support/db';

const DAY = 86_400_000;

let db: TestDatabase;
let server: ApiServer;
let adminToken: string;
let managerToken: string;
const answers: string[] = [];

async function api(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const users = new UsersRepository(db.knex);
  adminToken = 'ac_machine-tokens-test-admin-0001';
  await users.ensureAdmin(adminToken);
  const manager = await users.create({ name: 'Token Maker', email: 'maker@tokens.test', role: 'service_manager', locale: 'en' });
  managerToken = await users.issueToken(manager.id, 'test');
  server = await startApiServer(createApp({ knex: db.knex, tokenLifetimes: { defaultMs: 90 * DAY, maxMs: 365 * DAY } }), 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

describe('machine tokens', () => {
  it('are made with a name, the maker’s role by default, 90 days; shown once, listed with their last use', async () => {
    const made = await api('POST', '/tokens', managerToken, { name: 'ERP sync' });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^ac_/);
    expect(made.body.record).toMatchObject({ label: 'ERP sync', role: 'service_manager', state: 'live', live: true, lastUsedAt: null });
    expect(Date.parse(made.body.record.expiresAt) - Date.now()).toBeGreaterThan(89 * DAY);
    expect(Date.parse(made.body.record.expiresAt) - Date.now()).toBeLessThanOrEqual(90 * DAY);
    expect((await api('GET', '/users/me', made.body.token)).body).toMatchObject({ email: 'maker@tokens.test', role: 'service_manager' });
    const listed = await api('GET', '/tokens', managerToken);
    expect(listed.status).toBe(200);
    const record = listed.body.tokens.find((t: { id: number }) => t.id === made.body.record.id);
    expect(record.lastUsedAt).not.toBeNull();
    // Shown once: no list carries it.
    expect(JSON.stringify(listed.body)).not.toContain(made.body.token);
  });

  it('act with the maker’s own role only (roles do not nest); any other is refused naming the field, in the reader’s language', async () => {
    const narrow = await api('POST', '/tokens', managerToken, { name: 'dispatch board', role: 'service_manager', expiresInDays: 7 });
    expect(narrow.status).toBe(201);
    expect(Date.parse(narrow.body.record.expiresAt) - Date.now()).toBeLessThanOrEqual(7 * DAY);
    expect((await api('GET', '/users/me', narrow.body.token)).body.role).toBe('service_manager');
    const before = await db.knex('api_tokens').count({ n: '*' }).first();
    // Ranked below, yet reaching what a service manager cannot (claims, dealer sales).
    const below = await api('POST', '/tokens', managerToken, { name: 'claims feed', role: 'sales_clerk' });
    expect(below.status).toBe(403);
    expect(below.body.error.details).toEqual([expect.objectContaining({ field: 'role' })]);
    const above = await api('POST', '/tokens', managerToken, { name: 'too much', role: 'admin' });
    expect(above.status).toBe(403);
    expect(above.body.error.details).toEqual([expect.objectContaining({ field: 'role' })]);
    const beside = await api('POST', '/tokens', managerToken, { name: 'books', role: 'finance' }, { 'accept-language': 'zh-CN' });
    expect(beside.status).toBe(403);
    expect(beside.body.error.message).toContain('令牌不能使用角色');
    const tooLong = await api('POST', '/tokens', managerToken, { name: 'forever', expiresInDays: 366 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.details).toEqual([expect.objectContaining({ field: 'expiresInDays' })]);
    const noName = await api('POST', '/tokens', managerToken, { role: 'engineer' });
    expect(noName.status).toBe(400);
    expect(JSON.stringify(noName.body.error.details)).toContain('name');
    // A token cannot mint one of another role either.
    expect((await api('POST', '/tokens', narrow.body.token, { name: 'escalate', role: 'admin' })).status).toBe(403);
    expect(await db.knex('api_tokens').count({ n: '*' }).first()).toEqual(before);
  });

  it('stop working when revoked (by their maker, not by another), or past their expiry', async () => {
    const made = await api('POST', '/tokens', managerToken, { name: 'to revoke' });
    const other = await new UsersRepository(db.knex).create({ name: 'Other', email: 'other@tokens.test', role: 'service_manager' });
    const otherToken = await new UsersRepository(db.knex).issueToken(other.id, 'test');
    expect((await api('DELETE', `/tokens/${made.body.record.id}`, otherToken)).status).toBe(404);
    const revoked = await api('DELETE', `/tokens/${made.body.record.id}`, managerToken);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: 'revoked', live: false });
    expect((await api('GET', '/users/me', made.body.token)).status).toBe(401);
    expect((await api('DELETE', `/tokens/${made.body.record.id}`, managerToken)).status).toBe(200);

    const expiring = await api('POST', '/tokens', managerToken, { name: 'short', expiresInDays: 1 });
    expect((await api('GET', '/users/me', expiring.body.token)).status).toBe(200);
    await db.knex('api_tokens').where({ id: expiring.body.record.id }).update({ expires_at: new Date(Date.now() - 1000) });
    expect((await api('GET', '/users/me', expiring.body.token)).status).toBe(401);
    const listed = await api('GET', '/tokens', managerToken);
    expect(listed.body.tokens.find((t: { id: number }) => t.id === expiring.body.record.id).state).toBe('expired');
  });

  it('lists everyone’s for an admin who asks, nobody else; the bootstrap token never expires', async () => {
    expect((await api('GET', '/tokens?all=true', managerToken)).status).toBe(403);
    const all = await api('GET', '/tokens?all=true', adminToken);
    expect(all.status).toBe(200);
    const labels = all.body.tokens.map((t: { label: string }) => t.label);
    expect(labels).toEqual(expect.arrayContaining(['bootstrap', 'ERP sync', 'dispatch board']));
    expect(all.body.tokens.find((t: { label: string }) => t.label === 'bootstrap').expiresAt).toBeNull();
    const own = await api('GET', '/tokens', adminToken);
    expect(own.body.tokens.map((t: { label: string }) => t.label)).toEqual(['bootstrap']);
  });

  it('stop working at once when their holder is deactivated', async () => {
    const person = await new UsersRepository(db.knex).create({ name: 'Leaver', email: 'leaver@tokens.test', role: 'dispatcher' });
    const personToken = await new UsersRepository(db.knex).issueToken(person.id, 'own');
    const machine = await api('POST', '/tokens', personToken, { name: 'leaver’s script' });
    expect((await api('GET', '/users/me', machine.body.token)).status).toBe(200);
    expect((await api('POST', `/users/${person.id}/deactivate`, adminToken)).status).toBe(200);
    expect((await api('GET', '/users/me', machine.body.token)).status).toBe(401);
  });

  it('make one token for a request sent twice with the same Idempotency-Key; the repeat is a 409 without the token', async () => {
    const key = 'a3c2f1e0-token-once';
    const first = await api('POST', '/tokens', managerToken, { name: 'twice' }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const again = await api('POST', '/tokens', managerToken, { name: 'twice' }, { 'idempotency-key': key });
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).not.toContain(first.body.token);
    const listed = await api('GET', '/tokens', managerToken);
    expect(listed.body.tokens.filter((t: { label: string }) => t.label === 'twice')).toHaveLength(1);
  });

  it('never shows a token except in the answer that made it', () => {
    const made = answers.filter((a) => a.includes('"token":"ac_'));
    for (const answer of made) {
      const token = (JSON.parse(answer) as { token: string }).token;
      expect(answers.filter((a) => a.includes(token))).toEqual([answer]);
    }
  });
});
