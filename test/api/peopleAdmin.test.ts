/**
 * People administration and organisational units through the API, against a real SMTP server:
 * the list with each invitation's state (failed from a mail the server refused for good), changes
 * under the rules with answers in the reader's language, a resent invitation for an account from
 * before passwords (the upgrade path), a dealer's administrator deactivating their own dealer's user,
 * units' refusals naming their field, and the audit trail. No link token in any answer.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { CustomersRepository } from '../../installedBase/customers';
import { DealersRepository } from '../../installedBase/dealers';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';
import { auditRowsOnce } from '../support/auditRows';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };
const tokens: Record<'admin' | 'sm' | 'desk' | 'dealerAdmin' | 'engineer', string> = { admin: 'ac_people-admin-api-token-00001', sm: '', desk: '', dealerAdmin: '', engineer: '' };
const answers: string[] = [];
let customerId: number;
let dealerId: number;
let otherDealerId: number;

async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${server.url}/api${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  const users = new UsersRepository(db.knex);
  await users.ensureAdmin(tokens.admin);
  customerId = (await new CustomersRepository(db.knex).create({ name: 'API Hospital', contacts: [{ name: 'Zhou Contact', email: 'zhou@api-hospital.test', role: 'interface', isPrimary: true }] })).id;
  dealerId = (await new DealersRepository(db.knex).create('API Dealer')).id;
  otherDealerId = (await new DealersRepository(db.knex).create('API Other Dealer')).id;
  const user = async (key: keyof typeof tokens, role: 'service_manager' | 'dispatcher' | 'dealer' | 'engineer', extra: { dealerId?: number; locale?: 'en' | 'zh-CN' } = {}) => {
    const created = await users.create({ name: key, email: `${key}@api-people.test`, role, locale: 'en', ...extra });
    tokens[key] = await users.issueToken(created.id, 'api');
    return created;
  };
  await user('sm', 'service_manager', { locale: 'zh-CN' });
  await user('desk', 'dispatcher');
  const boss = await user('dealerAdmin', 'dealer', { dealerId });
  await db.knex('users').where({ id: boss.id }).update({ dealer_admin: true });
  await user('engineer', 'engineer');
  const app = createApp({ knex: db.knex, mail });
  app.use(createConsole({ knex: db.knex, mail }));
  server = await startApiServer(app, 0, '127.0.0.1');
  mail.publicUrl = server.url;
});

afterAll(async () => {
  await server?.close();
  await transport?.close();
  await sink?.stop();
  await db?.destroy();
});

describe('organisational units', () => {
  it('the admin adds, renames and moves units; everyone lists them; refusals name their field in the reader’s language', async () => {
    const region = await api('POST', '/org-units', tokens.admin, { name: 'East', kind: 'region' });
    expect(region).toMatchObject({ status: 201, body: { name: 'East', kind: 'region', parentId: null } });
    const team = await api('POST', '/org-units', tokens.admin, { name: 'Shanghai', kind: 'team', parentId: region.body.id });
    expect(team.status).toBe(201);
    expect((await api('POST', '/org-units', tokens.sm, { name: 'Mine', kind: 'team' })).status).toBe(403);
    expect((await api('GET', '/org-units', tokens.engineer)).body.units.map((u: Json) => u.name)).toEqual(['East', 'Shanghai']);
    const kind = await api('PATCH', `/org-units/${region.body.id}`, tokens.admin, { parentId: team.body.id });
    expect(kind).toMatchObject({ status: 400, body: { error: { details: [{ field: 'parentId' }] } } });
    const night = await api('POST', '/org-units', tokens.admin, { name: 'Nights', kind: 'team', parentId: team.body.id });
    const cycle = await api('PATCH', `/org-units/${team.body.id}`, tokens.admin, { parentId: night.body.id });
    expect(cycle).toMatchObject({ status: 400, body: { error: { details: [{ field: 'parentId', message: 'A unit cannot sit under itself or one of its own units' }] } } });
    const taken = await api('POST', '/org-units', tokens.admin, { name: 'Shanghai', kind: 'team', parentId: region.body.id });
    expect(taken).toMatchObject({ status: 409, body: { error: { details: [{ field: 'name' }] } } });
    expect((await api('PATCH', `/org-units/${team.body.id}`, tokens.admin, { name: 'Shanghai North', parentId: null })).body).toMatchObject({ name: 'Shanghai North', parentId: null });
    expect((await api('PATCH', '/org-units/999999', tokens.admin, { name: 'x' })).status).toBe(404);
    const audited = await auditRowsOnce(db.knex, (q) => q.where({ entity_type: 'org_unit' }), (rows) => rows.length >= 3);
    expect(audited.length).toBeGreaterThanOrEqual(3);
  });
});

describe('people', () => {
  it('lists people with their invitations’ states, failed when the mail server refused for good', async () => {
    const sent = await api('POST', '/users/invitations', tokens.admin, { email: 'wei@api-people.test', name: 'Wei', role: 'engineer' });
    expect(sent.status).toBe(201);
    await sink.waitFor(1);
    sink.refuseRecipient('bounce@api-people.test');
    const bounced = await api('POST', '/users/invitations', tokens.admin, { email: 'bounce@api-people.test', name: 'Bounce', role: 'engineer' });
    expect(bounced.body.invitation.mail).toBe('failed');
    const list = await api('GET', '/users?role=engineer', tokens.admin);
    expect(list.status).toBe(200);
    const states = Object.fromEntries(list.body.people.map((p: Json) => [p.email, p.invitation?.state ?? null]));
    expect(states).toEqual({ 'wei@api-people.test': 'sent', 'bounce@api-people.test': 'failed', 'engineer@api-people.test': null });
    expect((await api('GET', '/users?state=failed', tokens.admin)).body.people.map((p: Json) => p.email)).toEqual(['bounce@api-people.test']);
    expect((await api('GET', '/users?state=bogus', tokens.admin)).body.error.details[0].field).toBe('state');
    // A dealer who administers nobody lists nobody; an engineer is not admitted.
    expect((await api('GET', '/users', tokens.dealerAdmin)).body.people.map((p: Json) => p.email)).toEqual(['dealeradmin@api-people.test']);
    expect((await api('GET', '/users', tokens.engineer)).status).toBe(403);
  });

  it('changes a person under the rules: a service manager never gives finance, answered in their language', async () => {
    const wei = (await api('GET', '/users?q=wei', tokens.admin)).body.people[0];
    const refused = await api('PATCH', `/users/${wei.id}`, tokens.sm, { role: 'finance' });
    expect(refused).toMatchObject({ status: 403, body: { error: { details: [{ field: 'role', message: '您无权授予角色 finance。' }] } } });
    const unit = (await api('GET', '/org-units', tokens.sm)).body.units[0];
    const changed = await api('PATCH', `/users/${wei.id}`, tokens.sm, { role: 'senior_engineer', orgUnitId: unit.id, timeZone: 'Asia/Urumqi' });
    expect(changed).toMatchObject({ status: 200, body: { role: 'senior_engineer', orgUnitId: unit.id, timeZone: 'Asia/Urumqi' } });
    expect((await api('GET', `/users?unit=${unit.id}`, tokens.admin)).body.people.map((p: Json) => p.email)).toEqual(['wei@api-people.test']);
    // The service desk administers customers' users only: a staff member is not theirs (404, as if missing).
    expect((await api('PATCH', `/users/${wei.id}`, tokens.desk, { name: 'x' })).status).toBe(404);
    expect((await api('PATCH', `/users/${wei.id}`, tokens.sm, { dealerId: dealerId })).body.error.details[0].field).toBe('dealerId');
    const audit = await auditRowsOnce<{ action: string; status_code: number }>(db.knex, (q) => q.where({ entity_type: 'user', entity_id: wei.id }).select('action', 'status_code'), (rows) => rows.some((row) => Number(row.status_code) === 200));
    expect(audit.map((a) => `${a.action} ${a.status_code}`)).toContain(`PATCH /api/users/:id 200`);
    // The row says what changed, before and after.
    const row = await db.knex('audit_log').where({ entity_type: 'user', entity_id: wei.id, status_code: 200 }).first('details');
    const details = typeof row.details === 'string' ? JSON.parse(row.details) : row.details;
    expect(details.changes).toMatchObject({ role: { from: 'engineer', to: 'senior_engineer' }, orgUnitId: { from: null, to: unit.id }, timeZone: { to: 'Asia/Urumqi' } });
  });

  it('sends an account from before passwords its first invitation (the upgrade path); a new one ends the old link', async () => {
    const engineer = (await api('GET', '/users?q=engineer%40api', tokens.admin)).body.people[0];
    expect(engineer.invitation).toBeNull();
    const before = sink.messages.length;
    const first = await api('POST', `/users/${engineer.id}/invitation`, tokens.admin, {});
    expect(first).toMatchObject({ status: 201, body: { invitation: { mail: 'sent' }, person: { invitation: { state: 'sent' } } } });
    const second = await api('POST', `/users/${engineer.id}/invitation`, tokens.sm, {});
    expect(second.status).toBe(201);
    const mails = await sink.waitFor(before + 2);
    expect(mails.slice(before).map((m) => m.envelope.to)).toEqual([['engineer@api-people.test'], ['engineer@api-people.test']]);
    const firstLink = /token=([A-Za-z0-9_-]+)/.exec(mails[before]!.text)![1]!;
    const page = await fetch(`${server.url}/password?token=${firstLink}`);
    expect(page.status).not.toBe(200);
    // A person with a password uses "forgot password"; the route says so, naming nothing secret.
    await db.knex('users').where({ id: engineer.id }).update({ password_hash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def' });
    expect((await api('POST', `/users/${engineer.id}/invitation`, tokens.admin, {})).status).toBe(409);
  });

  it('a dealer’s administrator invites and deactivates their own dealer’s users only; the service desk invites a customer’s contacts', async () => {
    const clerk = await api('POST', '/users/invitations', tokens.dealerAdmin, { email: 'clerk@api-dealer.test', name: 'Clerk', role: 'dealer', dealerId });
    expect(clerk.status).toBe(201);
    expect((await api('POST', '/users/invitations', tokens.dealerAdmin, { email: 'c2@api-dealer.test', name: 'C2', role: 'dealer', dealerId: otherDealerId })).status).toBe(403);
    const other = await api('POST', '/users/invitations', tokens.admin, { email: 'other@api-dealer.test', name: 'Other', role: 'dealer', dealerId: otherDealerId });
    expect((await api('POST', `/users/${other.body.user.id}/deactivate`, tokens.dealerAdmin)).status).toBe(404);
    expect(await api('POST', `/users/${clerk.body.user.id}/deactivate`, tokens.dealerAdmin)).toMatchObject({ status: 200, body: { active: false } });
    const contact = await api('POST', '/users/invitations', tokens.desk, { email: 'ZHOU@api-hospital.test', name: 'Zhou', role: 'customer', customerId });
    expect(contact).toMatchObject({ status: 201, body: { user: { email: 'zhou@api-hospital.test', customerId } } });
    expect((await api('POST', '/users/invitations', tokens.desk, { email: 'nobody@api-hospital.test', name: 'N', role: 'customer', customerId })).body.error.details[0].field).toBe('email');
  });

  it('the console: an invitation posted twice is sent once; a deactivation unconfirmed is refused beside its box', async () => {
    const admin = new ConsoleVisitor(server.url);
    expect((await admin.signIn(tokens.admin)).status).toBe(303);
    await admin.get('/people/new');
    const before = sink.messages.length;
    const form = { email: 'twice@api-people.test', name: 'Twice', role: 'engineer', locale: 'en', _once: 'invite-twice-1' };
    const first = await admin.post('/people/new', form);
    const second = await admin.post('/people/new', form);
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    await sink.waitFor(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.messages.length).toBe(before + 1);
    const id = Number(/\/people\/(\d+)/.exec(first.headers.get('location')!)![1]);
    expect((await db.knex('user_links').where({ user_id: id })).length).toBe(1);

    const bad = await admin.post('/people/new', { email: 'not an address', name: 'X', role: 'engineer', locale: 'en', _once: 'invite-bad-1' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/id="f-email-error"/);

    await admin.get(`/people/${id}`);
    const unconfirmed = await admin.post(`/people/${id}/deactivate`, { _once: 'deactivate-1' });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body).toMatch(/<p class="field-error" id="f-confirm-error">Tick the box to confirm.<\/p>/);
    expect((await db.knex('users').where({ id }).first('active')).active).toBeTruthy();
    const confirmed = await admin.post(`/people/${id}/deactivate`, { confirm: 'true', _once: 'deactivate-2' });
    expect(confirmed.status).toBe(303);
    expect(Boolean(Number((await db.knex('users').where({ id }).first('active')).active))).toBe(false);
    const audited = await db.knex('audit_log').where({ action: `POST /people/${id}/deactivate (console)` }).select('status_code');
    expect(audited.map((a) => Number(a.status_code)).sort()).toEqual([303, 400]);
  });

  it('never answers with a link token', async () => {
    const tokensSent = sink.messages.map((m) => /token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1]).filter((t): t is string => Boolean(t));
    expect(tokensSent.length).toBeGreaterThan(3);
    for (const token of tokensSent) expect(answers.join('\n')).not.toContain(token);
  });
});
