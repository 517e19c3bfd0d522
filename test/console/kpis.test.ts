/**
 * The KPI page through the console, signed in like a browser, on the hand-worked fixture of
 * test/db/kpis.test.ts: who sees which figures (domain/kpi.ts), the filters, the figures in each
 * language, the file export, and the chart script the content policy lets run.
 */
import { parse } from 'csv-parse/sync';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { UsersRepository } from '../../people/repository';
import type { Role } from '../../domain/access';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { KPI_NOW, seedKpiFixture, type KpiFixture } from '../support/kpiFixture';

let db: TestDatabase;
let server: ApiServer;
let fixture: KpiFixture;
const visitors: Record<string, ConsoleVisitor> = {};
const MARCH = '?from=2026-03-01&to=2026-03-31';

/** The KPI table's rows: key → [value, basis]. */
function kpiRows(html: string): Record<string, [string, string]> {
  return Object.fromEntries([...html.matchAll(/<tr data-kpi="(\w+)"><th scope="row">[^<]*<\/th><td class="figure">([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [m[1]!, [m[2]!, m[3]!]]));
}
const dealerNames = (html: string) => [...(/<section aria-labelledby="kpi-dealers">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '').matchAll(/<tr><th scope="row">([^<]*)<\/th>/g)].map((m) => m[1]!);

beforeAll(async () => {
  db = await createTestDatabase();
  fixture = await seedKpiFixture(db.knex);
  const users = new UsersRepository(db.knex);
  const person = async (key: string, role: Role, extra: { dealerId?: number; locale?: 'en' | 'zh-CN' } = {}) => {
    const created = await users.create({ name: key, email: `${key}@kpi-console.test`, role, locale: extra.locale ?? 'en', dealerId: extra.dealerId });
    // The console's clock is fixed: the visitor's authenticator reads the same.
    const visitor = new ConsoleVisitor(server.url, { now: () => KPI_NOW });
    const signedIn = await visitor.signIn(await users.issueToken(created.id, 'console'));
    if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
    visitors[key] = visitor;
  };
  const app = createApp({ knex: db.knex });
  app.use(createConsole({ knex: db.knex, now: () => KPI_NOW }));
  server = await startApiServer(app, 0, '127.0.0.1');
  await person('manager', 'service_manager');
  await person('leader', 'leadership', { locale: 'zh-CN' });
  await person('finance', 'finance');
  await person('north', 'dealer', { dealerId: fixture.north });
  await person('engineer', 'engineer');
  await person('customer', 'customer');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

describe('the KPI page', () => {
  it('shows a service manager every figure of the period, per dealer and per engineer', async () => {
    const page = await visitors.manager!.get(`/kpis${MARCH}`);
    expect(page.status).toBe(200);
    expect(kpiRows(page.body)).toEqual({
      onTimeResponse: ['83.3%', '5 of 6'],
      onTimeRepair: ['60%', '3 of 5'],
      firstTimeFix: ['25%', '1 of 4'],
      partsAccuracy: ['75%', '3 of 4'],
      satisfaction: ['3.8', 'over 4'],
      complaints: ['2', 'count'],
      complaintClosure: ['6', 'over 1'],
      overdueVisits: ['1', 'count'],
      overdueCalls: ['1', 'count'],
      claimApproval: ['75%', '3 of 4'],
      daysToSettle: ['35', 'over 2'],
    });
    expect(dealerNames(page.body)).toEqual(['North Dealer', 'South Dealer']);
    expect(page.body).toContain('<th scope="row">Engineer Li</th><td class="figure">2</td><td class="figure">50%</td>');
    expect(page.body).toMatch(/<nav aria-label="Main">.*<a href="\/kpis">KPIs<\/a>/);
    expect(page.body).toContain('<canvas id="chart-rates"');
  });

  it('filters by dealer, region and model; a visit count that no dealer filters shows “—”', async () => {
    const byDealer = kpiRows((await visitors.manager!.get(`/kpis${MARCH}&dealer=${fixture.north}`)).body);
    expect(byDealer.firstTimeFix).toEqual(['50%', '1 of 2']);
    expect(byDealer.overdueVisits).toEqual(['—', 'not by dealer, region or model']);
    expect(kpiRows((await visitors.manager!.get(`/kpis${MARCH}&region=South`)).body).claimApproval).toEqual(['100%', '1 of 1']);
    expect(kpiRows((await visitors.manager!.get(`/kpis${MARCH}&model=CT-200`)).body).partsAccuracy).toEqual(['100%', '1 of 1']);
  });

  it('a period without records shows dashes, never NaN', async () => {
    const page = await visitors.manager!.get('/kpis?from=2025-01-01&to=2025-01-31');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('NaN');
    expect(kpiRows(page.body).firstTimeFix).toEqual(['—', '0 of 0']);
    expect(kpiRows(page.body).satisfaction).toEqual(['—', 'over 0']);
  });

  it('refuses a bad filter with a 400 naming the field', async () => {
    const badDate = await visitors.manager!.get('/kpis?from=2026-02-30&to=2026-03-31');
    expect(badDate.status).toBe(400);
    expect(badDate.body).toContain('From (first day): must be a date such as 2026-03-31');
    expect((await visitors.manager!.get('/kpis?from=2026-03-31&to=2026-03-01')).body).toContain('To (last day): must not be before the first day');
    expect((await visitors.manager!.get(`/kpis${MARCH}&region=Atlantis`)).status).toBe(400);
    expect((await visitors.manager!.get(`/kpis${MARCH}&dealer=abc`)).status).toBe(400);
  });

  it('speaks the user’s language: leadership in Chinese', async () => {
    const page = await visitors.leader!.get(`/kpis${MARCH}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('一次修复率');
    expect(kpiRows(page.body).firstTimeFix).toEqual(['25%', '4 项中 1 项']);
  });

  it('shows finance the dealer figures only', async () => {
    const page = await visitors.finance!.get(`/kpis${MARCH}`);
    expect(page.status).toBe(200);
    expect(Object.keys(kpiRows(page.body))).toEqual(['claimApproval', 'daysToSettle']);
    expect(dealerNames(page.body)).toEqual(['North Dealer', 'South Dealer']);
    expect(page.body).not.toContain('Engineer Li');
  });

  it('shows a dealer its own figures, whatever dealer it asks for', async () => {
    for (const path of [`/kpis${MARCH}`, `/kpis${MARCH}&dealer=${fixture.south}`]) {
      const page = await visitors.north!.get(path);
      expect(page.status).toBe(200);
      expect(kpiRows(page.body)).toEqual({ claimApproval: ['66.7%', '2 of 3'], daysToSettle: ['35', 'over 2'] });
      expect(dealerNames(page.body)).toEqual(['North Dealer']);
      expect(page.body).not.toContain('South Dealer');
    }
    const file = await visitors.north!.get(`/kpis.csv${MARCH}&dealer=${fixture.south}`);
    expect(file.body).not.toContain('South');
  });

  it('refuses everyone else, and does not offer them the link', async () => {
    for (const key of ['engineer', 'customer']) {
      const page = await visitors[key]!.get(`/kpis${MARCH}`);
      expect(page.status).toBe(403);
      expect(page.body).not.toContain('href="/kpis"');
      expect((await visitors[key]!.get(`/kpis.csv${MARCH}`)).status).toBe(403);
    }
  });

  it('exports the KPI table as CSV (rates in %) and XLSX', async () => {
    const csv = await visitors.manager!.get(`/kpis.csv${MARCH}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = parse(csv.body, { bom: true }) as string[][];
    expect(rows[0]).toEqual(['KPI', 'Value', 'Counted', 'From (first day) – To (last day)', 'Region', 'Model', 'Dealer']);
    expect(rows.find((r) => r[0] === 'First-time fix rate')).toEqual(['First-time fix rate', '25', '1 of 4', '2026-03-01 – 2026-03-31', '', '', '']);
    expect(rows.find((r) => r[0] === 'Customer satisfaction (1–5)')?.[1]).toBe('3.8');
    expect(rows).toHaveLength(12);
    const xlsx = await visitors.manager!.get(`/kpis.xlsx${MARCH}`);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
  });

  it('serves chart.js and the page’s chart script, which the content policy allows', async () => {
    const page = await visitors.manager!.get(`/kpis${MARCH}`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.body).toContain('<script src="/assets/chart.umd.min.js" defer></script>');
    const library = await fetch(`${server.url}/assets/chart.umd.min.js`);
    expect(library.status).toBe(200);
    expect(library.headers.get('content-type')).toContain('javascript');
    expect(await library.text()).toContain('Chart.js v4');
    const script = await fetch(`${server.url}/assets/kpi-charts.js`);
    expect(await script.text()).toContain('new Chart(canvas');
  });
});
