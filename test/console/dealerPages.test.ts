/**
 * The dealer-warranty forms of the console over HTTP (a browserless visitor signed in through the
 * form), against the real API commands and database: the clerk records the old part received, the
 * appraiser finds it in the returned-parts queue and appraises it, the clerk decides each line
 * (a partial approval's bad amount shown beside its field), sends one back, and the dealer amends
 * and resubmits it; the clerk's tasks come soonest deadline first; a form without its CSRF token
 * changes nothing; dealer B's posts and pages on dealer A's claim answer 404.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { createConsole } from '../../console';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { UsersRepository } from '../../people/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let system: TestSystem;
let server: ApiServer;
let app: ReturnType<typeof createApp>;
const visitors = {} as Record<'clerk' | 'appraiser' | 'dealerA' | 'dealerB', ConsoleVisitor>;
let claimId: number;
let tasks: number[];
const today = () => new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const cny = (amount: number) => ({ amount, currency: 'CNY' });

/** The data-key of each row of a section's table. */
const rowKeys = (html: string, section: string): string[] => {
  const part = new RegExp(`<section class="dealer-section" id="${section}">([\\s\\S]*?)</section>\\n(?=<section class="dealer-section"|</main>)`).exec(html)?.[1] ?? '';
  return [...part.matchAll(/<tr data-key="([^"]+)">/g)].map((m) => m[1]!);
};
const lines = async () => ((await system.db.knex('claim_lines').where({ claim_id: claimId }).orderBy('line_no')) as Json[]).map((l) => [l.status, l.approved_minor === null ? null : Number(l.approved_minor)]);

beforeAll(async () => {
  system = await startTestSystem('dealer-pages');
  const { knex } = system.db;
  const dealers = new DealersRepository(knex);
  const dealerA = (await dealers.create('Pages Dealer A')).id;
  const dealerB = (await dealers.create('Pages Dealer B')).id;
  const users = new UsersRepository(knex);
  const people = [
    ['clerk', 'sales_clerk', undefined],
    ['appraiser', 'technical_appraiser', undefined],
    ['dealerA', 'dealer', dealerA],
    ['dealerB', 'dealer', dealerB],
  ] as const;
  const temporal = { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' };
  app = createApp({ knex, temporal, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
  app.use(createConsole({ knex, temporal }));
  server = await startApiServer(app, 0, '127.0.0.1');
  for (const [name, role, dealerId] of people) {
    const user = await users.create({ name, email: `${name}@pages.test`, role, locale: 'en', ...(dealerId ? { dealerId } : {}) });
    visitors[name] = new ConsoleVisitor(server.url);
    expect((await visitors[name].signIn(await users.issueToken(user.id, 'pages'))).status).toBe(303);
  }
  const warranty = new DealerWarrantyRepository(knex);
  const terms = { ...DEFAULT_POLICY.dealer, auditSampleRate: 0 };
  await warranty.putModelReference('M1', [{ partNo: 'P-100' }], [{ operation: 'replace-pump', standardHundredths: 150 }]);
  const sale = await warranty.createSale({ dealerId: dealerA, deviceSerial: 'SN-PAGES-1', model: 'M1', saleDate: today(), customerName: 'Zhang San' }, terms, new Date());
  await warranty.completeCard(sale.id, today(), {}, DEFAULT_POLICY, ALL_ROWS);
  const claim = await warranty.submitClaim(
    {
      dealerId: dealerA,
      deviceSerial: 'SN-PAGES-1',
      faultCode: 'E1',
      repairDate: today(),
      workDone: 'replaced the pump',
      lines: [
        { kind: 'part', partNo: 'P-100', quantity: 1, unitPrice: cny(10000) },
        { kind: 'labour', operation: 'replace-pump', hundredthsOfHour: 200, rate: cny(8000), partLineNo: 1 },
        { kind: 'travel', amount: cny(60000) },
      ],
    },
    terms,
    1,
    new Date(),
    today(),
  );
  claimId = claim.id;
  // The later task is due first: the clerk's list goes by deadline, not by creation.
  const late = await warranty.createTask({ dealerId: dealerA, deviceSerial: 'SN-T-LATER', customerName: 'C', request: 'visit' }, terms, 1, new Date());
  const soon = await warranty.createTask({ dealerId: dealerB, deviceSerial: 'SN-T-SOONER', customerName: 'C', request: 'visit' }, { ...terms, taskArrangeWithin: 'PT1H' }, 1, new Date());
  tasks = [soon.id, late.id];
});

afterAll(async () => {
  if (app) await settleBackgroundWork(app);
  await server?.close();
  await system?.stop();
});

it('the old part received, appraised from the queue, each line decided; a bad amount beside its field', async () => {
  const { clerk, appraiser } = visitors;
  const claimPath = `/dealer/claims/${claimId}`;
  expect((await appraiser.get('/dealer')).headers.get('location')).toBe('/dealer/parts');
  let queue = await appraiser.get('/dealer/parts');
  expect(rowKeys(queue.body, 'awaited')).toEqual([`${claimId}-1`]);
  expect(rowKeys(queue.body, 'to-appraise')).toEqual([]);
  expect(rowKeys(queue.body, 'in-review')).toEqual([String(claimId)]);

  await clerk.get(claimPath);
  const forged = await clerk.post(`/dealer/forms/parts-received/${claimId}`, { lineNos: '1', receivedOn: today() }, { withoutCsrf: true });
  expect(forged.status).toBe(403);
  const notAPart = await clerk.post(`/dealer/forms/parts-received/${claimId}`, { lineNos: '2', receivedOn: today() });
  expect(notAPart.status).toBe(409);
  expect(notAPart.body).toContain('Line 2 is not a part.');
  // The same refusal to a reader of the console in Chinese.
  await clerk.post('/locale', { locale: 'zh-CN', back: claimPath });
  await clerk.get(claimPath);
  const notAPartZh = await clerk.post(`/dealer/forms/parts-received/${claimId}`, { lineNos: '2', receivedOn: today() });
  expect(notAPartZh.status).toBe(409);
  expect(notAPartZh.body).toContain('第 2 行不是配件。');
  await clerk.post('/locale', { locale: 'en', back: claimPath });
  await clerk.get(claimPath);
  const received = await clerk.post(`/dealer/forms/parts-received/${claimId}`, { lineNos: '1', receivedOn: today() });
  expect(received.status).toBe(303);
  expect(received.headers.get('location')).toBe(claimPath);

  queue = await appraiser.get('/dealer/parts');
  expect(rowKeys(queue.body, 'to-appraise')).toEqual([`${claimId}-1`]);
  // The appraiser appraises; deciding is the clerk's.
  await appraiser.get(claimPath);
  expect((await appraiser.post(`/dealer/forms/decision/${claimId}`, { lineNo: '1', kind: 'approve', currency: 'CNY' })).status).toBe(403);
  expect((await appraiser.post(`/dealer/forms/appraisal/${claimId}`, { lineNo: '1', appraisal: 'quality_fault' })).status).toBe(303);
  expect(rowKeys((await appraiser.get('/dealer/parts')).body, 'to-appraise')).toEqual([]);

  await clerk.get(claimPath);
  expect((await clerk.post(`/dealer/forms/decision/${claimId}`, { lineNo: '1', kind: 'approve', currency: 'CNY' })).status).toBe(303);
  const badAmount = await clerk.post(`/dealer/forms/decision/${claimId}`, { lineNo: '2', kind: 'approve_part', amount: 'a lot', currency: 'CNY' });
  expect(badAmount.status).toBe(400);
  expect(badAmount.body).toMatch(/id="f-decision-amount-error"/);
  expect((await clerk.post(`/dealer/forms/decision/${claimId}`, { lineNo: '2', kind: 'approve_part', amount: '120.00', currency: 'CNY' })).status).toBe(303);
  expect((await clerk.post(`/dealer/forms/decision/${claimId}`, { lineNo: '3', kind: 'send_back', reason: 'travel above the cap', currency: 'CNY' })).status).toBe(303);
  expect(await lines()).toEqual([
    ['approved', 10000],
    ['approved', 12000],
    ['sent_back', null],
  ]);
});

it('the dealer amends the line sent back and resubmits it; dealer B reaches nothing of it', async () => {
  const { dealerA, dealerB } = visitors;
  const page = await dealerA.get(`/dealer/claims/${claimId}`);
  expect(page.body).toContain('id="form-resubmit"');
  expect((await dealerB.get(`/dealer/claims/${claimId}`)).status).toBe(404);
  expect((await dealerB.post(`/dealer/forms/resubmit/${claimId}`, { lineNo: '3', amount: '400.00' })).status).toBe(404);
  const resubmitted = await dealerA.post(`/dealer/forms/resubmit/${claimId}`, { lineNo: '3', amount: '400.00' });
  expect(resubmitted.status).toBe(303);
  const row = (await system.db.knex('claim_lines').where({ claim_id: claimId, line_no: 3 }).first()) as Json;
  expect([row.status, Number(row.claimed_minor)]).toEqual(['open', 40000]);
  expect(((await system.db.knex('claims').where({ id: claimId }).first()) as Json).resubmissions).toBe(1);
});

it('the clerk’s dealer tasks come soonest deadline first; a dealer sees only its own', async () => {
  expect(rowKeys((await visitors.clerk.get('/dealer/tasks')).body, 'tasks')).toEqual(tasks.map(String));
  expect(rowKeys((await visitors.dealerA.get('/dealer')).body, 'tasks')).toEqual([String(tasks[1])]);
  expect((await visitors.dealerA.get(`/dealer/tasks/${tasks[0]}`)).status).toBe(404);
});

it('shows dealer warranty in the navigation only to those it concerns', async () => {
  const { knex } = system.db;
  const users = new UsersRepository(knex);
  const navOf = async (role: 'customer' | 'engineer' | 'finance', extra: { customerId?: number } = {}) => {
    const user = await users.create({ name: `nav-${role}`, email: `nav-${role}@pages.test`, role, locale: 'en', ...extra });
    const visitor = new ConsoleVisitor(server.url);
    expect((await visitor.signIn(await users.issueToken(user.id, 'nav'))).status).toBe(303);
    return (await visitor.get('/home')).body.includes('href="/dealer"');
  };
  const [customerId] = (await knex('customers').insert({ name: 'Nav customer', created_at: new Date(), updated_at: new Date() })) as number[];
  expect(await navOf('customer', { customerId })).toBe(false);
  expect(await navOf('engineer')).toBe(false);
  expect(await navOf('finance')).toBe(true);
  expect((await visitors.dealerA.get('/home')).body).toContain('href="/dealer"');
});
