import { createEscalationActivities } from '../../platform/notices/activities';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

describe.each(testDatabaseKinds())('escalation recipients on %s', (kind) => {
  let db: TestDatabase;
  let users: UsersRepository;
  let activities: ReturnType<typeof createEscalationActivities>;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    users = new UsersRepository(db.knex);
    activities = createEscalationActivities({ knex: db.knex, outbox: undefined as never, now: () => new Date(), publicUrl: 'http://localhost' });
  });
  afterAll(async () => {
    await db.destroy();
  });

  it('go to the active administrators, flagged, when no service manager is on record; to the service managers once there is one', async () => {
    await users.create({ name: 'Ops Admin', email: 'ops-admin@maker.test', role: 'admin', locale: 'zh-CN' });
    const retired = await users.create({ name: 'Old Admin', email: 'old-admin@maker.test', role: 'admin' });
    await db.knex('users').where({ id: retired.id }).update({ active: false });
    await users.create({ name: 'PM', email: 'pm@maker.test', role: 'project_manager' });

    expect(await activities.escalationFallbackRecipients()).toEqual({
      people: [{ name: 'Ops Admin', email: 'ops-admin@maker.test', locale: 'zh-CN' }],
      sentToAdmins: true,
    });

    await users.create({ name: 'Liu Yang', email: 'sm@maker.test', role: 'service_manager', locale: 'en' });
    expect(await activities.escalationFallbackRecipients()).toEqual({
      people: [{ name: 'Liu Yang', email: 'sm@maker.test', locale: 'en' }],
      sentToAdmins: false,
    });
  });
});
