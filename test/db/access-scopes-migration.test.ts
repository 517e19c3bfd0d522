import { migrateLatest, migrationConfig, rollbackAll } from '../../platform/db/migrations';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

describe.each(testDatabaseKinds())('0009_access_scopes on %s', (kind) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase(kind, { migrate: false });
  });

  afterEach(async () => {
    await db.destroy();
  });

  it('admits the two escalation roles, keeps refusing unknown ones, and keeps users and their tokens', async () => {
    await migrateLatest(db.knex);
    const users = new UsersRepository(db.knex);
    const senior = await users.create({ name: 'Senior', email: 'senior@maker.test', role: 'senior_engineer' });
    const lead = await users.create({ name: 'Lead', email: 'lead@maker.test', role: 'leadership' });
    expect([senior.role, lead.role]).toEqual(['senior_engineer', 'leadership']);
    await expect(db.knex('users').insert({ name: 'X', email: 'x@maker.test', role: 'overlord', locale: 'en', active: true, created_at: new Date() })).rejects.toThrow();
    const token = await users.issueToken(senior.id, 'test');
    expect((await users.authenticate(token))?.id).toBe(senior.id);
  });

  it('links existing projects to the project manager user with their e-mail', async () => {
    // Up to 0004, record a project, then run 0009.
    for (let i = 0; i < 4; i += 1) await db.knex.migrate.up(migrationConfig);
    const now = new Date();
    const [pmId] = await db.knex('users').insert({ name: 'PM', email: 'pm@maker.test', role: 'project_manager', locale: 'en', active: true, created_at: now });
    const [customerId] = await db.knex('customers').insert({ name: 'Hospital', class: 'key', time_zone: 'Asia/Shanghai', locale: 'zh-CN', service_stopped_flag: false, created_at: now, updated_at: now });
    const [contractId] = await db.knex('contracts').insert({ customer_id: customerId, contract_no: 'HT-1', kind: 'project', policy_overrides: '{}', resolved_policy: '{}', created_at: now });
    await db.knex('projects').insert([
      { customer_id: customerId, contract_id: contractId, contract_no: 'HT-1', name: 'A', pm_name: 'PM', pm_email: 'PM@Maker.test', stage: 'awaiting_kickoff', created_at: now, updated_at: now },
    ]);
    await migrateLatest(db.knex);
    const row = (await db.knex('projects').first('project_manager_user_id')) as { project_manager_user_id: number | null };
    expect(Number(row.project_manager_user_id)).toBe(Number(pmId));
  });

  it('rolls back and migrates up again', async () => {
    await migrateLatest(db.knex);
    await rollbackAll(db.knex);
    await migrateLatest(db.knex);
    expect(await db.knex.schema.hasColumn('users', 'customer_id')).toBe(true);
    expect(await db.knex.schema.hasColumn('projects', 'project_manager_user_id')).toBe(true);
  });
});
