import type { Knex } from 'knex';
import * as core from '../../platform/db/migrations/0001_core';
import { migrateLatest, migrationConfig, rollbackAll } from '../../platform/db/migrations';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const CORE_TABLES = ['contracts', 'customer_contacts', 'customers', 'devices', 'policy_layers', 'sites'];
const KNEX_TABLES = ['knex_migrations', 'knex_migrations_lock'];

async function tableNames(db: TestDatabase): Promise<string[]> {
  const names =
    db.kind === 'mysql'
      ? ((await db.knex('information_schema.tables').where('table_schema', db.knex.raw('database()')).pluck('table_name')) as string[])
      : ((await db.knex('sqlite_master').where({ type: 'table' }).whereNot('name', 'like', 'sqlite_%').pluck('name')) as string[]);
  return names.sort();
}

async function foreignKeyNames(knex: Knex): Promise<string[]> {
  const names = (await knex('information_schema.referential_constraints')
    .where('constraint_schema', knex.raw('database()'))
    .pluck('constraint_name')) as string[];
  return names.sort();
}

describe.each(testDatabaseKinds())('migrations on %s', (kind) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(kind, { migrate: false });
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('0001_core creates its tables, drops them all, and can run again', async () => {
    await core.up(db.knex);
    expect(await tableNames(db)).toEqual(CORE_TABLES);

    await core.down(db.knex);
    expect(await tableNames(db)).toEqual([]);

    await core.up(db.knex);
    expect(await tableNames(db)).toEqual(CORE_TABLES);
  });

  it('names its foreign keys explicitly', async () => {
    await core.up(db.knex);
    if (kind === 'mysql') {
      expect(await foreignKeyNames(db.knex)).toEqual([
        'contracts_customer_fk',
        'customer_contacts_customer_fk',
        'devices_customer_fk',
        'devices_site_fk',
        'sites_customer_fk',
      ]);
    } else {
      const ddl = (await db.knex('sqlite_master').where({ type: 'table' }).pluck('sql')) as string[];
      expect(ddl.join('\n')).toMatch(/constraint `devices_site_fk` foreign key/);
    }
  });

  it('0015_care adds the care tables and the wrong-number flag, and takes them away again', async () => {
    const CARE_TABLES = ['care_call_attempts', 'care_call_contacts', 'care_calls', 'care_follow_ups', 'care_plan_devices', 'care_plan_events', 'care_plans', 'care_visits'];
    await migrateLatest(db.knex);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(CARE_TABLES));
    expect(await db.knex.schema.hasColumn('customer_contacts', 'wrong_number_at')).toBe(true);

    await db.knex.migrate.down({ ...migrationConfig, name: '0015_care' });
    const left = await tableNames(db);
    expect(left.filter((name) => name.startsWith('care_'))).toEqual([]);
    expect(await db.knex.schema.hasColumn('customer_contacts', 'wrong_number_at')).toBe(false);

    await migrateLatest(db.knex);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(CARE_TABLES));
  });

  it('the whole chain migrates up, rolls back to knex’s own tables only, and migrates up again', async () => {
    const applied = await migrateLatest(db.knex);
    expect(applied[0]).toBe('0001_core');
    expect(await tableNames(db)).toEqual(expect.arrayContaining([...CORE_TABLES, ...KNEX_TABLES]));

    await rollbackAll(db.knex);
    expect(await tableNames(db)).toEqual(KNEX_TABLES);

    await migrateLatest(db.knex);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(CORE_TABLES));
  });
});
