/**
 * A browserless visitor of the console for HTTP-level tests: keeps its cookies like a browser
 * would and sends back the CSRF token of the last page it read. (test/console/browser.test.ts
 * drives real Chromium; this one is for the many small cases.)
 */
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

  constructor(private readonly baseUrl: string) {}

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

  /** Opens the sign-in form and sends it with `token`, then follows the redirect, as a browser would. */
  async signIn(token: string): Promise<Page> {
    await this.get('/');
    const answer = await this.post('/login', { token });
    const location = answer.headers.get('location');
    if (answer.status === 303 && location) await this.get(location);
    return answer;
  }
}
