/**
 * The console's pages at many open projects: signs in through the sign-in form like a browser
 * (cookie and CSRF token), then times each page as the project manager of every seeded project.
 */
import { performance } from 'node:perf_hooks';

type Report = (what: string, figure: string) => void;

/** A browser's session: the cookies it was given and the CSRF token of the last form. */
export async function signIn(apiUrl: string, token: string): Promise<string> {
  const cookies = new Map<string, string>();
  const keep = (response: Response) => {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  };
  const form = await fetch(`${apiUrl}/`);
  keep(form);
  const csrf = /name="_csrf" value="([^"]*)"/.exec(await form.text())?.[1] ?? '';
  const cookie = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const login = await fetch(`${apiUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie(), origin: apiUrl },
    body: new URLSearchParams({ token, _csrf: csrf }).toString(),
  });
  keep(login);
  if (login.status !== 303) throw new Error(`console sign-in answered ${login.status}`);
  return cookie();
}

export async function consolePages(bench: { apiUrl: string; token: string; projectIds: number[]; reads: number; report: Report; percentile: (samples: number[], p: number) => number }): Promise<void> {
  const cookie = await signIn(bench.apiUrl, bench.token);
  const timed = async (path: string) => {
    const t0 = performance.now();
    const response = await fetch(`${bench.apiUrl}${path}`, { headers: { cookie } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    return performance.now() - t0;
  };
  const pick = () => bench.projectIds[Math.floor(Math.random() * bench.projectIds.length)]!;
  const pages: Array<[string, () => string, number]> = [
    ['console GET /home', () => '/home', Math.min(bench.reads, 100)],
    ['console GET /projects', () => '/projects', Math.min(bench.reads, 100)],
    ['console GET /projects?stage=installing&page=100', () => '/projects?stage=installing&page=100', Math.min(bench.reads, 100)],
    ['console GET /projects/:id', () => `/projects/${pick()}`, bench.reads],
    ['console GET /projects/:id/steps/weekly-reports', () => `/projects/${pick()}/steps/weekly-reports`, Math.min(bench.reads, 100)],
    ['console GET /tickets', () => '/tickets', Math.min(bench.reads, 50)],
    ['console GET /exports/projects.csv (every row)', () => '/exports/projects.csv', 5],
  ];
  for (const [what, path, times] of pages) {
    const samples: number[] = [];
    for (let i = 0; i < times; i += 1) samples.push(await timed(path()));
    bench.report(what, `p50 ${bench.percentile(samples, 50).toFixed(1)} ms, p99 ${bench.percentile(samples, 99).toFixed(1)} ms`);
  }
}
