import { isUniqueViolation } from '../../platform/db/errors';
import * as noticesMigration from '../../platform/db/migrations/0002_notices';
import * as noticeFailuresMigration from '../../platform/db/migrations/0008_notice_failures';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

jest.setTimeout(30_000);

const COLUMNS = [
  'id', 'idempotency_key', 'template', 'locale', 'to_email', 'to_name', 'subject', 'html', 'text', 'context',
  'status', 'attempts', 'last_error', 'message_id', 'claimed_until', 'created_at', 'sent_at',
];

describe.each(testDatabaseKinds())('migration 0002_notices on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind, { migrate: false });
  });
  afterAll(async () => {
    await db.destroy();
  });

  const row = (key: string) => ({
    idempotency_key: key, template: 't', locale: 'en', to_email: 'a@example.com', subject: 's', html: '<p>h</p>', text: 't',
    context: '{}', created_at: new Date('2026-11-23T06:05:00.123Z'),
  });

  it('creates the outbox table with defaults and a unique idempotency key', async () => {
    await noticesMigration.up(db.knex);
    const info = await db.knex('notice_outbox').columnInfo();
    expect(Object.keys(info).sort()).toEqual([...COLUMNS].sort());

    await db.knex('notice_outbox').insert(row('k'));
    expect(await db.knex('notice_outbox').first()).toMatchObject({ status: 'pending', attempts: 0, to_name: null, sent_at: null });
    const duplicate = await db.knex('notice_outbox').insert(row('k')).then(() => undefined, (error: unknown) => error);
    expect(isUniqueViolation(duplicate)).toBe(true);
  });

  if (kind === 'mysql') {
    it('uses millisecond datetimes, long text and a case-sensitive key on MySQL', async () => {
      const [rows] = (await db.knex.raw(
        `select column_name as name, column_type as type, collation_name as collation from information_schema.columns
         where table_schema = database() and table_name = 'notice_outbox'`,
      )) as [Array<{ name: string; type: string; collation: string | null }>];
      const byName = Object.fromEntries(rows.map((c) => [c.name, c]));
      expect(byName.created_at!.type).toBe('datetime(3)');
      expect(byName.sent_at!.type).toBe('datetime(3)');
      expect(byName.html!.type).toBe('longtext');
      expect(byName.idempotency_key!.collation).toBe('utf8mb4_bin');
    });
  }

  it('drops the table on the way down, and comes back up', async () => {
    await noticesMigration.down(db.knex);
    expect(await db.knex.schema.hasTable('notice_outbox')).toBe(false);
    await noticesMigration.up(db.knex);
    expect(await db.knex.schema.hasTable('notice_outbox')).toBe(true);
  });
});

describe.each(testDatabaseKinds())('migration 0008_notice_failures on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind, { migrate: false });
    await noticesMigration.up(db.knex);
  });
  afterAll(async () => {
    await db.destroy();
  });

  const added = ['failed_at', 'record_type', 'record_id'];

  it('adds the failure columns, keeps the rows, and goes down and up again', async () => {
    await db.knex('notice_outbox').insert({
      idempotency_key: 'kept', template: 't', locale: 'en', to_email: 'a@example.com', subject: 's', html: 'h', text: 't', context: '{}', created_at: new Date(),
    });
    await noticeFailuresMigration.up(db.knex);
    expect(Object.keys(await db.knex('notice_outbox').columnInfo())).toEqual(expect.arrayContaining(added));
    await db.knex('notice_outbox').where({ idempotency_key: 'kept' }).update({ status: 'failed', failed_at: new Date(), record_type: 'project', record_id: 7 });

    await noticeFailuresMigration.down(db.knex);
    const columns = Object.keys(await db.knex('notice_outbox').columnInfo());
    expect(columns.filter((c) => added.includes(c))).toEqual([]);
    expect(await db.knex('notice_outbox').where({ idempotency_key: 'kept' }).first()).toMatchObject({ status: 'failed' });
    await noticeFailuresMigration.up(db.knex);
    expect(Object.keys(await db.knex('notice_outbox').columnInfo())).toEqual(expect.arrayContaining(added));
  });
});
