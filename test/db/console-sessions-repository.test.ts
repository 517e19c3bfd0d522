import * as consoleSessionsMigration from '../../platform/db/migrations/0010_console_sessions';
import { ConsoleSessionsRepository } from '../../people/sessions';
import { UsersRepository } from '../../people/repository';
import { hashToken } from '../../platform/tokens';
import { DEFAULT_SESSION_LIMITS } from '../../domain/consoleSessions';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const HOUR = 3_600_000;
const T0 = new Date('2026-05-04T02:00:00.000Z');
const later = (hours: number) => new Date(T0.getTime() + hours * HOUR);

describe.each(testDatabaseKinds())('console sessions on %s', (kind) => {
  let db: TestDatabase;
  let sessions: ConsoleSessionsRepository;
  let users: UsersRepository;
  let token: string;
  let userId: number;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sessions = new ConsoleSessionsRepository(db.knex);
    users = new UsersRepository(db.knex);
    const user = await users.create({ name: 'Zhang Wei', email: 'pm@maker.test', role: 'project_manager' });
    userId = user.id;
    token = await users.issueToken(user.id, 'console');
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('opens a session for a live token, storing only the hash of a fresh random id', async () => {
    const opened = await sessions.open(token, T0);
    expect(opened?.user.id).toBe(userId);
    expect(await sessions.idOf(opened!.sessionId)).toBe(opened!.id);
    const again = await sessions.open(token, T0);
    expect(again?.sessionId).not.toBe(opened?.sessionId);
    const rows = await db.knex('console_sessions').select();
    expect(rows.map((r: { session_hash: string }) => r.session_hash)).toEqual(expect.arrayContaining([hashToken(opened!.sessionId)]));
    expect(JSON.stringify(rows)).not.toContain(opened!.sessionId);
    expect(await sessions.open('ac_unknown', T0)).toBeNull();
  });

  it('resumes a live session, marking it seen at most once a minute', async () => {
    const { sessionId } = (await sessions.open(token, T0))!;
    const id = (await sessions.idOf(sessionId))!;
    const resumed = await sessions.resume(sessionId, DEFAULT_SESSION_LIMITS, new Date(T0.getTime() + 30_000));
    expect(resumed.user?.id).toBe(userId);
    expect((await sessions.get(id))?.lastSeenAt).toEqual(T0);
    await sessions.resume(sessionId, DEFAULT_SESSION_LIMITS, later(2));
    expect((await sessions.get(id))?.lastSeenAt).toEqual(later(2));
    expect(await sessions.resume(sessionId, DEFAULT_SESSION_LIMITS, later(14))).toEqual({ user: null, verdict: { live: false, reason: 'idle', revokeAs: null } });
    expect((await sessions.resume('no-such-session', DEFAULT_SESSION_LIMITS, T0)).user).toBeNull();
  });

  it('revokes at sign-out, per user and per token, recording why', async () => {
    const a = (await sessions.open(token, T0))!;
    expect(await sessions.revoke(a.sessionId, later(1))).toBe(a.id);
    expect(await sessions.revoke(a.sessionId, later(2))).toBeNull();
    expect(await sessions.get((await sessions.idOf(a.sessionId))!)).toMatchObject({ revokedAt: later(1), revokedReason: 'signed_out' });

    const b = (await sessions.open(token, T0))!;
    expect(await sessions.revokeAllForUser(userId, 'user_deactivated', later(1))).toBeGreaterThanOrEqual(1);
    expect((await sessions.get((await sessions.idOf(b.sessionId))!))?.revokedReason).toBe('user_deactivated');

    const c = (await sessions.open(token, T0))!;
    expect(await sessions.revokeAllForToken(token, later(1))).toBe(1);
    expect((await sessions.resume(c.sessionId, DEFAULT_SESSION_LIMITS, later(1))).user).toBeNull();
  });

  it('ends a session when its token is revoked, and prunes those past their absolute lifetime', async () => {
    const other = await users.issueToken(userId, 'second');
    const d = (await sessions.open(other, T0))!;
    await users.revokeToken(other);
    expect(await sessions.resume(d.sessionId, DEFAULT_SESSION_LIMITS, later(1))).toEqual({ user: null, verdict: { live: false, reason: 'token_revoked', revokeAs: 'token_revoked' } });
    expect((await sessions.get((await sessions.idOf(d.sessionId))!))?.revokedReason).toBe('token_revoked');

    const before = Number((await db.knex('console_sessions').count({ n: '*' }))[0]!.n);
    expect(await sessions.prune(DEFAULT_SESSION_LIMITS, later(7 * 24 + 1))).toBe(before);
    expect(Number((await db.knex('console_sessions').count({ n: '*' }))[0]!.n)).toBe(0);
  });

  it('0010_console_sessions drops its table and creates it again', async () => {
    await consoleSessionsMigration.down(db.knex);
    expect(await db.knex.schema.hasTable('console_sessions')).toBe(false);
    await consoleSessionsMigration.up(db.knex);
    expect(await db.knex.schema.hasTable('console_sessions')).toBe(true);
  });
});
