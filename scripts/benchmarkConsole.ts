/**
 * The console's pages at many open projects: signs in through the sign-in form like a browser
 * (cookie and CSRF token), then times each page as the project manager of every seeded project.
 */
import { performance } from 'node:perf_hooks';
import { ConsoleVisitor } from '../test/support/consoleVisitor';

type Report = (what: string, figure: string) => void;

/**
 * A browser's session: the cookies it was given, signed in with `token` through the sign-in form.
 * An admin's or finance token's session meets the second factor like a person (issue #21): the
 * test suite's visitor enrols (or types a fresh code) as the person would.
 */
export async function signIn(apiUrl: string, token: string): Promise<string> {
  const visitor = new ConsoleVisitor(apiUrl);
  const login = await visitor.signIn(token);
  if (login.status !== 303) throw new Error(`console sign-in answered ${login.status}`);
  if ((await visitor.get('/home')).status !== 200) throw new Error('the console session is still held');
  return [...visitor.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
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
