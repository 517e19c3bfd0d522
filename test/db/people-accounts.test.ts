import { AccountsRepository } from '../../people/accounts';
import { UsersRepository } from '../../people/repository';
import { ConsoleSessionsRepository } from '../../people/sessions';
import { DEFAULT_SESSION_LIMITS } from '../../domain/consoleSessions';
import { hashToken } from '../../platform/tokens';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const T0 = new Date('2026-12-07T02:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;

describe.each(testDatabaseKinds())('people accounts on %s', (kind) => {
  let db: TestDatabase;
  let accounts: AccountsRepository;
  let users: UsersRepository;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    accounts = new AccountsRepository(db.knex);
    users = new UsersRepository(db.knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('keeps e-mails unique whatever their case, with a time zone and a password hash', async () => {
    const user = await users.create({ name: 'Wang Fang', email: 'Wang.Fang@Maker.test', role: 'engineer', timeZone: 'Asia/Urumqi' });
    expect(user).toMatchObject({ email: 'wang.fang@maker.test', timeZone: 'Asia/Urumqi' });
    await expect(users.create({ name: 'Other', email: 'WANG.FANG@maker.test', role: 'engineer' })).rejects.toMatchObject({ words: { key: 'people.emailTaken' } });
    expect(await accounts.hasPassword(user.id)).toBe(false);
    await accounts.setPasswordHash(user.id, '$argon2id$v=19$m=19456,t=2,p=1$abc$def', T0);
    expect(await accounts.hasPassword(user.id)).toBe(true);
    expect(await accounts.signInRecord('  WANG.fang@maker.TEST ')).toMatchObject({ userId: user.id, active: true, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def', failedSignIns: 0 });
    expect(await accounts.signInRecord('nobody@maker.test')).toBeNull();
  });

  it('stores only the hash of a link token; a link is single-use, ends at its time, and a newer one ends the older', async () => {
    const user = await users.create({ name: 'Chen Jie', email: 'chen.jie@maker.test', role: 'dispatcher' });
    const first = await accounts.createLink(user.id, 'invitation', later(72 * HOUR), null, T0);
    const rows = await db.knex('user_links').where({ user_id: user.id });
    expect(JSON.stringify(rows)).not.toContain(first.token);
    expect(rows[0].token_hash).toBe(hashToken(first.token));
    expect((await accounts.linkState(first.token, later(HOUR))).state).toBe('valid');
    expect((await accounts.linkState(first.token, later(72 * HOUR))).state).toBe('expired');
    expect((await accounts.linkState('forged', T0)).state).toBe('unknown');
    expect((await accounts.linkState('', T0)).state).toBe('unknown');

    const second = await accounts.createLink(user.id, 'invitation', later(73 * HOUR), null, later(HOUR));
    expect((await accounts.linkState(first.token, later(HOUR))).state).toBe('expired');
    expect(await accounts.useLink(second.link.id, later(2 * HOUR))).toBe(true);
    expect(await accounts.useLink(second.link.id, later(2 * HOUR))).toBe(false);
    expect((await accounts.linkState(second.token, later(2 * HOUR))).state).toBe('used');

    const reset = await accounts.createLink(user.id, 'reset', later(3 * HOUR), null, later(2 * HOUR));
    expect(await accounts.useLink(reset.link.id, later(3 * HOUR))).toBe(false);
  });

  it('counts failures per account and per address, clears the account on success, and prunes old rows', async () => {
    const user = await users.create({ name: 'Zhao Lei', email: 'zhao.lei@maker.test', role: 'engineer' });
    for (let i = 0; i < 3; i++) await accounts.recordFailure(user.id, '203.0.113.7', later(i * 1000));
    await accounts.recordFailure(null, '203.0.113.7', later(5000));
    await accounts.recordFailure(null, '198.51.100.1', later(5000));
    expect(await accounts.signInRecord('zhao.lei@maker.test')).toMatchObject({ failedSignIns: 3, lastFailedSignInAt: later(2000) });
    expect(await accounts.addressFailuresSince('203.0.113.7', T0)).toBe(4);
    expect(await accounts.addressFailuresSince('203.0.113.7', later(1500))).toBe(2);
    await accounts.clearFailures(user.id);
    expect(await accounts.signInRecord('zhao.lei@maker.test')).toMatchObject({ failedSignIns: 0, lastFailedSignInAt: null });
    expect(await accounts.pruneFailures(later(4000))).toBe(3);
    expect(await accounts.addressFailuresSince('203.0.113.7', T0)).toBe(1);
  });

  it('opens sessions without an API token, ends the others on a new password, and deactivation ends sessions, tokens and links at once', async () => {
    const user = await users.create({ name: 'Sun Li', email: 'sun.li@maker.test', role: 'project_manager' });
    const sessions = new ConsoleSessionsRepository(db.knex);
    const a = await sessions.openForUser(user, T0);
    const b = await sessions.openForUser(user, T0);
    expect((await sessions.get(a.id))?.apiTokenId).toBeNull();
    expect((await sessions.resume(a.sessionId, DEFAULT_SESSION_LIMITS, later(1000))).user?.id).toBe(user.id);
    expect(await sessions.revokeOthersForUser(user.id, b.id, 'password_changed', later(2000))).toBe(1);
    expect(await sessions.resume(a.sessionId, DEFAULT_SESSION_LIMITS, later(3000))).toEqual({ user: null, verdict: { live: false, reason: 'password_changed', revokeAs: null } });
    expect((await sessions.resume(b.sessionId, DEFAULT_SESSION_LIMITS, later(3000))).user?.id).toBe(user.id);

    const token = await users.issueToken(user.id, 'script');
    const link = await accounts.createLink(user.id, 'reset', later(HOUR), null, T0);
    await users.deactivate(user.id, later(4000));
    expect(await sessions.get(b.id)).toMatchObject({ revokedReason: 'user_deactivated', revokedAt: later(4000) });
    expect(await users.authenticate(token, later(5000))).toBeNull();
    expect((await accounts.linkState(link.token, later(5000))).state).toBe('expired');
  });
});
