/**
 * The profile page over HTTP (no browser): every role reaches it and its tokens page; name, language
 * and time zone are saved or refused naming the field; a new password needs the current one and ends
 * the person's other sessions; another session is ended from the list; a new e-mail address changes
 * only through the link mailed to it (real SMTP sink), and the old address is told; tokens are made
 * (shown once), refused above the person's role, revoked after a confirmation.
 */
import { createConsole } from '../../console';
import { createApp } from '../../api/app';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { ROLES } from '../../domain/access';
import { AccountsRepository } from '../../people/accounts';
import { hashPassword } from '../../people/passwords';
import { UsersRepository, type User } from '../../people/repository';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';

const PASSWORD = 'a quiet tram at dusk';
const NEW_PASSWORD = 'lanterns over the river';

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
let person: User;
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };

async function signedIn(email: string, password: string): Promise<ConsoleVisitor> {
  const who = new ConsoleVisitor(server.url);
  await who.get('/');
  const answer = await who.post('/login', { email, password });
  expect(answer.status).toBe(303);
  return who;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  const users = new UsersRepository(db.knex);
  person = await users.create({ name: 'Profile Person', email: 'profile.person@maker.test', role: 'service_manager', locale: 'en' });
  await new AccountsRepository(db.knex).setPasswordHash(person.id, await hashPassword(PASSWORD), new Date());
  const app = createApp({ knex: db.knex, mail });
  app.use(createConsole({ knex: db.knex, mail, signInLimit: { attempts: 1000, windowMs: 60_000 } }));
  server = await startApiServer(app, 0, '127.0.0.1');
  mail.publicUrl = server.url;
});

afterAll(async () => {
  await server?.close();
  await transport?.close();
  await sink?.stop();
  await db?.destroy();
});

describe('the profile page', () => {
  it('is reached by every role from the header, and sends the signed-out to sign in', async () => {
    const users = new UsersRepository(db.knex);
    for (const role of ROLES) {
      const user = await users.create({ name: `Role ${role}`, email: `${role}@roles.test`, role, locale: 'en' });
      const who = new ConsoleVisitor(server.url);
      expect((await who.signIn(await users.issueToken(user.id, 'console'))).status).toBe(303);
      const home = await who.get('/home');
      expect(home.body).toContain('<a class="profile" href="/profile">');
      expect((await who.get('/profile')).status).toBe(200);
      expect((await who.get('/profile/tokens')).status).toBe(200);
    }
    const stranger = new ConsoleVisitor(server.url);
    for (const path of ['/profile', '/profile/tokens']) expect((await stranger.get(path)).status).toBe(303);
  });

  it('saves name, language and time zone; refuses an unknown zone naming the field, and writes nothing', async () => {
    const who = await signedIn(person.email, PASSWORD);
    await who.get('/profile');
    const bad = await who.post('/profile', { name: 'Profile Person', locale: 'en', timeZone: 'Mars/Olympus' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/id="f-timeZone"[^>]*aria-invalid="true"/);
    expect((await new UsersRepository(db.knex).get(person.id))?.timeZone).toBeNull();
    const saved = await who.post('/profile', { name: '资料人', locale: 'zh-CN', timeZone: 'Europe/Berlin' });
    expect(saved.status).toBe(303);
    const page = await who.get('/profile?done=saved');
    expect(page.body).toContain('个人资料已保存');
    expect(await new UsersRepository(db.knex).get(person.id)).toMatchObject({ name: '资料人', locale: 'zh-CN', timeZone: 'Europe/Berlin' });
    await who.post('/profile', { name: 'Profile Person', locale: 'en', timeZone: '' });
  });

  it('changes the password with the current one, ending the other sessions and keeping this one; ends another session from the list', async () => {
    const other = await signedIn(person.email, PASSWORD);
    const third = await signedIn(person.email, PASSWORD);
    const who = await signedIn(person.email, PASSWORD);
    await who.get('/profile');
    const wrong = await who.post('/profile/password', { current: 'not it at all', password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('That is not your current password.');
    // End one other session from the list first.
    const listed = await who.get('/profile');
    const ends = [...listed.body.matchAll(/action="\/profile\/sessions\/(\d+)\/end"/g)].map((m) => Number(m[1]));
    expect(ends.length).toBeGreaterThanOrEqual(2);
    const thirdId = Math.max(...ends);
    expect((await who.post(`/profile/sessions/${thirdId}/end`, {})).status).toBe(303);
    expect((await third.get('/profile')).status).toBe(303);
    const changed = await who.post('/profile/password', { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(changed.status).toBe(303);
    expect((await who.get('/profile')).status).toBe(200);
    const gone = await other.get('/profile');
    expect(gone.status).toBe(303);
    expect(gone.headers.get('location')).toContain('ended=password_changed');
    await signedIn(person.email, NEW_PASSWORD);
  });

  it('changes the e-mail address only through the link mailed to the new one, and tells the old one', async () => {
    const who = await signedIn(person.email, NEW_PASSWORD);
    await who.get('/profile');
    // Without the current password, or with a wrong one: refused beside it, nothing mailed.
    const bare = await who.post('/profile/email', { email: 'Profile.New@Maker.test' });
    expect(bare.status).toBe(400);
    expect(bare.body).toMatch(/id="f-email-current"[^>]*aria-invalid="true"/);
    expect((await who.post('/profile/email', { email: 'Profile.New@Maker.test', current: 'not my password' })).status).toBe(400);
    expect(await db.knex('user_links').where({ purpose: 'email_change' }).count({ n: '*' }).first()).toEqual({ n: 0 });
    const taken = await who.post('/profile/email', { email: 'admin@roles.test', current: NEW_PASSWORD });
    expect(taken.status).toBe(400);
    const asked = await who.post('/profile/email', { email: 'Profile.New@Maker.test', current: NEW_PASSWORD });
    expect(asked.status).toBe(200);
    expect((await new UsersRepository(db.knex).get(person.id))?.email).toBe('profile.person@maker.test');
    const received = await sink.waitFor(1);
    const confirmation = received.find((m) => m.envelope.to.includes('profile.new@maker.test'))!;
    expect(confirmation.subject).toBe('Confirm your new Aftercare e-mail address');
    const link = /http:\/\/\S+\/profile\/email\/confirm\?token=[A-Za-z0-9_-]+/.exec(confirmation.text)![0];
    expect(JSON.stringify(await db.knex('notice_outbox'))).not.toContain(new URL(link).searchParams.get('token')!);
    // The password page does not take it.
    expect((await new ConsoleVisitor(server.url).get(`/password?token=${new URL(link).searchParams.get('token')}`)).status).toBe(404);
    const reader = new ConsoleVisitor(server.url);
    const opened = await reader.get(link.replace(server.url, ''));
    expect(opened.status).toBe(200);
    expect((await new UsersRepository(db.knex).get(person.id))?.email).toBe('profile.person@maker.test');
    const confirmed = await reader.post('/profile/email/confirm', { token: new URL(link).searchParams.get('token')! });
    expect(confirmed.status).toBe(200);
    expect((await new UsersRepository(db.knex).get(person.id))?.email).toBe('profile.new@maker.test');
    expect((await reader.post('/profile/email/confirm', { token: new URL(link).searchParams.get('token')! })).status).toBe(410);
    const notice = (await sink.waitFor(2)).find((m) => m.envelope.to.includes('profile.person@maker.test'))!;
    expect(notice.subject).toBe('Your Aftercare e-mail address was changed');
    await signedIn('profile.new@maker.test', NEW_PASSWORD);
  });

  it('makes a token shown once, refuses any role but the person’s own, and revokes one after confirming', async () => {
    const who = await signedIn('profile.new@maker.test', NEW_PASSWORD);
    await who.get('/profile/tokens');
    const above = await who.post('/profile/tokens', { name: 'too much', role: 'admin', expiresInDays: '' });
    expect(above.status).toBe(403);
    expect(above.body).toMatch(/id="f-role"[^>]*aria-invalid="true"/);
    const once = /name="_once" value="([^"]+)"/.exec((await who.get('/profile/tokens')).body)![1]!;
    const below = await who.post('/profile/tokens', { name: 'too narrow', role: 'dispatcher', expiresInDays: '' });
    expect(below.status).toBe(403);
    const made = await who.post('/profile/tokens', { name: 'ERP', role: 'service_manager', expiresInDays: '30', _once: once });
    expect(made.status).toBe(201);
    // A double click sends the same form again: no second token, and no token shown.
    const twice = await who.post('/profile/tokens', { name: 'ERP', role: 'service_manager', expiresInDays: '30', _once: once });
    expect(twice.status).toBe(409);
    expect(twice.body).not.toContain('class="new-token"');
    expect(await db.knex('api_tokens').where({ label: 'ERP' }).count({ n: '*' }).first()).toEqual({ n: 1 });
    const token = /<code class="new-token">([^<]+)<\/code>/.exec(made.body)![1]!;
    const me = await fetch(`${server.url}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { role: string }).role).toBe('service_manager');
    const list = await who.get('/profile/tokens');
    expect(list.body).not.toContain(token);
    const id = /href="\/profile\/tokens\/(\d+)\/revoke"/.exec(list.body)![1]!;
    expect((await who.get(`/profile/tokens/${id}/revoke`)).status).toBe(200);
    const revoked = await who.post(`/profile/tokens/${id}/revoke`, {});
    expect(revoked.status).toBe(303);
    expect((await fetch(`${server.url}/api/users/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    // Someone else's token is not there to revoke.
    const stranger = await signedIn('profile.new@maker.test', NEW_PASSWORD);
    await stranger.get('/profile/tokens');
    expect((await stranger.post('/profile/tokens/999999999/revoke', {})).status).toBe(404);
  });
});
