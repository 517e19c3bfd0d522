import * as OTPAuth from 'otpauth';
import { DEFAULT_SESSION_LIMITS } from '../../domain/consoleSessions';
import { UsersRepository, type User } from '../../people/repository';
import { ConsoleSessionsRepository } from '../../people/sessions';
import { SecondFactorsRepository } from '../../people/secondFactor/repository';
import { FREE_CODE_FAILURES, RECOVERY_CODE_COUNT } from '../../people/secondFactor/rules';
import { beginEnrolment, confirmEnrolment, disableSecondFactor, factorStatus, passSecondFactor, regenerateRecoveryCodes, resetSecondFactor, sessionGate, type SecondFactorDeps } from '../../people/secondFactor/useCases';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const T0 = new Date('2026-12-08T02:00:00.000Z');
const STEP = 30_000;
const codeAt = (secret: string, at: Date) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });

describe.each(testDatabaseKinds())('the second factor on %s', (kind) => {
  let db: TestDatabase;
  let users: UsersRepository;
  let sessions: ConsoleSessionsRepository;
  let clock = T0;
  let deps: SecondFactorDeps;
  let admin: User;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    users = new UsersRepository(db.knex);
    sessions = new ConsoleSessionsRepository(db.knex);
    deps = { knex: db.knex, settings: { key: 'the key of the test database, 32+ characters', maxWaitMs: 60_000 }, now: () => clock };
    admin = await users.create({ name: 'Admin', email: `admin-${kind}@maker.test`, role: 'admin' });
  });

  afterAll(async () => {
    await db.destroy();
  });

  /** A person enrolled at T0: their secret, recovery codes and a fresh password session. */
  async function enrolled(role: User['role'], name: string) {
    clock = T0;
    const user = await users.create({ name, email: `${name}-${kind}@maker.test`, role });
    const { secret } = (await beginEnrolment(user, null, deps))!;
    const done = await confirmEnrolment(user, codeAt(secret, T0), null, deps);
    if (!done.ok) throw new Error(`enrolment refused: ${done.reason}`);
    return { user, secret, recoveryCodes: done.recoveryCodes, session: await sessions.openForUser(user, T0) };
  }

  it('enrols: the same secret on reload, sealed in the row; a wrong first code refused; ten recovery codes stored as hashes; a second submit finds it done', async () => {
    const user = await users.create({ name: 'Finance', email: `finance-${kind}@maker.test`, role: 'finance' });
    const session = await sessions.openForUser(user, T0);
    const gated = (await sessions.get(session.id))!;
    expect(await sessionGate(gated, user, deps)).toBe('enrol');
    const first = (await beginEnrolment(user, session.id, deps))!;
    expect(first.started).toBe(true);
    expect((await beginEnrolment(user, session.id, deps))!).toEqual({ ...first, started: false });
    expect(JSON.stringify(await db.knex('user_second_factors').where({ user_id: user.id }))).not.toContain(first.secret);
    const good = codeAt(first.secret, T0);
    expect(await confirmEnrolment(user, good === '000000' ? '000001' : '000000', session.id, deps)).toEqual({ ok: false, reason: 'wrong' });
    expect(await confirmEnrolment(user, 'abc', session.id, deps)).toEqual({ ok: false, reason: 'malformed' });
    const done = await confirmEnrolment(user, good, session.id, deps);
    if (!done.ok) throw new Error(done.reason);
    expect(done.recoveryCodes).toHaveLength(RECOVERY_CODE_COUNT);
    const stored = JSON.stringify(await db.knex('user_recovery_codes').where({ user_id: user.id }));
    for (const code of done.recoveryCodes) expect(stored).not.toContain(code);
    expect(await confirmEnrolment(user, good, session.id, deps)).toEqual({ ok: false, reason: 'already' });
    expect(await beginEnrolment(user, session.id, deps)).toBeNull();
    // The session that enrolled has passed; a new sign-in must pass again.
    expect((await sessions.get(session.id))!.secondFactorAt).toEqual(T0);
    expect(await sessionGate((await sessions.get(session.id))!, user, deps)).toBe('open');
    const next = await sessions.openForUser(user, T0);
    expect(await sessionGate((await sessions.get(next.id))!, user, deps)).toBe('verify');
    expect(await factorStatus(user, deps)).toEqual({ enrolled: true, since: T0, recoveryCodesLeft: RECOVERY_CODE_COUNT, mayDisable: false });
  });

  it('a secret pending for one session is not another’s: whoever saw the page first holds nothing the person confirms', async () => {
    const user = await users.create({ name: 'Admin', email: `admin-pending-${kind}@maker.test`, role: 'admin' });
    const intruder = await sessions.openForUser(user, T0);
    const owner = await sessions.openForUser(user, T0);
    const seen = (await beginEnrolment(user, intruder.id, deps))!;
    const shown = (await beginEnrolment(user, owner.id, deps))!;
    expect(shown.started).toBe(true);
    expect(shown.secret).not.toBe(seen.secret);
    // The intruder's code is no good any more; the owner's is.
    expect(await confirmEnrolment(user, codeAt(seen.secret, T0), intruder.id, deps)).toMatchObject({ ok: false });
    const done = await confirmEnrolment(user, codeAt(shown.secret, T0), owner.id, deps);
    expect(done.ok).toBe(true);
    // Once confirmed, another session's visit changes nothing.
    expect(await beginEnrolment(user, intruder.id, deps)).toBeNull();
  });

  it('a code passes the gate once: the step used at enrolment, and the same code again, are refused', async () => {
    const { user, secret, session } = await enrolled('admin', 'gate');
    expect(await passSecondFactor(user, codeAt(secret, T0), session.id, deps)).toEqual({ ok: false, reason: 'reused' });
    clock = new Date(T0.getTime() + STEP);
    const code = codeAt(secret, clock);
    expect(await passSecondFactor(user, code, session.id, deps)).toEqual({ ok: true, via: 'totp' });
    expect((await sessions.get(session.id))!.secondFactorAt).toEqual(clock);
    const other = await sessions.openForUser(user, clock);
    expect(await passSecondFactor(user, code, other.id, deps)).toEqual({ ok: false, reason: 'reused' });
    expect((await sessions.get(other.id))!.secondFactorAt).toBeNull();
    // Two tabs at once with the next code: one passes.
    clock = new Date(T0.getTime() + 2 * STEP);
    const both = await Promise.all([passSecondFactor(user, codeAt(secret, clock), other.id, deps), passSecondFactor(user, codeAt(secret, clock), other.id, deps)]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
  });

  it('a recovery code works once, and tokens’ sessions are never held', async () => {
    const { user, recoveryCodes, session } = await enrolled('engineer', 'recovery');
    expect(await passSecondFactor(user, recoveryCodes[3]!.toUpperCase(), session.id, deps)).toEqual({ ok: true, via: 'recovery' });
    const other = await sessions.openForUser(user, T0);
    expect(await passSecondFactor(user, recoveryCodes[3]!, other.id, deps)).toEqual({ ok: false, reason: 'recovery_used' });
    expect(await passSecondFactor(user, 'abcd-efgh-jkmn-pqrs', other.id, deps)).toEqual({ ok: false, reason: 'recovery_used' });
    expect((await factorStatus(user, deps)) as { recoveryCodesLeft: number }).toMatchObject({ recoveryCodesLeft: RECOVERY_CODE_COUNT - 1, mayDisable: true });
    const token = await users.issueToken(user.id, 'script');
    const opened = (await sessions.open(token, T0))!;
    const resumed = await sessions.resume(opened.sessionId, DEFAULT_SESSION_LIMITS, T0);
    if (!resumed.user) throw new Error('token session did not resume');
    expect(await sessionGate(resumed.session, user, deps)).toBe('open');
  });

  it('wrong codes make the next try wait after a few, counted in the database; a good code ends the run', async () => {
    const { user, secret, session } = await enrolled('finance', 'guesser');
    clock = new Date(T0.getTime() + 10 * STEP);
    const good = codeAt(secret, clock);
    const wrong = good === '111111' ? '222222' : '111111';
    for (let i = 0; i < FREE_CODE_FAILURES; i += 1) expect(await passSecondFactor(user, wrong, session.id, deps)).toEqual({ ok: false, reason: 'wrong' });
    // Past the free failures the next try waits a second, good code or not, and is not counted.
    expect(await passSecondFactor(user, good, session.id, deps)).toEqual({ ok: false, reason: 'wait', waitMs: 1_000 });
    clock = new Date(clock.getTime() + 1_000);
    expect(await passSecondFactor(user, wrong, session.id, deps)).toEqual({ ok: false, reason: 'wrong' });
    expect(await passSecondFactor(user, good, session.id, deps)).toEqual({ ok: false, reason: 'wait', waitMs: 2_000 });
    expect((await new SecondFactorsRepository(db.knex).get(user.id))!.failedCodes).toBe(FREE_CODE_FAILURES + 1);
    clock = new Date(clock.getTime() + 2_000);
    expect(await passSecondFactor(user, codeAt(secret, clock), session.id, deps)).toEqual({ ok: true, via: 'totp' });
    expect((await new SecondFactorsRepository(db.knex).get(user.id))!.failedCodes).toBe(0);
  });

  it('new recovery codes and turning it off need a current code; admins and finance cannot turn it off', async () => {
    const { user, secret, recoveryCodes } = await enrolled('dispatcher', 'regenerate');
    clock = new Date(T0.getTime() + STEP);
    expect(await regenerateRecoveryCodes(user, recoveryCodes[0]!, deps)).toEqual({ ok: false, reason: 'malformed' });
    const made = await regenerateRecoveryCodes(user, codeAt(secret, clock), deps);
    if (!made.ok) throw new Error(made.reason);
    const session = await sessions.openForUser(user, clock);
    expect(await passSecondFactor(user, recoveryCodes[0]!, session.id, deps)).toEqual({ ok: false, reason: 'recovery_used' });
    clock = new Date(T0.getTime() + 2 * STEP);
    expect(await disableSecondFactor(user, codeAt(secret, clock), deps)).toEqual({ ok: true });
    expect(await factorStatus(user, deps)).toEqual({ enrolled: false, mustEnrol: false });
    expect(await db.knex('user_recovery_codes').where({ user_id: user.id })).toHaveLength(0);
    const boss = await enrolled('admin', 'boss');
    expect(await disableSecondFactor(boss.user, codeAt(boss.secret, new Date(T0.getTime() + STEP)), deps)).toEqual({ ok: false, reason: 'required' });
  });

  it('an admin’s reset removes the factor and ends every session of the person, at once and whole', async () => {
    const { user, session } = await enrolled('finance', 'lostphone');
    await expect(resetSecondFactor(user.id, user, deps)).rejects.toMatchObject({ status: 403 });
    expect(await db.knex('user_second_factors').where({ user_id: user.id })).toHaveLength(1);
    expect(await resetSecondFactor(user.id, admin, deps)).toMatchObject({ hadFactor: true, sessionsEnded: 1 });
    expect((await sessions.get(session.id))!.revokedReason).toBe('second_factor_reset');
    expect(await db.knex('user_second_factors').where({ user_id: user.id })).toHaveLength(0);
    expect(await db.knex('user_recovery_codes').where({ user_id: user.id })).toHaveLength(0);
    expect(await resetSecondFactor(user.id, admin, deps)).toMatchObject({ hadFactor: false, sessionsEnded: 0 });
    await expect(resetSecondFactor(999_999, admin, deps)).rejects.toMatchObject({ status: 404 });
  });
});
