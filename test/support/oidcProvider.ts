/**
 * A real OpenID provider for the tests (test/support/oidcProviderServer.mjs, oidc-provider in a child
 * process), and a browserless walker that follows the redirects of a sign-in between the console and
 * the provider with one cookie jar, as a browser would (cookies are per host, whatever the port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface TestAccount {
  email: string;
  email_verified: boolean;
}

export interface TestProviderSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  accounts: Record<string, TestAccount>;
  /** A port chosen beforehand (freePort), else any free one. */
  port?: number;
}

export interface TestProvider {
  issuer: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(settings: TestProviderSettings): Promise<TestProvider> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'oidcProviderServer.mjs')], {
    env: { ...process.env, OIDC_TEST_CONFIG: JSON.stringify(settings), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the OpenID provider exited (${code}): ${errors}`)));
  });
  return {
    issuer: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Cookie {
  value: string;
  path: string;
}

export interface Hop {
  url: string;
  status: number;
  location: string | null;
  body: string;
}

/** Follows a sign-in's redirects between the console and the provider with one cookie jar. */
export class RedirectWalker {
  readonly cookies = new Map<string, Cookie>();
  readonly hops: Hop[] = [];

  constructor(private readonly headers: Record<string, string> = {}) {}

  private cookieHeader(url: URL): string {
    return [...this.cookies]
      .filter(([, cookie]) => url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`) || cookie.path === '/')
      .map(([key, cookie]) => `${key.split('\u0000')[0]}=${cookie.value}`)
      .join('; ');
  }

  async request(method: string, href: string, form?: Record<string, string>): Promise<Hop> {
    const url = new URL(href);
    const headers: Record<string, string> = { ...this.headers, cookie: this.cookieHeader(url) };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method, headers, body: form ? new URLSearchParams(form).toString() : undefined, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const cookiePath = attributes.map((a) => /^\s*path=(.*)$/i.exec(a)?.[1]?.trim()).find(Boolean) ?? '/';
      const key = `${name}\u0000${cookiePath}`;
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { value, path: cookiePath });
    }
    const location = response.headers.get('location');
    const hop = { url: url.href, status: response.status, location: location ? new URL(location, url).href : null, body: await response.text() };
    this.hops.push(hop);
    return hop;
  }

  /** GETs `href` and follows redirects until an answer that is not one (or `stopAt` says so). */
  async follow(href: string, stopAt: (url: URL) => boolean = () => false): Promise<Hop> {
    let hop = await this.request('GET', href);
    for (let i = 0; i < 20 && hop.location && hop.status >= 300 && hop.status < 400 && !stopAt(new URL(hop.location)); i++) hop = await this.request('GET', hop.location);
    return hop;
  }

  /** On the provider's own login form: signs in as `login` (the form takes any password), then follows on. */
  async providerLogin(form: Hop, login: string): Promise<Hop> {
    const action = /<form[^>]*action="([^"]+)"/.exec(form.body)?.[1];
    if (!action) throw new Error(`no login form at ${form.url}: ${form.status} ${form.body.slice(0, 200)}`);
    const posted = await this.request('POST', new URL(action, form.url).href, { prompt: 'login', login, password: 'any' });
    return posted.location ? this.follow(posted.location) : posted;
  }

  /** The provider's cancel link on its login form: the provider answers access_denied. */
  async providerCancel(form: Hop): Promise<Hop> {
    const cancel = /<a href="([^"]+\/abort)"/.exec(form.body)?.[1];
    if (!cancel) throw new Error('no cancel link on the provider’s form');
    return this.follow(new URL(cancel, form.url).href);
  }
}
