/**
 * A browserless visitor of the console for HTTP-level tests: keeps its cookies like a browser
 * would and sends back the CSRF token of the last page it read. (test/console/browser.test.ts
 * drives real Chromium; this one is for the many small cases.)
 */
import { factorPage, freshCode, rememberSecret, secretOf, secretOnPage } from './secondFactor';

export interface Page {
  status: number;
  headers: Headers;
  body: string;
}

export interface VisitOptions {
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Leave out the CSRF token the last page gave (a forged post). */
  withoutCsrf?: boolean;
}

export class ConsoleVisitor {
  readonly cookies = new Map<string, string>();
  /** The `_csrf` value of the last HTML page read. */
  csrfToken: string | null = null;

  /**
   * `options.now`: the visitor's phone's clock, for the second factor's codes; give the console's
   * clock where a test fixes it (createConsole's `now`). The real time otherwise.
   */
  constructor(
    private readonly baseUrl: string,
    private readonly options: { now?: () => Date } = {},
  ) {}

  async request(method: string, path: string, options: VisitOptions = {}): Promise<Page> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = { ...(options.withoutCsrf || this.csrfToken === null ? {} : { _csrf: this.csrfToken }), ...options.form };
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    const token = /name="_csrf" value="([^"]*)"/.exec(text)?.[1];
    if (token) this.csrfToken = token;
    return { status: response.status, headers: response.headers, body: text };
  }

  get(path: string): Promise<Page> {
    return this.request('GET', path);
  }

  post(path: string, form: Record<string, string>, options: Omit<VisitOptions, 'form'> = {}): Promise<Page> {
    return this.request('POST', path, { ...options, form });
  }

  /**
   * Opens the sign-in form and sends it with `token`, then follows the redirect, as a browser would.
   * When the session is held at the second factor (admins and finance), it passes it as the person
   * would: enrols when asked (keeping the secret shown for the token), or types a fresh code, then
   * goes on to the page first asked for. Returns the sign-in form's answer.
   */
  async signIn(token: string): Promise<Page> {
    await this.get('/');
    const answer = await this.post('/login', { token });
    const location = answer.headers.get('location');
    if (answer.status === 303 && location) await this.passSecondFactor(token, await this.follow(location));
    return answer;
  }

  /** GETs `path`, following the console's redirects to the second factor's pages; the last answer and where it was. */
  private async follow(path: string): Promise<{ path: string; page: Page }> {
    let at = path;
    let page = await this.get(at);
    for (let hops = 0; hops < 3 && page.status === 303; hops++) {
      const next = page.headers.get('location');
      if (!next || !factorPage(next)) break;
      at = next;
      page = await this.get(at);
    }
    return { path: at, page };
  }

  /** Passes the second factor where the session is held at it (see signIn); otherwise nothing. */
  async passSecondFactor(token: string, landed: { path: string; page: Page }): Promise<void> {
    const held = factorPage(landed.path);
    if (!held || landed.page.status !== 200) return;
    const nextField = /name="next" value="([^"]*)"/.exec(landed.page.body)?.[1];
    const next = nextField ? nextField.replace(/&#x3D;/g, '=').replace(/&#x2F;/g, '/').replace(/&amp;/g, '&') : '';
    if (held === 'enrol') {
      const secret = secretOnPage(landed.page.body);
      if (!secret) return;
      rememberSecret(token, secret);
      const codes = await this.post('/profile/second-factor', { step: 'confirm', code: await freshCode(secret, this.options.now), ...(next ? { next } : {}) });
      if (codes.status !== 200) throw new Error(`Enrolling the second factor failed: ${codes.status}`);
      // The recovery codes page links on to `next` (else home), as a person would follow it.
      await this.get(next || '/home');
      return;
    }
    const secret = secretOf(token);
    if (!secret) throw new Error('The session is held at the second factor, and no secret is kept for this token');
    const passed = await this.post('/second-factor', { code: await freshCode(secret, this.options.now), ...(next ? { next } : {}) });
    const location = passed.headers.get('location');
    if (passed.status !== 303 || !location) throw new Error(`Passing the second factor failed: ${passed.status}`);
    await this.get(location);
  }
}
