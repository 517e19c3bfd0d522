/**
 * Machine tokens on both databases: migration 0036 gives the tokens there before an expiry 90 days
 * after it runs (the bootstrap token none) and their user's role; authentication refuses a token past
 * its expiry, a revoked one, and one whose holder's role was lowered below it.
 */
import { migrationConfig } from '../../platform/db/migrations';
import { UPGRADE_TOKEN_VALID_MS } from '../../platform/db/migrations/0036_machine_tokens';
import { UsersRepository } from '../../people/repository';
import { ConsoleSessionsRepository } from '../../people/sessions';
import { hashToken } from '../../platform/tokens';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const DAY = 86_400_000;

describe.each(testDatabaseKinds())('machine tokens on %s', (kind) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  it('0036 gives older tokens 90 days from the upgrade and their user’s role, the bootstrap token no expiry, and comes down again', async () => {
    const { knex } = db;
    await knex.migrate.down(migrationConfig);
    expect(await knex.schema.hasColumn('api_tokens', 'expires_at')).toBe(false);
    const now = new Date();
    const [userId] = await knex('users').insert({ name: 'Old Timer', email: 'old.timer@tokens.test', role: 'dispatcher', locale: 'en', active: true, created_at: now });
    await knex('api_tokens').insert([
      { user_id: userId, token_hash: hashToken('old-one'), label: 'integration', created_at: now },
      { user_id: userId, token_hash: hashToken('old-boot'), label: 'bootstrap', created_at: now },
    ]);
    const before = Date.now();
    await knex.migrate.up(migrationConfig);
    const rows = (await knex('api_tokens').where({ user_id: userId }).orderBy('id')) as { label: string; role: string; expires_at: unknown }[];
    expect(rows.map((r) => [r.label, r.role])).toEqual([['integration', 'dispatcher'], ['bootstrap', 'dispatcher']]);
    const expires = new Date(rows[0]!.expires_at as string).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + UPGRADE_TOKEN_VALID_MS - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + UPGRADE_TOKEN_VALID_MS + 1000);
    expect(rows[1]!.expires_at).toBeNull();
    // Both purposes are allowed now, and the e-mail a change goes to.
    await knex('user_links').insert({ user_id: userId, purpose: 'email_change', new_email: 'new@tokens.test', token_hash: hashToken('l1'), created_at: now, expires_at: now });
    await knex('user_links').insert({ user_id: userId, purpose: 'setup', token_hash: hashToken('l2'), created_at: now, expires_at: now });
    await expect(knex('user_links').insert({ user_id: userId, purpose: 'other', token_hash: hashToken('l3'), created_at: now, expires_at: now })).rejects.toThrow();
    await knex.migrate.down(migrationConfig);
    expect(Number(((await knex('user_links').whereIn('purpose', ['setup', 'email_change']).count({ n: '*' }).first()) as { n: number }).n)).toBe(0);
    await knex.migrate.up(migrationConfig);
    expect(await knex.schema.hasColumn('api_tokens', 'role')).toBe(true);
  });

  it('refuses a token past its expiry, a revoked one, and one whose role is not its holder’s own now', async () => {
    const users = new UsersRepository(db.knex);
    const now = new Date();
    const manager = await users.create({ name: 'Token Manager', email: 'token.manager@tokens.test', role: 'service_manager' });
    const short = await users.issueMachineToken(manager.id, 'short', { expiresAt: new Date(now.getTime() + DAY), createdByUserId: manager.id }, now);
    const narrow = await users.issueMachineToken(manager.id, 'narrow', { role: 'engineer', expiresAt: new Date(now.getTime() + DAY), createdByUserId: manager.id }, now);
    expect((await users.authenticate(short.token, now))?.role).toBe('service_manager');
    // Made (by the repository, which the use case would refuse) with another role than its holder's: it acts not at all.
    expect(await users.authenticate(narrow.token, now)).toBeNull();
    // The instant of expiry is already past.
    expect(await users.authenticate(short.token, new Date(now.getTime() + DAY))).toBeNull();
    expect(await new ConsoleSessionsRepository(db.knex).open(short.token, new Date(now.getTime() + DAY))).toBeNull();
    expect(await new ConsoleSessionsRepository(db.knex).open(short.token, now)).not.toBeNull();
    expect((await users.getToken(short.id))?.lastUsedAt).not.toBeNull();
    expect(await new ConsoleSessionsRepository(db.knex).open(narrow.token, now)).toBeNull();
    const sessions = new ConsoleSessionsRepository(db.knex);
    const opened = (await sessions.open(short.token, now))!;
    const limits = { idleMs: DAY, absoluteMs: 7 * DAY };
    await users.revokeTokenById(narrow.id, now);
    expect(await users.authenticate(narrow.token, now)).toBeNull();
    // Their role changed: the service manager's token acts no more, nor the console session it opened.
    await db.knex('users').where({ id: manager.id }).update({ role: 'engineer' });
    expect(await users.authenticate(short.token, now)).toBeNull();
    expect((await sessions.resume(opened.sessionId, limits, now)).user).toBeNull();
    await db.knex('users').where({ id: manager.id }).update({ role: 'finance' });
    expect((await sessions.resume(opened.sessionId, limits, now)).user).toBeNull();
  });

  it('ends a console session opened with a token once the token expires', async () => {
    const users = new UsersRepository(db.knex);
    const now = new Date();
    const person = await users.create({ name: 'Session Person', email: 'session.person@tokens.test', role: 'dispatcher' });
    const issued = await users.issueMachineToken(person.id, 'console', { expiresAt: new Date(now.getTime() + 60_000) }, now);
    const sessions = new ConsoleSessionsRepository(db.knex);
    const opened = (await sessions.open(issued.token, now))!;
    const limits = { idleMs: DAY, absoluteMs: 7 * DAY };
    expect((await sessions.resume(opened.sessionId, limits, new Date(now.getTime() + 30_000))).user?.id).toBe(person.id);
    expect((await sessions.resume(opened.sessionId, limits, new Date(now.getTime() + 60_000))).user).toBeNull();
  });
});
