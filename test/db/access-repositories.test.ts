import { ConflictError } from '../../platform/db/errors';
import { rollbackAll, migrateLatest } from '../../platform/db/migrations';
import { AuditRepository } from '../../platform/db/audit';
import { BOOTSTRAP_ADMIN_EMAIL, UsersRepository } from '../../people/repository';
import { hashToken } from '../../platform/tokens';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

describe.each(testDatabaseKinds())('access repositories on %s', (kind) => {
  let db: TestDatabase;
  let users: UsersRepository;
  let audit: AuditRepository;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    users = new UsersRepository(db.knex);
    audit = new AuditRepository(db.knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  describe('UsersRepository', () => {
    it('creates a user with defaults and reads it back by id and by e-mail in any case', async () => {
      const at = new Date('2025-03-04T05:06:07.089Z');
      const user = await users.create({ name: 'Chen Jing', email: ' Chen.Jing@Example.com ', role: 'service_manager' }, at);

      expect(user).toEqual({ id: expect.any(Number), name: 'Chen Jing', email: 'chen.jing@example.com', role: 'service_manager', locale: 'zh-CN', timeZone: null, dealerId: null, customerId: null, active: true, createdAt: at });
      expect(await users.get(user.id)).toEqual(user);
      expect(await users.getByEmail('CHEN.JING@example.com')).toEqual(user);
      expect(await users.get(999_999)).toBeNull();
      expect(await users.getByEmail('nobody@example.com')).toBeNull();
    });

    it('keeps a dealer user’s dealer and locale', async () => {
      const dealer = await users.create({ name: 'Dealer', email: 'dealer@example.com', role: 'dealer', dealerId: 12, locale: 'en' });
      expect(dealer).toMatchObject({ role: 'dealer', dealerId: 12, locale: 'en' });
    });

    it('refuses a second user with the same e-mail with ConflictError', async () => {
      await users.create({ name: 'One', email: 'same@example.com', role: 'finance' });

      await expect(users.create({ name: 'Two', email: 'SAME@example.com', role: 'finance' })).rejects.toBeInstanceOf(ConflictError);
      expect(await db.knex('users').where({ email: 'same@example.com' })).toHaveLength(1);
    });

    it('has a schema that refuses unknown roles and locales', async () => {
      const row = { name: 'Bad', email: 'bad@example.com', role: 'engineer', locale: 'en', active: true, created_at: new Date() };
      // Compared as text: driver errors do not always pass jest's cross-realm `instanceof Error`.
      const failureOf = (values: object) => db.knex('users').insert(values).then(() => 'inserted', (error: unknown) => String(error));
      expect(await failureOf({ ...row, role: 'wizard' })).toMatch(/users_role_check/);
      expect(await failureOf({ ...row, locale: 'fr' })).toMatch(/users_locale_check/);
    });

    it('issues tokens that only exist as hashes and authenticate their user', async () => {
      const user = await users.create({ name: 'Tok', email: 'tok@example.com', role: 'engineer' });

      const token = await users.issueToken(user.id, 'laptop');

      expect(token).toMatch(/^ac_[A-Za-z0-9_-]{43}$/);
      const rows = await db.knex('api_tokens').where({ user_id: user.id });
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toBe(hashToken(token));
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(await users.authenticate(token)).toEqual(user);
      expect(await users.authenticate(`${token}x`)).toBeNull();
    });

    it('touches last_used_at on use, at most once a minute', async () => {
      const user = await users.create({ name: 'Used', email: 'used@example.com', role: 'engineer' });
      const token = await users.issueToken(user.id, 'phone');
      const first = new Date('2025-06-01T08:00:00.000Z');

      await users.authenticate(token, first);
      await users.authenticate(token, new Date(first.getTime() + 30_000));
      expect((await users.listTokens(user.id))[0]?.lastUsedAt).toEqual(first);

      const later = new Date(first.getTime() + 61_000);
      await users.authenticate(token, later);
      expect((await users.listTokens(user.id))[0]?.lastUsedAt).toEqual(later);
    });

    it('rejects revoked tokens and tokens of inactive users', async () => {
      const user = await users.create({ name: 'Gone', email: 'gone@example.com', role: 'sales_clerk' });
      const revoked = await users.issueToken(user.id, 'old');
      const live = await users.issueToken(user.id, 'new');

      expect(await users.revokeToken(revoked)).toBe(true);
      expect(await users.revokeToken(revoked)).toBe(false);
      expect(await users.authenticate(revoked)).toBeNull();
      expect(await users.authenticate(live)).not.toBeNull();
      expect((await users.listTokens(user.id)).map((t) => [t.label, t.revokedAt instanceof Date])).toEqual([
        ['old', true],
        ['new', false],
      ]);

      await db.knex('users').where({ id: user.id }).update({ active: false });
      expect(await users.authenticate(live)).toBeNull();
    });

    it('bootstraps the admin idempotently, for one token or several', async () => {
      const token = 'a-configured-admin-token-0123456789';

      const admin = await users.ensureAdmin(token);
      const again = await users.ensureAdmin(token);

      expect(admin).toMatchObject({ email: BOOTSTRAP_ADMIN_EMAIL, role: 'admin', active: true });
      expect(again).toEqual(admin);
      expect(await users.authenticate(token)).toEqual(admin);
      expect(await db.knex('users').where({ email: BOOTSTRAP_ADMIN_EMAIL })).toHaveLength(1);
      expect(await db.knex('api_tokens').where({ token_hash: hashToken(token) })).toHaveLength(1);

      const rotated = 'a-second-admin-token-after-rotation-42';
      expect(await users.ensureAdmin(rotated)).toEqual(admin);
      expect(await users.authenticate(rotated)).toEqual(admin);
    });

    it('bootstraps once even when two processes race', async () => {
      const other = await createTestDatabase(kind);
      try {
        const token = 'racing-admin-token-0123456789abcdef';
        const [a, b] = await Promise.all([new UsersRepository(other.knex).ensureAdmin(token), new UsersRepository(other.knex).ensureAdmin(token)]);
        expect(a.id).toBe(b.id);
        expect(await other.knex('api_tokens')).toHaveLength(1);
      } finally {
        await other.destroy();
      }
    });

    it('makes several calls atomic when given a transaction', async () => {
      await expect(
        db.knex.transaction(async (trx) => {
          const tx = new UsersRepository(trx);
          const user = await tx.create({ name: 'Half', email: 'half@example.com', role: 'engineer' });
          await tx.issueToken(user.id, 'initial');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await users.getByEmail('half@example.com')).toBeNull();
    });
  });

  describe('AuditRepository', () => {
    it('records entries and lists them newest first, filtered by entity', async () => {
      const at = new Date('2025-01-02T03:04:05.678Z');
      const first = await audit.record({ at, actorUserId: 1, actorRole: 'admin', action: 'POST /api/users', entityType: 'user', entityId: 5, requestId: 'r1', statusCode: 201, details: { durationMs: 3 } });
      await audit.record({ action: 'POST /api/users', requestId: 'r2', statusCode: 401 });
      await audit.record({ action: 'PATCH /api/tickets/:id', entityType: 'ticket', entityId: 'T-5', requestId: 'r3', statusCode: 200, details: { nested: { ok: true } } });

      expect(first).toEqual({ id: expect.any(Number), at, actorUserId: 1, actorRole: 'admin', action: 'POST /api/users', entityType: 'user', entityId: '5', requestId: 'r1', statusCode: 201, details: { durationMs: 3 } });

      const all = await audit.list({ limit: 10 });
      expect(all.map((e) => e.requestId)).toEqual(['r3', 'r2', 'r1']);
      expect(all[1]).toMatchObject({ actorUserId: null, actorRole: null, entityType: null, entityId: null, details: {} });
      expect(all[0]?.details).toEqual({ nested: { ok: true } });
      expect(all[2]).toEqual(first);

      expect((await audit.list({ entityType: 'user', entityId: 5, limit: 10 })).map((e) => e.requestId)).toEqual(['r1']);
      expect((await audit.list({ entityType: 'ticket', limit: 10 })).map((e) => e.requestId)).toEqual(['r3']);
      expect(await audit.list({ limit: 2 })).toHaveLength(2);
    });
  });
});

describe.each(testDatabaseKinds())('migration 0003_access on %s', (kind) => {
  it('goes down and up again', async () => {
    const db = await createTestDatabase(kind);
    try {
      await rollbackAll(db.knex);
      for (const table of ['users', 'api_tokens', 'audit_log']) expect(await db.knex.schema.hasTable(table)).toBe(false);
      await migrateLatest(db.knex);
      for (const table of ['users', 'api_tokens', 'audit_log']) expect(await db.knex.schema.hasTable(table)).toBe(true);
    } finally {
      await db.destroy();
    }
  });
});
