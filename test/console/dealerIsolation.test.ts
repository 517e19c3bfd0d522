/**
 * A dealer's users see only its records (issue 9): every list, search filter and export that can
 * hold dealer-warranty records, in the API and the console, and every record route, for dealer A's
 * user, dealer B's user, finance and the sales clerk, against the real app, database and Temporal.
 * Each dealer's records carry its marker (ISOA, ISOB) in serials, customer and dealer names, so a
 * page or file that shows a row of a dealer shows its marker; JSON lists are judged by dealerId.
 * The expected cells are the permissions table (domain/access.ts) written out; they are compared
 * for equality, so a list that wrongly shows nothing fails as surely as one that shows too much.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { createConsole } from '../../console';
import { DEALER_DEADLINE_TABLES } from '../../schedule/deadlines/repository';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { PartsPlansRepository } from '../../processes/dealer/partsPlans/repository';
import { UsersRepository } from '../../people/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { previousPeriod } from '../../processes/dealer/settlement/dealerSettlement.workflow';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Who = 'dealerA' | 'dealerB' | 'finance' | 'clerk';
type Mark = 'A' | 'B';
const WHO: Who[] = ['dealerA', 'dealerB', 'finance', 'clerk'];

let system: TestSystem;
let server: ApiServer;
let app: ReturnType<typeof createApp>;
const tokens = {} as Record<Who, string>;
const visitors = {} as Record<Who, ConsoleVisitor>;
const dealerIds = {} as Record<Mark, number>;
type Records = { sale: number; pendingSale: number; claim: number; task: number; settlement: number };
const records = {} as Record<Mark, Records>;
const period = previousPeriod(new Date(), 'Asia/Shanghai');
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const cny = (amount: number) => ({ amount, currency: 'CNY' });

async function api(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: Json }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: response.headers.get('content-type')?.includes('application/json') ? JSON.parse(text) : null };
}

/** The dealers whose marker a page or file shows. */
const marksIn = (text: string): Mark[] => (['A', 'B'] as const).filter((mark) => text.includes(`ISO${mark}`));
const markOf = (dealerId: number): Mark => (dealerId === dealerIds.A ? 'A' : dealerId === dealerIds.B ? 'B' : (`#${dealerId}` as Mark));
const marksOfIds = (ids: number[]): Mark[] => [...new Set(ids.map(markOf))].sort();

beforeAll(async () => {
  system = await startTestSystem('dealer-isolation');
  const { knex } = system.db;
  const temporal = { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' };
  app = createApp({ knex, temporal, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
  app.use(createConsole({ knex, temporal }));
  server = await startApiServer(app, 0, '127.0.0.1');

  const dealers = new DealersRepository(knex);
  for (const mark of ['A', 'B'] as const) dealerIds[mark] = (await dealers.create(`Dealer ISO${mark}`)).id;
  const users = new UsersRepository(knex);
  const people: Array<[Who, 'dealer' | 'finance' | 'sales_clerk', number | undefined]> = [
    ['dealerA', 'dealer', dealerIds.A],
    ['dealerB', 'dealer', dealerIds.B],
    ['finance', 'finance', undefined],
    ['clerk', 'sales_clerk', undefined],
  ];
  for (const [who, role, dealerId] of people) {
    const user = await users.create({ name: who, email: `${who}@isolation.test`, role, locale: 'en', ...(dealerId ? { dealerId } : {}) });
    tokens[who] = await users.issueToken(user.id, 'isolation');
    visitors[who] = new ConsoleVisitor(server.url);
    expect((await visitors[who].signIn(tokens[who])).status).toBe(303);
  }

  // Each dealer: a recognised sale with a claim (a part awaited, two lines approved and settled into
  // a statement sent for confirmation), a sale whose card is pending (due this week: on everyone's
  // home who reads sales), a task, its parts plans.
  const warranty = new DealerWarrantyRepository(knex);
  const terms = { ...DEFAULT_POLICY.dealer, auditSampleRate: 0 };
  await warranty.putModelReference('M-ISO', [{ partNo: 'P-ISO' }], []);
  for (const mark of ['A', 'B'] as const) {
    const dealerId = dealerIds[mark];
    const sale = await warranty.createSale({ dealerId, deviceSerial: `SN-ISO${mark}-1`, model: 'M-ISO', saleDate: day(-50), customerName: `Customer ISO${mark}` }, terms, new Date());
    await warranty.completeCard(sale.id, day(-49), {}, DEFAULT_POLICY, ALL_ROWS);
    const pendingSale = await warranty.createSale({ dealerId, deviceSerial: `SN-ISO${mark}-2`, model: 'M-ISO', saleDate: day(-15), customerName: `Customer ISO${mark}` }, terms, new Date());
    const claim = await warranty.submitClaim(
      {
        dealerId,
        deviceSerial: `SN-ISO${mark}-1`,
        faultCode: 'E-ISO',
        repairDate: day(-45),
        workDone: `repaired for ISO${mark}`,
        lines: [{ kind: 'part', partNo: 'P-ISO', quantity: 1, unitPrice: cny(5000) }, { kind: 'travel', amount: cny(100) }, { kind: 'other', amount: cny(7), description: `ISO${mark} other` }],
      },
      terms,
      1,
      new Date(),
      day(-44),
    );
    await warranty.decide(claim.id, [{ lineNo: 2, decision: { kind: 'approve' } }, { lineNo: 3, decision: { kind: 'approve' } }], terms, 1, new Date());
    await knex('claim_lines').where({ claim_id: claim.id }).whereNotNull('decided_at').update({ decided_at: new Date(Date.now() - 40 * 86_400_000) });
    // Decided before the end of last month: last month's statement freezes them.
    const [settlement] = await warranty.runSettlement(period, terms, new Date(), dealerId);
    await warranty.review(settlement!, [], terms, new Date(), new Date(Date.now() + 10 * 86_400_000));
    const task = await warranty.createTask({ dealerId, deviceSerial: `SN-ISO${mark}-T`, customerName: `Customer ISO${mark}`, request: `visit ISO${mark}` }, terms, 1, new Date());
    records[mark] = { sale: sale.id, pendingSale: pendingSale.id, claim: claim.id, task: task.id, settlement: settlement! };
  }
  await new PartsPlansRepository(knex).openDue(terms, day(0), new Date());
});

afterAll(async () => {
  if (system) {
    const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
    for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
  }
  if (app) await settleBackgroundWork(app);
  await server?.close();
  await system?.stop();
});

/** Which dealers' rows each role finds in a list: a dealer its own, the company's roles by their reach. */
const OWN_ONLY: Record<Who, Mark[]> = { dealerA: ['A'], dealerB: ['B'], finance: ['A', 'B'], clerk: ['A', 'B'] };
const NOBODY: Record<Who, Mark[]> = { dealerA: [], dealerB: [], finance: [], clerk: [] };

interface ListView {
  name: string;
  /** The dealers whose rows the answer holds, or an error naming the status. */
  seen(who: Who): Promise<Mark[]>;
  expected: Record<Who, Mark[]>;
}

const jsonList = (path: string, key: string) => async (who: Who) => {
  const answer = await api(who, 'GET', path);
  if (answer.status !== 200) throw new Error(`${who} GET ${path}: ${answer.status}`);
  return marksOfIds((answer.json[key] as Json[]).map((row) => Number(row.dealerId)));
};
const page = (path: string) => async (who: Who) => {
  const answer = await visitors[who].get(path);
  // A page the role has no business on (a redirect to its own view, a 403) shows nobody's rows.
  return answer.status === 200 ? marksIn(answer.body) : [];
};

const LISTS: ListView[] = [
  { name: 'GET /api/claims', seen: jsonList('/api/claims', 'claims'), expected: OWN_ONLY },
  { name: 'GET /api/claims?status=in_review', seen: jsonList('/api/claims?status=in_review', 'claims'), expected: OWN_ONLY },
  { name: 'GET /api/settlements', seen: jsonList('/api/settlements', 'settlements'), expected: OWN_ONLY },
  { name: 'GET /api/settlements?period=', seen: jsonList(`/api/settlements?period=${period}`, 'settlements'), expected: OWN_ONLY },
  {
    name: 'GET /api/deadlines (every kind, and ?kind=warranty_card)',
    async seen(who) {
      const owners: number[] = [];
      for (const path of ['/api/deadlines', '/api/deadlines?kind=warranty_card']) {
        const answer = await api(who, 'GET', path);
        if (answer.status !== 200) throw new Error(`${who} GET ${path}: ${answer.status}`);
        for (const d of answer.json.deadlines as Json[]) {
          const table = DEALER_DEADLINE_TABLES[d.recordType as keyof typeof DEALER_DEADLINE_TABLES];
          if (table) owners.push(Number(((await system.db.knex(table).where({ id: d.recordId }).first('dealer_id')) as Json).dealer_id));
        }
      }
      return marksOfIds(owners);
    },
    // Finance reads no task or parts plan but the sales, claims and statements of both.
    expected: OWN_ONLY,
  },
  { name: 'console /dealer (a dealer’s own sales, cards due, tasks, claims, statements, plans)', seen: page('/dealer'), expected: { ...NOBODY, dealerA: ['A'], dealerB: ['B'] } },
  { name: 'console /dealer/statements', seen: page('/dealer/statements'), expected: OWN_ONLY },
  { name: 'console /dealer/statements?period=', seen: page(`/dealer/statements?period=${period}`), expected: OWN_ONLY },
  // The returned-parts queue and the claims in review: the clerk's and the appraiser's; finance reads the claims too.
  { name: 'console /dealer/parts', seen: page('/dealer/parts'), expected: OWN_ONLY },
  { name: 'console /dealer/tasks', seen: page('/dealer/tasks'), expected: { ...OWN_ONLY, finance: [] } },
  { name: 'console /home (deadlines of every process)', seen: page('/home'), expected: OWN_ONLY },
  {
    name: 'console /kpis (the per-dealer table, with ?dealer= naming the other dealer)',
    async seen(who) {
      const other = who === 'dealerA' ? dealerIds.B : dealerIds.A;
      return page(`/kpis?from=${day(-60)}&to=${day(0)}&dealer=${other}`)(who).then(async (marks) => [...new Set([...marks, ...(await page(`/kpis?from=${day(-60)}&to=${day(0)}`)(who))])].sort());
    },
    // The clerk reads no KPI page (403).
    expected: { ...OWN_ONLY, clerk: [] },
  },
  // The console's exports hold projects and tickets: no dealer's rows for anyone.
  { name: 'console /exports/projects.csv', seen: page('/exports/projects.csv'), expected: NOBODY },
  { name: 'console /exports/tickets.csv', seen: page('/exports/tickets.csv'), expected: NOBODY },
];

it.each(WHO)('%s: every list, search filter and export holds exactly the dealers’ rows the role reaches', async (who) => {
  const found: Record<string, Mark[]> = {};
  const wanted: Record<string, Mark[]> = {};
  for (const view of LISTS) {
    found[view.name] = await view.seen(who);
    wanted[view.name] = view.expected[who];
  }
  expect(found).toEqual(wanted);
});

it('the KPI file: a dealer’s ?dealer= naming another dealer still gives its own figures; finance gets the one named', async () => {
  const dealerColumn = async (who: Who, dealer: number) => {
    const answer = await visitors[who].get(`/kpis.csv?from=${day(-60)}&to=${day(0)}&dealer=${dealer}`);
    expect(answer.status).toBe(200);
    return [...new Set(answer.body.trim().split('\n').slice(1).map((row) => row.split(',').at(-1)))];
  };
  expect(await dealerColumn('dealerA', dealerIds.B)).toEqual([String(dealerIds.A)]);
  expect(await dealerColumn('dealerB', dealerIds.A)).toEqual([String(dealerIds.B)]);
  expect(await dealerColumn('finance', dealerIds.B)).toEqual([String(dealerIds.B)]);
});

/** Each record route: [status on dealer A's record, status on dealer B's] per role. */
type Cells = Record<Who, readonly [number, number]>;
const OWN: Cells = { dealerA: [200, 404], dealerB: [404, 200], finance: [200, 200], clerk: [200, 200] };
const RECORDS: Array<{ path: (r: Records, dealerId: number) => string; console?: boolean; cells: Cells }> = [
  { path: (r) => `/api/claims/${r.claim}`, cells: OWN },
  { path: (r) => `/api/claims/${r.claim}/lines.csv`, cells: OWN },
  { path: (r) => `/api/settlements/${r.settlement}`, cells: OWN },
  { path: (r) => `/api/settlements/${r.settlement}/lines.csv`, cells: OWN },
  { path: (r) => `/api/settlements/${r.settlement}/notice?lang=en`, cells: OWN },
  { path: (r) => `/api/dealer-tasks/${r.task}`, cells: { ...OWN, finance: [404, 404] } },
  { path: (_r, dealerId) => `/api/dealers/${dealerId}/ledger`, cells: { ...OWN, clerk: [404, 404] } },
  { path: (_r, dealerId) => `/api/dealers/${dealerId}/parts-plans`, cells: { ...OWN, finance: [404, 404] } },
  { path: (r) => `/dealer/claims/${r.claim}`, console: true, cells: OWN },
  { path: (r) => `/dealer/statements/${r.settlement}`, console: true, cells: OWN },
  { path: (r) => `/dealer/statements/${r.settlement}/notice?lang=en`, console: true, cells: OWN },
  { path: (r) => `/dealer/tasks/${r.task}`, console: true, cells: { ...OWN, finance: [404, 404] } },
  { path: (r) => `/dealer/sales/${r.sale}`, console: true, cells: OWN },
  { path: (r) => `/dealer/sales/${r.pendingSale}`, console: true, cells: OWN },
];

it.each(WHO)('%s: each record route answers its own dealer’s record and 404 for another’s, never showing it', async (who) => {
  const mismatches: string[] = [];
  for (const route of RECORDS) {
    for (const [index, mark] of (['A', 'B'] as const).entries()) {
      const path = route.path(records[mark], dealerIds[mark]);
      const answer = route.console ? await visitors[who].get(path) : await api(who, 'GET', path);
      const body = 'text' in answer ? answer.text : answer.body;
      const wanted = route.cells[who][index]!;
      if (answer.status !== wanted) mismatches.push(`${path} (dealer ${mark}): ${answer.status}, expected ${wanted}`);
      // A refusal says nothing of the record: neither dealer's marker.
      if (wanted === 404 && marksIn(body).length > 0) mismatches.push(`${path} (dealer ${mark}): the 404 shows ${marksIn(body).join(', ')}`);
      if (wanted === 200 && who.startsWith('dealer') && marksIn(body).some((m) => m !== mark)) mismatches.push(`${path} (dealer ${mark}): shows another dealer's rows`);
    }
  }
  expect(mismatches).toEqual([]);
});

it('a claim on another dealer’s device learns nothing of that dealer’s sale or claims beyond NOT_SOLD_BY_DEALER', async () => {
  const body = (serial: string, faultCode: string, repairDate: string) => ({
    deviceSerial: serial,
    faultCode,
    repairDate,
    workDone: 'probe',
    lines: [{ kind: 'part', partNo: 'P-ISO', quantity: 1, unitPrice: cny(5000) }, { kind: 'travel', amount: cny(100) }],
  });
  // Dealer B's claim on the same device, fault and day: to A it is no duplicate (that would be a 409 telling it exists).
  const sameAsB = await api('dealerA', 'POST', '/api/claims', body('SN-ISOB-1', 'E-ISO', day(-45)));
  expect(sameAsB.status).toBe(201);
  expect(sameAsB.json).toMatchObject({ status: 'rejected', claimCodes: ['NOT_SOLD_BY_DEALER'] });
  // B's card still pending, or B's warranty not in force on the day: A is not told.
  const pending = await api('dealerA', 'POST', '/api/claims', body('SN-ISOB-2', 'E-ISO', day(0)));
  expect(pending.json).toMatchObject({ status: 'rejected', claimCodes: ['NOT_SOLD_BY_DEALER'] });
  const beforeSale = await api('dealerA', 'POST', '/api/claims', body('SN-ISOB-1', 'E-OTHER', day(-60)));
  expect(beforeSale.json).toMatchObject({ status: 'rejected', claimCodes: ['NOT_SOLD_BY_DEALER'] });
  // Nor which parts B's model lists: the lines read as for a device nobody sold.
  const nowhere = await api('dealerA', 'POST', '/api/claims', body('SN-ISO-NOWHERE', 'E-ISO', day(-45)));
  expect(nowhere.json.claimCodes).toEqual(['NO_SALE_RECORD']);
  expect(sameAsB.json.lines.map((l: Json) => l.codes)).toEqual(nowhere.json.lines.map((l: Json) => l.codes));
  expect(marksIn(JSON.stringify([sameAsB.json, pending.json, beforeSale.json]))).toEqual(['B']);
  // …the only ISOB being the serial A typed itself.
  expect(JSON.stringify([sameAsB.json, pending.json, beforeSale.json]).replace(/SN-ISOB-[12]/g, '')).not.toContain('ISOB');
});
