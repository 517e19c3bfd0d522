/**
 * Single sign-on over HTTP, against a real OpenID provider (oidc-provider, run by the test on its
 * own port) and the real console: the redirects are followed with one cookie jar, as a browser would.
 * The provider is down when the console starts: the first click says so (in the reader's language),
 * and once it is up the next one goes through. A verified staff address signs in (and accepts its
 * invitation); an unknown, unverified, deactivated or dealer address, a callback not started by this
 * browser and a sign-in cancelled at the provider are refused on the sign-in page and audited, and
 * counted against the address when this browser had a sign-in under way.
 */
import { createConsole } from '../../console';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { UsersRepository, type User } from '../../people/repository';
import { AccountsRepository } from '../../people/accounts';
import { DealersRepository } from '../../installedBase/dealers';
import { OIDC_CALLBACK_PATH } from '../../platform/config/config';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { freePort } from '../support/ports';
import { RedirectWalker, startOidcProvider, type TestProvider } from '../support/oidcProvider';

const CLIENT = { clientId: 'aftercare-console', clientSecret: 'the-test-client-secret-0123456789' };
const ACCOUNTS = {
  staff: { email: 'Staff.Engineer@Maker.TEST', email_verified: true },
  unverified: { email: 'unverified@maker.test', email_verified: false },
  stranger: { email: 'stranger@elsewhere.test', email_verified: true },
  dealer: { email: 'dealer@dealer.test', email_verified: true },
  gone: { email: 'gone@maker.test', email_verified: true },
  admin: { email: 'admin.sso@maker.test', email_verified: true },
  // MariaDB's collation takes é for e: a lookalike address must not reach the staff engineer's account.
  lookalike: { email: 'staff.engineér@maker.test', email_verified: true },
};

let db: TestDatabase;
let server: ApiServer;
let provider: TestProvider | undefined;
let providerPort: number;
let staff: User;
let gone: User;
const settings = { issuer: '', clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, name: 'Maker ID', redirectUri: '' };

beforeAll(async () => {
  db = await createTestDatabase();
  const users = new UsersRepository(db.knex);
  staff = await users.create({ name: 'Staff Engineer', email: 'staff.engineer@maker.test', role: 'engineer', locale: 'en' });
  await users.create({ name: 'Unverified', email: 'unverified@maker.test', role: 'engineer', locale: 'en' });
  const dealer = await new DealersRepository(db.knex).create('Dealer One');
  await users.create({ name: 'Dealer', email: 'dealer@dealer.test', role: 'dealer', dealerId: dealer.id, locale: 'en' });
  gone = await users.create({ name: 'Gone', email: 'gone@maker.test', role: 'engineer', locale: 'en' });
  await users.deactivate(gone.id);
  await users.create({ name: 'Admin by SSO', email: 'admin.sso@maker.test', role: 'admin', locale: 'en' });
  // The staff engineer was invited and never set a password.
  await new AccountsRepository(db.knex).createLink(staff.id, 'invitation', new Date(Date.now() + 3_600_000), null, new Date());

  const consolePort = await freePort();
  providerPort = await freePort();
  settings.issuer = `http://127.0.0.1:${providerPort}`;
  settings.redirectUri = `http://127.0.0.1:${consolePort}${OIDC_CALLBACK_PATH}`;
  const app = createApp({ knex: db.knex });
  app.use(createConsole({ knex: db.knex, oidc: settings }));
  server = await startApiServer(app, consolePort, '127.0.0.1');
});

afterAll(async () => {
  await provider?.stop();
  await server?.close();
  await db?.destroy();
});

const failuresOfAddress = async () => Number(((await db.knex('sign_in_failures').count({ n: '*' }).first()) as { n: number | string }).n);
const lastAudit = async () => {
  const row = (await db.knex('audit_log').orderBy('id', 'desc').first()) as { status_code: number; details: unknown; actor_user_id: number | null };
  return { status: Number(row.status_code), actor: row.actor_user_id === null ? null : Number(row.actor_user_id), details: typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : (row.details as Record<string, unknown>) };
};
const problemOf = (html: string) => /<p class="error sso-refused" role="alert">([^<]*)<\/p>/.exec(html)?.[1]?.replace(/&#x27;|&#39;/g, "'") ?? null;

/** Starts a sign-in at the console and lands on the provider's login form. */
async function toProviderForm(walker: RedirectWalker, next = '/projects?stage=installing') {
  return walker.follow(`${server.url}/sign-in/oidc?next=${encodeURIComponent(next)}`);
}

/** A whole sign-in as `login` at the provider; the last answer of the console. */
async function signInAs(login: keyof typeof ACCOUNTS, next?: string, language = 'en') {
  const walker = new RedirectWalker({ 'accept-language': language });
  const form = await toProviderForm(walker, next);
  const landed = await walker.providerLogin(form, login);
  return { walker, landed };
}

describe('single sign-on against a real OpenID provider', () => {
  it('the provider down at start: the button is there, a click says the provider cannot be reached, in the reader’s language', async () => {
    const page = await fetch(`${server.url}/?next=%2Fprojects`, { headers: { 'accept-language': 'zh-CN' } });
    const html = await page.text();
    expect(html).toContain('<a class="sso-start" href="/sign-in/oidc?next&#x3D;%2Fprojects">使用 Maker ID 登录</a>');
    const before = await failuresOfAddress();
    const walker = new RedirectWalker({ 'accept-language': 'zh-CN' });
    const refused = await toProviderForm(walker);
    expect(refused.status).toBe(503);
    expect(problemOf(refused.body)).toBe('暂时无法连接 Maker ID。请过几分钟再试，或使用密码登录。');
    expect(await lastAudit()).toMatchObject({ status: 503, actor: null, details: { outcome: 'oidc_refused', reason: 'provider_down' } });
    // Not counted against the address: any site can make a browser open this link.
    expect(await failuresOfAddress()).toBe(before);
  });

  it('once the provider is up, a verified staff address signs in, accepts its invitation and lands on the page asked for', async () => {
    provider = await startOidcProvider({ ...CLIENT, redirectUri: settings.redirectUri, accounts: ACCOUNTS, port: providerPort });
    const { walker, landed } = await signInAs('staff');
    // The authorization request carried PKCE (S256), state and nonce.
    const authorization = new URL(walker.hops.find((hop) => hop.url.startsWith(`${server.url}/sign-in/oidc?`))!.location!);
    expect(authorization.origin).toBe(settings.issuer);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    for (const param of ['code_challenge', 'state', 'nonce']) expect(authorization.searchParams.get(param)).toMatch(/^[\w-]{20,}$/);
    expect(authorization.searchParams.get('redirect_uri')).toBe(settings.redirectUri);
    expect(landed.url).toBe(`${server.url}/projects?stage=installing`);
    expect(landed.status).toBe(200);
    const callback = walker.hops.find((hop) => hop.url.startsWith(settings.redirectUri))!;
    expect(callback).toMatchObject({ status: 303, location: `${server.url}/projects?stage=installing` });
    expect([...walker.cookies.keys()].some((key) => key.startsWith('aftercare_oidc'))).toBe(false);
    expect(await lastAuditOf('signed_in')).toMatchObject({ actor: staff.id, details: { outcome: 'signed_in', with: 'oidc', acceptedInvitation: true } });
    const links = await new AccountsRepository(db.knex).listLinks(staff.id);
    expect(links[0]).toMatchObject({ purpose: 'invitation' });
    expect(links[0]!.usedAt).not.toBeNull();
    // Nothing secret in the trail.
    const trail = JSON.stringify(await db.knex('audit_log').select());
    for (const secret of [CLIENT.clientSecret, authorization.searchParams.get('state')!, authorization.searchParams.get('nonce')!, new URL(callback.url).searchParams.get('code')!]) expect(trail).not.toContain(secret);
  });

  it.each([
    ['stranger', 'unknown_account', 'Maker ID signed you in as stranger@elsewhere.test, but no active staff account in Aftercare has that address. Ask an administrator to invite you.'],
    ['lookalike', 'unknown_account', 'Maker ID signed you in as staff.engineér@maker.test, but no active staff account in Aftercare has that address. Ask an administrator to invite you.'],
    ['gone', 'deactivated', 'Maker ID signed you in as gone@maker.test, but no active staff account in Aftercare has that address. Ask an administrator to invite you.'],
    ['dealer', 'not_staff', 'Sign-in with Maker ID is for staff of the company. Sign in with your e-mail address and password.'],
    ['unverified', 'email_unverified', 'Maker ID has not verified the e-mail address of your account there, so it cannot sign you in here. Ask your administrator of Maker ID, or sign in with your password.'],
  ] as const)('%s: refused on the sign-in page (%s), audited and counted against the address', async (login, reason, words) => {
    const before = await failuresOfAddress();
    const { walker, landed } = await signInAs(login, '/tickets');
    expect(landed.url.startsWith(settings.redirectUri)).toBe(true);
    expect(landed.status).toBe(403);
    expect(problemOf(landed.body)).toBe(words);
    // The page keeps the page asked for, for a sign-in with a password.
    expect(landed.body).toContain('name="next" value="/tickets"');
    expect([...walker.cookies.keys()].some((key) => key.startsWith('aftercare_session'))).toBe(false);
    expect(await lastAudit()).toMatchObject({ status: 403, actor: null, details: { outcome: 'oidc_refused', reason } });
    expect(await failuresOfAddress()).toBe(before + 1);
  });

  it('a callback this browser did not start, or with another state, is refused (counted only when this browser had a sign-in under way)', async () => {
    const before = await failuresOfAddress();
    const stranger = await fetch(`${settings.redirectUri}?code=forged&state=forged`, { redirect: 'manual' });
    expect(stranger.status).toBe(400);
    expect(problemOf(await stranger.text())).toBe('That sign-in with Maker ID could not be finished: it took too long, or it was started in another browser. Try again.');
    expect(await lastAudit()).toMatchObject({ status: 400, details: { outcome: 'oidc_refused', reason: 'bad_state' } });
    expect(await failuresOfAddress()).toBe(before);

    const walker = new RedirectWalker();
    const form = await toProviderForm(walker);
    const posted = await walker.request('POST', new URL(/<form[^>]*action="([^"]+)"/.exec(form.body)![1]!, form.url).href, { prompt: 'login', login: 'staff', password: 'any' });
    const back = await walker.follow(posted.location!, (url) => url.href.startsWith(settings.redirectUri));
    const callback = new URL(back.location!);
    callback.searchParams.set('state', 'another-state-than-this-browser-started');
    const refused = await walker.request('GET', callback.href);
    expect(refused.status).toBe(400);
    expect([...walker.cookies.keys()].some((key) => key.startsWith('aftercare_session'))).toBe(false);
    expect(await failuresOfAddress()).toBe(before + 1);
  });

  it('a sign-in cancelled at the provider comes back refused, with the provider named', async () => {
    const walker = new RedirectWalker();
    const form = await toProviderForm(walker);
    const back = await walker.providerCancel(form);
    expect(back.url.startsWith(settings.redirectUri)).toBe(true);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
    expect(back.status).toBe(401);
    expect(problemOf(back.body)).toBe('Maker ID did not sign you in. Try again, or sign in with your password.');
    expect(await lastAudit()).toMatchObject({ status: 401, details: { outcome: 'oidc_refused', reason: 'provider_error' } });
  });

  it('an admin signed in through the provider still owes the second factor: held at enrolment, the page asked for kept', async () => {
    const { walker, landed } = await signInAs('admin', '/tickets?state=open');
    const callback = walker.hops.find((hop) => hop.url.startsWith(settings.redirectUri))!;
    expect(callback).toMatchObject({ status: 303, location: `${server.url}/tickets?state=open` });
    expect(landed.url).toBe(`${server.url}/profile/second-factor?next=${encodeURIComponent('/tickets?state=open')}`);
    expect(landed.status).toBe(200);
    const elsewhere = await walker.follow(`${server.url}/projects`);
    expect(elsewhere.url).toBe(`${server.url}/profile/second-factor?next=%2Fprojects`);
  });

  it('only a local page is returned to', async () => {
    const { landed } = await signInAs('staff', '//evil.example/steal');
    expect(landed.url).toBe(`${server.url}/home`);
  });

  it('the provider gone between its login and the callback: the callback says it cannot be reached (503), never a 500', async () => {
    const walker = new RedirectWalker({ 'accept-language': 'zh-CN' });
    const form = await toProviderForm(walker);
    const posted = await walker.request('POST', new URL(/<form[^>]*action="([^"]+)"/.exec(form.body)![1]!, form.url).href, { prompt: 'login', login: 'staff', password: 'any' });
    const back = await walker.follow(posted.location!, (url) => url.href.startsWith(settings.redirectUri));
    await provider!.stop();
    provider = undefined;
    const refused = await walker.request('GET', back.location!);
    expect(refused.status).toBe(503);
    expect(problemOf(refused.body)).toBe('暂时无法连接 Maker ID。请过几分钟再试，或使用密码登录。');
    expect(await lastAudit()).toMatchObject({ status: 503, details: { outcome: 'oidc_refused', reason: 'provider_down' } });
  });
});

async function lastAuditOf(outcome: string) {
  const rows = (await db.knex('audit_log').orderBy('id', 'desc').select()) as Array<{ status_code: number; details: unknown; actor_user_id: number | null }>;
  for (const row of rows) {
    const details = (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>;
    if (details.outcome === outcome) return { actor: row.actor_user_id === null ? null : Number(row.actor_user_id), details };
  }
  return null;
}
