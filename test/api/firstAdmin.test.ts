/**
 * The first administrator's set-up link (people/firstAdmin.ts), as npm start makes and prints it: on
 * a database where no admin has a password, a single-use link for AFTERCARE_ADMIN_EMAIL on the usual
 * password page; a fresh one each start (the last stops working); nothing once it was used.
 */
import { createConsole } from '../../console';
import { createApp } from '../../api/app';
import { startApiServer, type ApiServer } from '../../platform/http';
import { ensureSetupLink, setupLinkLine } from '../../people/firstAdmin';
import { UsersRepository } from '../../people/repository';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let server: ApiServer;

beforeAll(async () => {
  db = await createTestDatabase();
  const app = createApp({ knex: db.knex });
  app.use(createConsole({ knex: db.knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

const pathOf = (url: string) => url.replace(server.url, '');

describe('the first administrator’s set-up link', () => {
  it('is made for AFTERCARE_ADMIN_EMAIL beside the bootstrap token, fresh each start, and sets the password once', async () => {
    await new UsersRepository(db.knex).ensureAdmin('ac_first-admin-test-bootstrap-0001');
    const now = new Date();
    const first = await ensureSetupLink(db.knex, { email: 'admin@localhost', publicUrl: server.url, validMs: 24 * 3_600_000, now });
    expect(first).toMatchObject({ state: 'made', email: 'admin@localhost', expiresAt: new Date(now.getTime() + 24 * 3_600_000) });
    if (first.state !== 'made') throw new Error('no link');
    expect(first.url).toMatch(new RegExp(`^${server.url}/password\\?token=[A-Za-z0-9_-]{43}$`));
    expect(setupLinkLine(first)).toBe(`first admin: set the password of admin@localhost at ${first.url} (works once, until ${first.expiresAt.toISOString()})`);

    // A restart before it is used: a fresh link, the old one stops working.
    const second = await ensureSetupLink(db.knex, { email: 'admin@localhost', publicUrl: server.url });
    if (second.state !== 'made') throw new Error('no link');
    expect(second.url).not.toBe(first.url);
    const who = new ConsoleVisitor(server.url);
    expect((await who.get(pathOf(first.url))).status).toBe(410);
    const page = await who.get(pathOf(second.url));
    expect(page.status).toBe(200);
    expect(page.body).toContain('admin@localhost');
    const token = new URL(second.url).searchParams.get('token')!;
    const set = await who.post('/password', { token, password: 'first light over the yard', confirm: 'first light over the yard' });
    expect(set.status).toBe(303);
    // Signed in, and as an admin held at the second factor's enrolment before any other page.
    const home = await who.get('/home');
    expect([home.status, home.headers.get('location')]).toEqual([303, '/profile/second-factor']);
    expect((await who.get('/profile/second-factor')).status).toBe(200);

    // Each link made is on the audit trail, without the link.
    const audited = await db.knex('audit_log').where({ action: 'setup link (npm start)' });
    expect(audited).toHaveLength(2);
    expect(JSON.stringify(audited)).not.toContain(token);

    // Used: nothing more is made or printed.
    const third = await ensureSetupLink(db.knex, { email: 'admin@localhost', publicUrl: server.url });
    expect(third).toEqual({ state: 'done' });
    expect(setupLinkLine(third)).toBeNull();
    expect((await new ConsoleVisitor(server.url).get(pathOf(second.url))).status).toBe(410);
  });

  it('makes no link for an address that is not an active admin, and says so', async () => {
    const fresh = await createTestDatabase();
    try {
      await new UsersRepository(fresh.knex).create({ name: 'Not Admin', email: 'ops@example.test', role: 'dispatcher' });
      const setup = await ensureSetupLink(fresh.knex, { email: 'ops@example.test', publicUrl: 'https://aftercare.example.test' });
      expect(setup).toEqual({ state: 'not_admin', email: 'ops@example.test' });
      expect(setupLinkLine(setup)).toContain('not an active admin');
      // Another address on an empty database: its admin account is made with the link.
      const made = await ensureSetupLink(fresh.knex, { email: 'boss@example.test', publicUrl: 'https://aftercare.example.test' });
      expect(made).toMatchObject({ state: 'made', email: 'boss@example.test', url: expect.stringMatching(/^https:\/\/aftercare\.example\.test\/password\?token=/) });
      expect((await new UsersRepository(fresh.knex).getByEmail('boss@example.test'))?.role).toBe('admin');
    } finally {
      await fresh.destroy();
    }
  });
});
