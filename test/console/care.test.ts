/**
 * The care pages over HTTP, with the rows a care plan writes seeded directly: an engineer's visits
 * by when they are due, and only theirs; a visit, a call, a plan and an inspection report only for
 * those they belong to (another customer's user and a dealer get 404); the navigation per role; a
 * form's mistakes beside its fields with nothing sent on. The steps themselves run against a real
 * workflow in careBrowser.test.ts.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { CareRepository, type CareTaskRow } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { UsersRepository } from '../../people/repository';
import { resolvePolicy } from '../../domain/policy';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ALL_ROWS } from '../../domain/access';

let db: TestDatabase;
let server: ApiServer;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};
const visitors = new Map<string, ConsoleVisitor>();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function page(who: string, path: string, form?: Record<string, string>) {
  let visitor = visitors.get(who);
  if (!visitor) {
    visitor = new ConsoleVisitor(server.url);
    expect((await visitor.signIn(tokens[who]!)).status).toBe(303);
    visitors.set(who, visitor);
  }
  if (form) {
    await visitor.get(path.replace(/\/steps\/.*$/, ''));
    return visitor.post(path, form);
  }
  return visitor.get(path);
}

/** The text of the section with `id`. */
const section = (html: string, id: string) => new RegExp(`<section id="${id}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';

function task(key: string, kind: string, dueAt: Date, assigneeUserId: number | null): CareTaskRow {
  return { taskKey: key, kind, dueAt, windowStart: new Date(dueAt.getTime() - 7 * DAY), windowEnd: new Date(dueAt.getTime() + HOUR), remindAt: new Date(dueAt.getTime() - 3 * DAY), assigneeUserId };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const { knex } = db;
  const users = new UsersRepository(knex);
  const customers = new CustomersRepository(knex);
  const care = new CareRepository(knex);
  const now = new Date();
  const hospital = await customers.create({ name: 'Nanchang First Hospital', address: '1 Bayi Avenue', contacts: [{ name: 'Wang Fang', email: 'wang@hospital.test', role: 'technical_lead', phone: '+86 791 555 0101' }, { name: 'Li Lei', email: 'li@hospital.test', role: 'main_user', phone: '+86 791 555 0102' }] });
  const clinic = await customers.create({ name: 'Jiujiang Clinic' });
  const dealerId = Number((await knex('dealers').insert({ name: 'Dealer One', created_at: now }))[0]);
  const make = async (key: string, role: Parameters<UsersRepository['create']>[0]['role'], extra: { customerId?: number; dealerId?: number } = {}) => {
    const user = await users.create({ name: `${key} user`, email: `${key}@care.test`, role, locale: 'en', ...extra });
    ids[key] = user.id;
    tokens[key] = await users.issueToken(user.id, 'console');
  };
  await make('engineer', 'engineer');
  await make('otherEngineer', 'engineer');
  await make('idleEngineer', 'engineer');
  await make('manager', 'service_manager');
  await make('desk', 'dispatcher');
  await make('customer', 'customer', { customerId: hospital.id });
  await make('otherCustomer', 'customer', { customerId: clinic.id });
  await make('dealer', 'dealer', { dealerId });
  const [device] = await new DevicesRepository(knex).createMany(hospital.id, [{ model: 'DR-7000', serial: `CARE-${Date.now()}` }]);
  const plan = await care.createPlan({ customerId: hospital.id, siteId: null, projectId: null, customerClass: 'key', anchorAt: new Date(now.getTime() - 60 * DAY), warrantyEndsAt: new Date(now.getTime() + 300 * DAY), policy: resolvePolicy({}), deviceIds: [device!.id] }, now);
  await care.patchPlan(plan.id, { contracts: [{ id: 'MC-1', startsAt: new Date(now.getTime() - DAY).toISOString(), endsAt: new Date(now.getTime() + 365 * DAY).toISOString(), visitsPerYear: 10 }] }, now);
  ids.plan = plan.id;
  const ref = { id: plan.id, customerId: hospital.id, projectId: null };
  // Overdue (window closed an hour ago), today (in an hour), this week (in three days), and another engineer's.
  await care.insertVisit(ref, { ...task('inspection:1', 'inspection', new Date(now.getTime() - 2 * HOUR), ids.engineer!), windowEnd: new Date(now.getTime() - HOUR) }, now);
  await care.insertVisit(ref, task('inspection:2', 'inspection', new Date(now.getTime() + 60_000), ids.engineer!), now);
  await care.insertVisit(ref, task('inspection:3', 'inspection', new Date(now.getTime() + 3 * DAY), ids.engineer!), now);
  await care.insertVisit(ref, task('inspection:4', 'inspection', new Date(now.getTime() + 2 * DAY), ids.otherEngineer!), now);
  // A done one, with its outcome as the workflow records it.
  await care.insertVisit(ref, task('inspection:0', 'inspection', new Date(now.getTime() - 30 * DAY), ids.engineer!), now);
  await care.patchVisit(plan.id, 'inspection:0', { status: 'done', doneAt: new Date('2026-03-02T02:00:00Z'), reportDueAt: new Date('2026-03-05T02:00:00Z'), outcome: { checklist: { earthing: true, dustRemoval: false, operatingState: 'attention', customerFeedback: 'image slow at times', fixesDone: 'reseated the detector cable' }, findings: ['cooling fan noisy'], openItems: ['replace the cooling fan'], carriedItems: [], signature: { name: 'Wang Fang' } } }, now);
  await care.insertCall(ref, task('call:1', 'call', new Date(now.getTime() + 60_000), null), now);
  const visits = await care.listVisits({ planId: plan.id, now, scope: ALL_ROWS });
  for (const v of visits) ids[v.taskKey] = v.id;
  ids.call = (await care.listCalls({ planId: plan.id, now, scope: ALL_ROWS }))[0]!.id;
  // A low score's follow-up, open: the plan page offers to close it.
  await care.addFollowUp(plan.id, { key: 'call:0:low-score', customerId: hospital.id, reason: 'low_score', summary: 'scored 2', dueAt: new Date(now.getTime() + DAY) }, now);
  ids.followUp = (await care.followUps(plan.id))[0]!.id;
  const app = createApp({ knex });
  app.use(createConsole({ knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

it("lists an engineer's own visits by overdue, today and this week, and the service manager's all", async () => {
  const mine = await page('engineer', '/visits');
  expect(mine.status).toBe(200);
  expect(mine.body).toContain('<h1>My visits</h1>');
  expect(section(mine.body, 'visits-overdue')).toContain(`href="/visits/${ids['inspection:1']}"`);
  expect(section(mine.body, 'visits-today')).toContain(`href="/visits/${ids['inspection:2']}"`);
  expect(section(mine.body, 'visits-week')).toContain(`href="/visits/${ids['inspection:3']}"`);
  expect(mine.body).not.toContain(`href="/visits/${ids['inspection:4']}"`);
  // Done ones are not work.
  expect(mine.body).not.toContain(`href="/visits/${ids['inspection:0']}"`);
  const all = await page('manager', '/visits');
  expect(section(all.body, 'visits-week')).toContain(`href="/visits/${ids['inspection:4']}"`);
  expect((await page('dealer', '/visits')).body).not.toContain('href="/visits/');
});

it('shows the navigation for the roles whose work the page is', async () => {
  const nav = (html: string) => /<nav aria-label="Main">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
  expect(nav((await page('engineer', '/home')).body)).toContain('href="/visits"');
  expect(nav((await page('engineer', '/home')).body)).not.toContain('href="/calls"');
  expect(nav((await page('desk', '/home')).body)).toContain('href="/calls"');
  expect(nav((await page('manager', '/home')).body)).toMatch(/href="\/visits"[\s\S]*href="\/calls"[\s\S]*href="\/care-plans"/);
  // A dealer reads the plans of devices it sold (domain/access.ts), never visits or calls.
  expect(nav((await page('dealer', '/home')).body)).not.toMatch(/visits|calls/);
});

it('shows a visit, a plan and a report only to whom they belong: everyone else gets 404', async () => {
  const own = `/visits/${ids['inspection:2']}`;
  expect((await page('engineer', own)).status).toBe(200);
  expect((await page('manager', own)).status).toBe(200);
  expect((await page('customer', own)).status).toBe(200);
  for (const who of ['otherEngineer', 'otherCustomer', 'dealer']) expect([who, (await page(who, own)).status]).toEqual([who, 404]);
  const report = `/visits/${ids['inspection:0']}/report`;
  for (const who of ['otherEngineer', 'otherCustomer', 'dealer']) expect([who, (await page(who, report)).status]).toEqual([who, 404]);
  const plan = `/care-plans/${ids.plan}`;
  for (const who of ['engineer', 'manager', 'customer']) expect([who, (await page(who, plan)).status]).toEqual([who, 200]);
  // An engineer reads a plan that holds a visit of theirs only.
  expect((await page('otherEngineer', plan)).status).toBe(200);
  for (const who of ['idleEngineer', 'otherCustomer', 'dealer']) expect([who, (await page(who, plan)).status]).toEqual([who, 404]);
  const call = `/calls/${ids.call}`;
  // Calls are the service desk's; the customer reads its own (domain/access.ts), nobody else.
  for (const who of ['desk', 'manager', 'customer']) expect([who, (await page(who, call)).status]).toEqual([who, 200]);
  expect((await page('customer', call)).body).not.toContain('/steps/');
  for (const who of ['engineer', 'otherCustomer', 'dealer']) expect([who, (await page(who, call)).status]).toEqual([who, 404]);
  // The same answer for a visit that does not exist.
  expect((await page('engineer', '/visits/99999999')).status).toBe(404);
});

it("gives an engineer the step forms of their open visit, every input labelled, and what the last visit left open", async () => {
  const visit = await page('engineer', `/visits/${ids['inspection:2']}`);
  expect(visit.body).toContain('<li>replace the cooling fan</li>');
  for (const step of ['complete', 'reschedule', 'skip']) expect(visit.body).toContain(`action="/visits/${ids['inspection:2']}/steps/${step}"`);
  // Assigning and cancelling are the service manager's.
  expect(visit.body).not.toContain('/steps/assign');
  expect((await page('manager', `/visits/${ids['inspection:2']}`)).body).toContain('/steps/assign');
  const inputs = [...visit.body.matchAll(/<(?:input|select|textarea) id="([^"]+)"/g)].map((m) => m[1]!);
  expect(inputs).toEqual(expect.arrayContaining(['f-visit-complete-checklist-earthing', 'f-visit-complete-signature-name', 'f-visit-reschedule-dueAt', 'f-visit-skip-reason']));
  for (const id of inputs) expect([id, visit.body.includes(`<label for="${id}">`)]).toEqual([id, true]);
  // The customer reads the visit but takes no step.
  expect((await page('customer', `/visits/${ids['inspection:2']}`)).body).not.toContain('/steps/');
});

it('shows a form’s mistakes beside its fields and sends nothing on', async () => {
  const path = `/visits/${ids['inspection:2']}/steps/complete`;
  const answer = await page('engineer', path, { 'checklist.operatingState': 'sparkling', 'signature.name': ' ', findings: 'fan noisy' });
  expect(answer.status).toBe(400);
  expect(answer.body).toMatch(/id="f-visit-complete-signature-name-error">Required\./);
  expect(answer.body).toMatch(/id="f-visit-complete-checklist-operatingState-error">Choose one of the options\./);
  // What was typed stays.
  expect(answer.body).toContain('fan noisy</textarea>');
  const rescheduled = await page('engineer', `/visits/${ids['inspection:2']}/steps/reschedule`, { dueAt: 'next tuesday', reason: '' });
  expect(rescheduled.status).toBe(400);
  expect(rescheduled.body).toContain('id="f-visit-reschedule-dueAt-error"');
  expect(rescheduled.body).toContain('id="f-visit-reschedule-reason-error"');
  // Another engineer's visit: as if it did not exist.
  expect((await page('otherEngineer', path, { 'signature.name': 'X' })).status).toBe(404);
  const call = await page('desk', `/calls/${ids.call}/steps/complete`, { 'answers.usage': 'daily', satisfaction: '9' });
  expect(call.status).toBe(400);
  expect(call.body).toContain('id="f-call-complete-answers-mastery-error"');
  expect(call.body).toContain('id="f-call-complete-satisfaction-error"');
  // Valid, but no process engine in this test: 503, nothing written.
  expect((await page('desk', `/calls/${ids.call}/steps/no-answer`, {})).status).toBe(503);
  expect((await db.knex('care_call_attempts').count({ n: '*' }))[0]!.n).toBe(0);
});

it('lists the calls of the day with the contacts to call', async () => {
  const calls = await page('desk', '/calls');
  expect(calls.status).toBe(200);
  const today = section(calls.body, 'calls-today');
  expect(today).toContain(`href="/calls/${ids.call}"`);
  expect(today).toContain('Wang Fang · Technical lead · <a href="tel:+86 791 555 0101">');
  const call = await page('desk', `/calls/${ids.call}`);
  for (const step of ['complete', 'no-answer', 'wrong-number', 'reschedule']) expect(call.body).toContain(`action="/calls/${ids.call}/steps/${step}"`);
  expect(call.body).toContain('<option value="5">5 – very satisfied</option>');
});

it("shows a plan's next and past tasks, warranty and contract", async () => {
  const plan = await page('manager', `/care-plans/${ids.plan}`);
  expect(plan.body).toContain('Key customer');
  expect(plan.body).toContain('<td>MC-1 (current)</td>');
  const next = /<table class="tasks-next">[\s\S]*?<\/table>/.exec(plan.body)![0];
  expect(next).toContain(`/visits/${ids['inspection:1']}`);
  expect(next).toContain(`/calls/${ids.call}`);
  const past = /<table class="tasks-past">[\s\S]*?<\/table>/.exec(plan.body)![0];
  expect(past).toContain(`/visits/${ids['inspection:0']}/report`);
  // An engineer's view of the plan holds their visits only, and no calls.
  const engineers = await page('engineer', `/care-plans/${ids.plan}`);
  expect(engineers.body).not.toContain(`/visits/${ids['inspection:4']}"`);
  expect(engineers.body).not.toContain(`/calls/${ids.call}`);
  const list = await page('manager', '/care-plans');
  expect(list.body).toContain(`href="/care-plans/${ids.plan}"`);
  expect((await page('otherCustomer', '/care-plans')).body).not.toContain(`href="/care-plans/${ids.plan}"`);
});

it('prints the inspection report of a done visit from its recorded outcome, in the reader’s language', async () => {
  const report = await page('engineer', `/visits/${ids['inspection:0']}/report`);
  expect(report.status).toBe(200);
  expect(report.body).toContain('<h1>Inspection report</h1>');
  expect(report.body).toContain('<tr><td>Earthing checked</td><td>yes</td></tr>');
  expect(report.body).toContain('<tr><td>Dust removed</td><td>no</td></tr>');
  expect(report.body).toContain('<tr><td>Operating state</td><td>Running, needs attention</td></tr>');
  expect(report.body).toContain('<li>cooling fan noisy</li>');
  expect(report.body).toContain('<td>Customer</td><td>Wang Fang</td>');
  expect(report.body).toContain('<time datetime="2026-03-02T02:00:00.000Z">2026-03-02 10:00</time>');
  expect(report.body).toContain('class="no-print"');
  // Not done yet: no report.
  expect((await page('engineer', `/visits/${ids['inspection:2']}/report`)).status).toBe(404);
  const visitor = visitors.get('manager')!;
  await visitor.post('/locale', { locale: 'zh-CN', back: '/home' });
  const zh = await visitor.get(`/visits/${ids['inspection:0']}/report`);
  expect(zh.body).toContain('<h1>巡检报告</h1>');
  expect(zh.body).toContain('<tr><td>已检查接地</td><td>是</td></tr>');
});

/** A file the console sends, read as a signed-in visitor's browser would download it. */
async function download(who: string, path: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  await page(who, '/home');
  const visitor = visitors.get(who)!;
  const response = await fetch(`${server.url}${path}`, { headers: { cookie: [...visitor.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}
const csvRows = (bytes: Buffer) => parse(bytes.toString('utf8').replace(/^\ufeff/, '')) as string[][];

describe("the plan's own steps as forms (the service manager's)", () => {
  const plan = () => `/care-plans/${ids.plan}`;

  it('gives the service manager a labelled form per plan step, and nobody else', async () => {
    // The report's test left the manager reading Chinese.
    await page('manager', '/home');
    await visitors.get('manager')!.post('/locale', { locale: 'en', back: '/home' });
    const manager = await page('manager', plan());
    for (const step of ['extra-visit', 'contract', 'close-follow-up', 'end']) expect(manager.body).toContain(`action="${plan()}/steps/${step}"`);
    expect(manager.body).toContain(`<option value="${ids.followUp}">Low satisfaction · scored 2</option>`);
    const forms = manager.body.slice(manager.body.indexOf('id="step-extra-visit"'));
    const inputs = [...forms.matchAll(/<(?:input|select|textarea) id="([^"]+)"/g)].map((m) => m[1]!);
    expect(inputs).toEqual(['f-plan-extra-visit-dueAt', 'f-plan-extra-visit-reason', 'f-plan-contract-startsAt', 'f-plan-contract-endsAt', 'f-plan-contract-visitsPerYear', 'f-plan-close-follow-up-followUpId', 'f-plan-close-follow-up-outcome', 'f-plan-end-reason']);
    for (const id of inputs) expect([id, forms.includes(`<label for="${id}">`)]).toEqual([id, true]);
    // An engineer and the customer read the plan but take none of its steps.
    for (const who of ['engineer', 'customer']) expect([who, (await page(who, plan())).body.includes('/steps/')]).toEqual([who, false]);
  });

  it("shows each form's mistakes beside its fields in the page's language, and writes nothing", async () => {
    const before = JSON.stringify(await db.knex('care_plans').where({ id: ids.plan }).first());
    const extra = await page('manager', `${plan()}/steps/extra-visit`, { dueAt: 'soon', reason: 'before the congress' });
    expect(extra.status).toBe(400);
    expect(extra.body).toMatch(/id="f-plan-extra-visit-dueAt-error">Not a date and time\./);
    // What was typed stays.
    expect(extra.body).toContain('before the congress</textarea>');
    const contract = await page('manager', `${plan()}/steps/contract`, { startsAt: '2027-01-01T00:00', endsAt: '', visitsPerYear: '0' });
    expect(contract.status).toBe(400);
    expect(contract.body).toMatch(/id="f-plan-contract-endsAt-error">Required\./);
    expect(contract.body).toMatch(/id="f-plan-contract-visitsPerYear-error">A whole number from 1 to 366\./);
    const close = await page('manager', `${plan()}/steps/close-follow-up`, { followUpId: '99999999', outcome: 'called back' });
    expect(close.status).toBe(400);
    expect(close.body).toMatch(/id="f-plan-close-follow-up-followUpId-error">Choose one of the options\./);
    // In Chinese for a reader of Chinese.
    const visitor = visitors.get('manager')!;
    await visitor.post('/locale', { locale: 'zh-CN', back: '/home' });
    const end = await page('manager', `${plan()}/steps/end`, { reason: '  ' });
    expect(end.status).toBe(400);
    expect(end.body).toMatch(/id="f-plan-end-reason-error">必填。/);
    expect(end.body).toContain('<label for="f-plan-end-reason">原因</label>');
    await visitor.post('/locale', { locale: 'en', back: '/home' });
    // Valid, but no process engine in this test: 503, nothing written.
    expect((await page('manager', `${plan()}/steps/end`, { reason: 'equipment retired' })).status).toBe(503);
    expect(JSON.stringify(await db.knex('care_plans').where({ id: ids.plan }).first())).toBe(before);
    expect((await care().followUps(ids.plan!))[0]!.status).toBe('open');
  });

  it('refuses the steps to whoever may not take them: 403, as the API answers a role that never takes them', async () => {
    for (const who of ['engineer', 'customer', 'otherCustomer', 'dealer', 'idleEngineer']) expect([who, (await page(who, `${plan()}/steps/end`, { reason: 'retired' })).status]).toEqual([who, 403]);
    expect((await page('manager', `${plan()}/steps/renew-everything`, { reason: 'x' })).status).toBe(404);
    expect((await care().getPlan(ids.plan!))!.status).toBe('active');
  });
});

const care = () => new CareRepository(db.knex);

describe('the visit list and the calls of the day as files', () => {
  it("exports an engineer's own visits, and all of them for the service manager, by the page's sections", async () => {
    const mine = await download('engineer', '/exports/visits.csv');
    expect(mine.status).toBe(200);
    expect(mine.type).toBe('text/csv; charset=utf-8');
    const rows = csvRows(mine.bytes);
    expect(rows[0]).toEqual(['Section', 'Visit no.', 'Kind', 'Customer', 'Address', 'Engineer', 'Due', 'Window closes', 'Care plan', 'Time zone']);
    expect(rows.slice(1).map((r) => [r[0], Number(r[1])])).toEqual([
      ['Overdue', ids['inspection:1']],
      ['Due today', ids['inspection:2']],
      ['This week', ids['inspection:3']],
    ]);
    expect(rows[1]!.slice(3, 6)).toEqual(['Nanchang First Hospital', '1 Bayi Avenue', 'engineer user']);
    const others = csvRows((await download('otherEngineer', '/exports/visits.csv')).bytes);
    expect(others.slice(1).map((r) => Number(r[1]))).toEqual([ids['inspection:4']]);
    const all = csvRows((await download('manager', '/exports/visits.csv')).bytes);
    expect(all.slice(1).map((r) => Number(r[1])).sort()).toEqual([ids['inspection:1'], ids['inspection:2'], ids['inspection:3'], ids['inspection:4']].sort());
    const week = csvRows((await download('manager', '/exports/visits.csv?section=week')).bytes);
    expect(week.slice(1).map((r) => Number(r[1])).sort()).toEqual([ids['inspection:3'], ids['inspection:4']].sort());
    expect((await download('manager', '/exports/visits.csv?section=someday')).status).toBe(400);
    // Neither the customer's nor a dealer's: a header and nothing else.
    for (const who of ['otherCustomer', 'dealer']) expect([who, csvRows((await download(who, '/exports/visits.csv')).bytes).length]).toEqual([who, 1]);
    // The page links to its files.
    expect((await page('engineer', '/visits')).body).toContain('href="/exports/visits.xlsx"');
  });

  it('exports the calls of the day as XLSX for the service desk, and none to an engineer', async () => {
    const file = await download('desk', '/exports/calls.xlsx');
    expect(file.status).toBe(200);
    expect(file.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file.bytes as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('calls')!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(['Section', 'Call no.', 'Customer', 'Contacts', 'Due', 'Tries so far', 'Care plan', 'Time zone']);
    expect(sheet.rowCount).toBe(2);
    const row = (sheet.getRow(2).values as unknown[]).slice(1);
    expect(row.slice(0, 3)).toEqual(['To call today', ids.call, 'Nanchang First Hospital']);
    expect(row[3]).toBe('Wang Fang · Technical lead · +86 791 555 0101; Li Lei · Main user · +86 791 555 0102');
    expect((await page('desk', '/calls')).body).toContain('href="/exports/calls.csv"');
    // An engineer works no calls: the file holds the header only; the visits' file holds no call.
    expect(csvRows((await download('engineer', '/exports/calls.csv')).bytes)).toHaveLength(1);
    expect(csvRows((await download('customer', '/exports/calls.csv')).bytes)).toHaveLength(2);
    expect(csvRows((await download('otherCustomer', '/exports/calls.csv')).bytes)).toHaveLength(1);
  });
});

it('shows a plan’s timeline, follow-ups and statuses in the reader’s language; an entry stored before words keeps its sentence', async () => {
  const care = new CareRepository(db.knex);
  const at = new Date();
  const said = { key: 'timeline.care.call_done', params: { key: 'call:7', score: 2, followUp: 'low_score' } };
  await care.addEvent(ids.plan!, { eventKey: 'words:call:7:done', kind: 'call_done', at, summary: 'Return call call:7: satisfaction 2/5, follow-up (low satisfaction)', words: said });
  await care.addEvent(ids.plan!, { eventKey: 'old:policy', kind: 'policy_updated', at, summary: 'care policy updated the old way' });
  await care.addFollowUp(ids.plan!, { key: 'call:7:low_score', customerId: (await care.getPlan(ids.plan!))!.customerId, reason: 'low_score', summary: 'Return call call:7: satisfaction 2/5', words: { key: 'followUp.care.low_score', params: { key: 'call:7', score: 2 } }, dueAt: new Date(at.getTime() + DAY) }, at);

  const english = await page('manager', `/care-plans/${ids.plan}`);
  expect(english.body).toContain('Return call call:7: satisfaction 2/5, follow-up (low satisfaction)');

  const visitor = new ConsoleVisitor(server.url);
  expect((await visitor.signIn(tokens.manager!)).status).toBe(303);
  await visitor.post('/locale', { locale: 'zh-CN', back: '/home' });
  const zh = (await visitor.get(`/care-plans/${ids.plan}`)).body;
  expect(zh).toContain('<td>回访：已接通</td><td>电话回访 call:7：满意度 2/5，需跟进（满意度低）</td>');
  expect(zh).toContain('<td>电话回访 call:7：满意度 2/5</td>');
  expect(zh).toContain('care policy updated the old way');
  expect(zh).toContain('<dd>进行中</dd>');
  expect(zh).not.toContain('Return call call:7');
});
