/**
 * People administration and organisational units on MySQL/MariaDB and SQLite (migration 0035): the
 * unit tree's rules as stored, and the people list with each invitation's state (sent, failed from its
 * mail's outbox row, accepted, expired, never invited), its filters and who sees whom.
 */
import { AccountsRepository } from '../../people/accounts';
import { changePerson, deactivatePerson, listPeople, resendInvitation } from '../../people/administration';
import { UsersRepository, type User } from '../../people/repository';
import { ConsoleSessionsRepository } from '../../people/sessions';
import { changeUnit, createUnit } from '../../people/units';
import { invite, type PeopleDeps } from '../../people/useCases';
import { CustomersRepository } from '../../installedBase/customers';
import { DealersRepository } from '../../installedBase/dealers';
import { NoticeOutbox, type MailTransport } from '../../platform/notices';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const sentMail: string[] = [];
const transport: MailTransport = {
  send: async (message) => {
    sentMail.push(JSON.stringify(message.to));
    return { messageId: `<${sentMail.length}@test>` };
  },
  close: async () => undefined,
};

describe.each(testDatabaseKinds())('people administration on %s', (kind) => {
  let db: TestDatabase;
  let deps: PeopleDeps;
  let admin: User;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    deps = { knex: db.knex, mail: { outbox: new NoticeOutbox(db.knex, transport), publicUrl: 'http://console.test' } };
    admin = await new UsersRepository(db.knex).ensureAdmin('ac_people-admin-db-token-000001');
  });

  afterAll(async () => {
    await db.destroy();
  });

  const refusal = (field: string, status: number) => expect.objectContaining({ status, details: [expect.objectContaining({ field })] });

  it('keeps units a tree: names unique among siblings, no cycles, teams never above regions', async () => {
    const south = await createUnit({ name: 'South', kind: 'region', parentId: null }, deps);
    const guangzhou = await createUnit({ name: 'Guangzhou', kind: 'team', parentId: south.id }, deps);
    const night = await createUnit({ name: 'Night shift', kind: 'team', parentId: guangzhou.id }, deps);
    await expect(createUnit({ name: 'South', kind: 'region', parentId: null }, deps)).rejects.toEqual(refusal('name', 409));
    await expect(createUnit({ name: 'Guangzhou', kind: 'team', parentId: south.id }, deps)).rejects.toEqual(refusal('name', 409));
    // The same name under another parent is another unit.
    const north = await createUnit({ name: 'North', kind: 'region', parentId: null }, deps);
    await createUnit({ name: 'Guangzhou', kind: 'team', parentId: north.id }, deps);
    await expect(createUnit({ name: 'Sub-region', kind: 'region', parentId: guangzhou.id }, deps)).rejects.toEqual(refusal('parentId', 400));
    await expect(createUnit({ name: 'Lost', kind: 'team', parentId: 999_999 }, deps)).rejects.toEqual(refusal('parentId', 400));
    await expect(changeUnit(guangzhou.id, { parentId: night.id }, deps)).rejects.toEqual(refusal('parentId', 400));
    await expect(changeUnit(guangzhou.id, { parentId: guangzhou.id }, deps)).rejects.toEqual(refusal('parentId', 400));
    // A refused move leaves the name as it was, though the same request renamed it.
    await expect(changeUnit(guangzhou.id, { name: 'Canton', parentId: night.id }, deps)).rejects.toEqual(refusal('parentId', 400));
    expect((await db.knex('org_units').where({ id: guangzhou.id }).first('name')).name).toBe('Guangzhou');
    // Moving under North clashes with North's own Guangzhou.
    await expect(changeUnit(guangzhou.id, { parentId: north.id }, deps)).rejects.toEqual(refusal('name', 409));
    expect(await changeUnit(night.id, { name: 'Nights', parentId: south.id }, deps)).toMatchObject({ name: 'Nights', parentId: south.id });
    await expect(db.knex('org_units').insert({ name: 'Office', kind: 'office', parent_key: 0, created_at: new Date() })).rejects.toThrow();
  });

  it('lists people with each invitation’s state, filtered by role, state, unit (and below) and text', async () => {
    const units = await db.knex('org_units').select('id', 'name', 'parent_id');
    const south = units.find((u) => u.name === 'South')!.id as number;
    const team = units.find((u) => u.name === 'Guangzhou' && u.parent_id !== null && Number(u.parent_id) === Number(south))!.id as number;
    const sent = await invite({ email: 'sent@people.test', name: 'Sun Sent', role: 'engineer', orgUnitId: team }, admin, deps);
    const accepted = await invite({ email: 'accepted@people.test', name: 'Ann Accepted', role: 'dispatcher', orgUnitId: south }, admin, deps);
    await new AccountsRepository(db.knex).useLink(accepted.link.id, new Date());
    const failed = await invite({ email: 'failed@people.test', name: 'Fay Failed', role: 'engineer' }, admin, deps);
    await db.knex('notice_outbox').where({ idempotency_key: `user-${failed.user.id}/invitation/${failed.link.id}` }).update({ status: 'failed' });
    const expired = await invite({ email: 'expired@people.test', name: 'Ed Expired', role: 'engineer' }, admin, { ...deps, lifetimes: { invitationMs: 1, resetMs: 1 } });
    const never = await new UsersRepository(db.knex).create({ name: 'Nat Never', email: 'never@people.test', role: 'engineer' });
    await new Promise((resolve) => setTimeout(resolve, 5));

    const all = await listPeople({ limit: 50, offset: 0 }, admin, deps);
    const stateOf = (id: number) => all.people.find((p) => p.id === id)?.invitation?.state ?? null;
    expect([stateOf(sent.user.id), stateOf(accepted.user.id), stateOf(failed.user.id), stateOf(expired.user.id), stateOf(never.id)]).toEqual(['sent', 'accepted', 'failed', 'expired', null]);
    const ids = async (query: Parameters<typeof listPeople>[0]) => (await listPeople(query, admin, deps)).people.map((p) => p.email);
    expect(await ids({ state: 'sent', limit: 50, offset: 0 })).toEqual(['sent@people.test']);
    expect(await ids({ state: 'failed', limit: 50, offset: 0 })).toEqual(['failed@people.test']);
    expect(await ids({ state: 'expired', limit: 50, offset: 0 })).toEqual(['expired@people.test']);
    expect(await ids({ state: 'accepted', limit: 50, offset: 0 })).toEqual(['accepted@people.test']);
    expect(await ids({ state: 'none', limit: 50, offset: 0 })).toEqual(['admin@localhost', 'never@people.test']);
    expect(await ids({ role: 'dispatcher', limit: 50, offset: 0 })).toEqual(['accepted@people.test']);
    expect(await ids({ unitId: south, limit: 50, offset: 0 })).toEqual(['accepted@people.test', 'sent@people.test']);
    expect(await ids({ unitId: team, limit: 50, offset: 0 })).toEqual(['sent@people.test']);
    expect(await ids({ q: 'FAY', limit: 50, offset: 0 })).toEqual(['failed@people.test']);
    expect(await ids({ q: '50%_', limit: 50, offset: 0 })).toEqual([]);
    const page = await listPeople({ limit: 2, offset: 2 }, admin, deps);
    expect(page.people).toHaveLength(2);
    expect(page.total).toBe(all.total);

    // A new invitation ends the old link; the state follows the newest.
    const again = await resendInvitation(expired.user.id, admin, deps);
    expect(again.person.invitation?.state).toBe('sent');
    expect((await new AccountsRepository(db.knex).getLink(expired.link.id))!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('shows each administrator only whom they administer, and refuses what they may not give', async () => {
    const customer = await new CustomersRepository(db.knex).create({ name: 'Admin Test Hospital', contacts: [{ name: 'Li Contact', email: 'li.contact@hospital.test', role: 'interface', isPrimary: true }] });
    const dealer = await new DealersRepository(db.knex).create('Admin Test Dealer');
    const otherDealer = await new DealersRepository(db.knex).create('Other Test Dealer');
    const users = new UsersRepository(db.knex);
    const sm = await users.create({ name: 'Sam Manager', email: 'sm@people.test', role: 'service_manager' });
    const dispatcher = await users.create({ name: 'Dee Desk', email: 'desk@people.test', role: 'dispatcher' });
    const dealerAdmin = (await invite({ email: 'boss@dealer.test', name: 'Dealer Boss', role: 'dealer', dealerId: dealer.id, dealerAdmin: true }, admin, deps)).user;
    const dealerAdminUser = (await users.get(dealerAdmin.id))!;
    expect(dealerAdminUser.dealerAdmin).toBe(true);

    // The service desk invites a customer's existing contact, and nobody else for that customer.
    await expect(invite({ email: 'stranger@hospital.test', name: 'Stranger', role: 'customer', customerId: customer.id }, dispatcher, deps)).rejects.toEqual(refusal('email', 400));
    const contact = await invite({ email: 'Li.Contact@hospital.test', name: 'Li Contact', role: 'customer', customerId: customer.id }, dispatcher, deps);
    await expect(invite({ email: 'eng@people.test', name: 'Eng', role: 'engineer' }, dispatcher, deps)).rejects.toEqual(refusal('role', 403));
    // A dealer's administrator: their own dealer's users, the dealer role only.
    const clerk = await invite({ email: 'clerk@dealer.test', name: 'Dealer Clerk', role: 'dealer', dealerId: dealer.id }, dealerAdminUser, deps);
    await expect(invite({ email: 'x@dealer.test', name: 'X', role: 'dealer', dealerId: otherDealer.id }, dealerAdminUser, deps)).rejects.toEqual(refusal('dealerId', 403));
    await expect(invite({ email: 'y@dealer.test', name: 'Y', role: 'engineer' }, dealerAdminUser, deps)).rejects.toEqual(refusal('role', 403));
    await expect(invite({ email: 'z@dealer.test', name: 'Z', role: 'dealer', dealerId: dealer.id, dealerAdmin: true }, dealerAdminUser, deps)).rejects.toEqual(refusal('dealerAdmin', 403));

    const emails = async (who: User) => (await listPeople({ limit: 100, offset: 0 }, who, deps)).people.map((p) => p.email);
    expect(await emails(dealerAdminUser)).toEqual(['boss@dealer.test', 'clerk@dealer.test']);
    expect(await emails(dispatcher)).toEqual(['li.contact@hospital.test']);
    const bySm = await emails(sm);
    expect(bySm).toContain('sent@people.test');
    expect(bySm).toContain('li.contact@hospital.test');
    expect(bySm).not.toContain('admin@localhost');
    expect(bySm).not.toContain('sm@people.test');
    expect(bySm).not.toContain('clerk@dealer.test');

    // Changes: under the rules, whole or not at all.
    await expect(changePerson(clerk.user.id, { role: 'engineer' }, dealerAdminUser, deps)).rejects.toEqual(refusal('role', 403));
    await expect(changePerson(clerk.user.id, { role: 'finance' }, sm, deps)).rejects.toMatchObject({ status: 404 });
    await expect(changePerson(contact.user.id, { orgUnitId: 1 }, dispatcher, deps)).rejects.toEqual(refusal('orgUnitId', 400));
    const staff = (await users.getByEmail('sent@people.test'))!;
    await expect(changePerson(staff.id, { role: 'finance', name: 'Renamed' }, sm, deps)).rejects.toEqual(refusal('role', 403));
    expect((await users.get(staff.id))!.name).toBe('Sun Sent');
    const { person: changed, changes } = await changePerson(staff.id, { role: 'senior_engineer', timeZone: 'Asia/Urumqi', locale: 'en' }, sm, deps);
    expect(changes).toEqual({ role: { from: 'engineer', to: 'senior_engineer' }, timeZone: { from: null, to: 'Asia/Urumqi' }, locale: { from: 'zh-CN', to: 'en' } });
    expect(changed).toMatchObject({ role: 'senior_engineer', timeZone: 'Asia/Urumqi', locale: 'en', orgUnitId: expect.any(Number) });
    // A new role for someone who acted for a dealer clears the dealer.
    expect((await changePerson(clerk.user.id, { role: 'engineer' }, admin, deps)).person).toMatchObject({ role: 'engineer', dealerId: null, dealerAdmin: false });

    // Deactivating ends every session and token at once.
    const sessions = new ConsoleSessionsRepository(db.knex);
    const opened = await sessions.openForUser(contact.user, new Date());
    await users.issueToken(contact.user.id, 'script');
    await expect(deactivatePerson(dispatcher.id, dispatcher, deps)).rejects.toMatchObject({ status: 404 });
    expect(await deactivatePerson(contact.user.id, dispatcher, deps)).toMatchObject({ active: false });
    expect((await db.knex('console_sessions').where({ id: opened.id }).first('revoked_reason')).revoked_reason).toBe('user_deactivated');
    expect((await db.knex('api_tokens').where({ user_id: contact.user.id }).whereNull('revoked_at')).length).toBe(0);
    await expect(resendInvitation(contact.user.id, dispatcher, deps)).rejects.toEqual(refusal('id', 409));
  });
});
