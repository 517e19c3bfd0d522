/**
 * Dealer claims end to end through the real API and database: the automatic checks, the steps of
 * each role, decisions, send-back and resubmission, parts late, and settlement posting to the
 * ledger exactly once under concurrent runs and a retried posting; dealer A never sees dealer B.
 */
import { parse } from 'csv-parse/sync';
import { apiModules } from '../../api/index';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import type { Role } from '../../domain/access';
import { periodOf } from '../../processes/dealer/settlement/rules';
import { startApi, type ApiHarness, type Json } from '../api/harness';
import { startTestSystem, type TestSystem } from '../support/services';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const daysAgo = (days: number): string => new Date(Date.now() - days * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });

describe('dealer claims and settlement through the API', () => {
  let system: TestSystem;
  let api: ApiHarness;
  const tokens = {} as Record<'dealerA' | 'dealerB' | 'clerk' | 'appraiser' | 'finance', string>;
  let dealerA: number;
  let dealerB: number;
  let key = 0;

  const as = (who: keyof typeof tokens) => ({
    // In English: a user's own language is zh-CN unless they chose otherwise (refusals are said in it).
    post: (path: string, body: unknown = {}) => api.call('POST', `/api${path}`, { token: tokens[who], body, headers: { 'Idempotency-Key': `k-${++key}`, 'Accept-Language': 'en' } }),
    put: (path: string, body: unknown) => api.call('PUT', `/api${path}`, { token: tokens[who], body }),
    get: (path: string) => api.call('GET', `/api${path}`, { token: tokens[who] }),
  });

  async function user(role: Role, name: string, dealerId?: number): Promise<string> {
    const created = await api.users.create({ name, email: `${name}@dealer.test`, role, ...(dealerId ? { dealerId } : {}) } as Parameters<typeof api.users.create>[0]);
    return api.users.issueToken(created.id, 'test');
  }

  /** A sale `soldDaysAgo` days ago, its card completed today (day `soldDaysAgo`) unless `card` is false. */
  async function sale(who: 'dealerA' | 'dealerB', serial: string, soldDaysAgo: number, card = true): Promise<Json> {
    const created = await as(who).post('/dealer-sales', { deviceSerial: serial, model: 'M1', saleDate: daysAgo(soldDaysAgo), customerName: 'Zhang San' });
    expect(created.status).toBe(201);
    if (!card) return created.body;
    const completed = await as(who).post(`/dealer-sales/${created.body.id}/card`, { cardDate: daysAgo(0), customerPhone: '13800000000' });
    expect(completed.status).toBe(200);
    return completed.body;
  }

  const cleanLines = [
    { kind: 'part', partNo: 'P-100', quantity: 2, unitPrice: cny(12345) },
    { kind: 'labour', operation: 'replace-pump', hundredthsOfHour: 150, rate: cny(8000), partLineNo: 1 },
    { kind: 'travel', amount: cny(30000) },
    { kind: 'other', amount: cny(1999), description: 'sealant' },
  ];
  const claimBody = (serial: string, fault: string, lines: unknown[] = cleanLines) => ({ deviceSerial: serial, faultCode: fault, repairDate: daysAgo(5), workDone: 'Replaced the pump', signatureRef: 'sig-1', lines });

  beforeAll(async () => {
    system = await startTestSystem('dealer-claims');
    api = await startApi({ routers: apiModules, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' } }, system.db);
    await new PolicyLayersRepository(api.db.knex).put('template', 'default', { dealer: { auditSampleRate: 0 } });
    dealerA = (await api.call('POST', '/api/dealers', { token: api.adminToken, body: { name: 'Dealer A' } })).body.id;
    const b = await api.call('POST', '/api/dealers', { token: api.adminToken, body: { name: 'Dealer B', region: 'Jiangxi', receivablesAccount: '1122-B', contactEmail: 'finance@dealer-b.test', locale: 'en' } });
    expect(b.body).toMatchObject({ name: 'Dealer B', region: 'Jiangxi', receivablesAccount: '1122-B', contactEmail: 'finance@dealer-b.test', locale: 'en' });
    dealerB = b.body.id;
    tokens.dealerA = await user('dealer', 'dealer-a', dealerA);
    tokens.dealerB = await user('dealer', 'dealer-b', dealerB);
    tokens.clerk = await user('sales_clerk', 'clerk');
    tokens.appraiser = await user('technical_appraiser', 'appraiser');
    tokens.finance = await user('finance', 'finance');
    const reference = await as('appraiser').put('/models/M1/warranty-reference', {
      parts: [{ partNo: 'P-100', name: 'Pump' }, { partNo: 'P-200' }],
      operations: [{ operation: 'replace-pump', standardHundredths: 150 }, { operation: 'inspect', standardHundredths: 50 }],
    });
    expect(reference.status).toBe(200);
  });

  afterAll(async () => {
    if (system) {
      const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
      for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    }
    await api?.close();
    await system?.stop();
  });

  it('registers the warranty for a card on day 19 and refuses it on day 21 (the process ended the card’s time)', async () => {
    const inTime = await sale('dealerA', 'SN-CARD-19', 19);
    expect(inTime).toMatchObject({ warranty: 'recognised', cardDueOn: daysAgo(-1), deviceId: expect.any(Number) });
    expect(inTime.warrantyEndsOn > daysAgo(0)).toBe(true);
    const late = await sale('dealerA', 'SN-CARD-21', 21, false);
    const refused = await as('dealerA').post(`/dealer-sales/${late.id}/card`, { cardDate: daysAgo(0) });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/not recognised/);
    // A zh-CN reader is refused in Chinese (the words travel with the process's refusal); the deadline's words are kept.
    const refusedZh = await api.call('POST', `/api/dealer-sales/${late.id}/card`, { token: tokens.dealerA, body: { cardDate: daysAgo(0) }, headers: { 'Idempotency-Key': `k-zh-${late.id}`, 'Accept-Language': 'zh-CN' } });
    expect(refusedZh.status).toBe(409);
    expect(refusedZh.body.error.message).toMatch(/三包卡.*三包不予认可。$/);
    const cardDeadline = (await api.db.knex('deadlines').where({ record_type: 'dealer_sale', record_id: late.id, kind: 'warranty_card' }).first('description', 'words')) as { description: string; words: unknown };
    expect(cardDeadline.description).toBe('Warranty card for SN-CARD-21');
    expect(typeof cardDeadline.words === 'string' ? JSON.parse(cardDeadline.words) : cardDeadline.words).toEqual({ key: 'deadline.dealer.warranty_card', params: { serial: 'SN-CARD-21' } });
    expect((await as('dealerB').post(`/dealer-sales/${late.id}/card`, { cardDate: daysAgo(0) })).status).toBe(404);
    for (let tries = 0; tries < 600 && (await api.db.knex('dealer_sales').where({ id: late.id }).first('warranty')).warranty !== 'not_recognised'; tries += 1) await new Promise((r) => setTimeout(r, 100));
    expect((await as('dealerA').get('/claims')).status).toBe(200);
    expect(await api.db.knex('dealer_sales').where({ id: late.id }).first('warranty')).toEqual({ warranty: 'not_recognised' });
  });

  let cleanClaim: Json;

  it('takes a clean claim through parts received, appraisal and approval', async () => {
    await sale('dealerA', 'SN-A1', 10);
    const submitted = await as('dealerA').post('/claims', claimBody('SN-A1', 'E42'));
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'in_review', claimCodes: [], dealerId: dealerA });
    expect(submitted.body.lines.map((l: Json) => [l.kind, l.claimed.amount, l.codes])).toEqual([
      ['part', 24690, []],
      ['labour', 12000, []],
      ['travel', 30000, []],
      ['other', 1999, []],
    ]);
    expect(submitted.body.partsDueOn).toMatch(/-(06-30|12-31)$/);
    const id = submitted.body.id;

    // A part cannot be approved before it is back and appraised.
    const early = await as('clerk').post(`/claims/${id}/decision`, { decisions: [{ lineNo: 1, kind: 'approve' }] });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/not been received/);

    // Each role on its own step only.
    expect((await as('appraiser').post(`/claims/${id}/decision`, { decisions: [{ lineNo: 3, kind: 'approve' }] })).status).toBe(403);
    expect((await as('dealerA').post(`/claims/${id}/parts-received`, { lineNos: [1], receivedOn: daysAgo(1) })).status).toBe(403);
    expect((await as('finance').post(`/claims/${id}/appraisal`, { appraisals: [{ lineNo: 1, appraisal: 'quality_fault' }] })).status).toBe(403);

    expect((await as('appraiser').post(`/claims/${id}/appraisal`, { appraisals: [{ lineNo: 1, appraisal: 'quality_fault' }] })).status).toBe(409);
    expect((await as('clerk').post(`/claims/${id}/parts-received`, { lineNos: [2], receivedOn: daysAgo(1) })).body.error.message).toMatch(/not a part/);
    // A repository's refusal, said in the reader's language, its field problem too.
    const notPartZh = await api.call('POST', `/api/claims/${id}/parts-received`, { token: tokens.clerk, body: { lineNos: [2], receivedOn: daysAgo(1) }, headers: { 'Idempotency-Key': `k-zh-part-${id}`, 'Accept-Language': 'zh-CN' } });
    expect(notPartZh).toMatchObject({ status: 409, body: { error: { message: '第 2 行不是配件。', details: [{ field: 'lineNo', message: '第 2 行不是配件。' }] } } });
    expect((await as('clerk').post(`/claims/${id}/parts-received`, { lineNos: [1], receivedOn: daysAgo(1) })).status).toBe(200);
    expect((await as('appraiser').post(`/claims/${id}/appraisal`, { appraisals: [{ lineNo: 1, appraisal: 'quality_fault' }] })).status).toBe(200);
    const decided = await as('clerk').post(`/claims/${id}/decision`, { decisions: [1, 2, 3, 4].map((lineNo) => ({ lineNo, kind: 'approve' })) });
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('decided');
    expect(decided.body.lines.map((l: Json) => l.approved.amount)).toEqual([24690, 12000, 30000, 1999]);
    cleanClaim = decided.body;
  });

  it('refuses a duplicate (same device, fault and repair date) and writes nothing', async () => {
    const before = await api.db.knex('claims').count({ n: '*' }).first();
    const duplicate = await as('dealerA').post('/claims', claimBody('SN-A1', ' e42 '));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.message).toMatch(/DUPLICATE_CLAIM/);
    expect(await api.db.knex('claims').count({ n: '*' }).first()).toEqual(before);
  });

  it('rejects claims whose warranty is not recognised or whose device another dealer sold, saying why', async () => {
    const late = await as('dealerA').post('/claims', claimBody('SN-CARD-21', 'E1'));
    expect(late.body).toMatchObject({ status: 'rejected', claimCodes: ['WARRANTY_NOT_RECOGNISED'] });
    expect(late.body.lines.every((l: Json) => l.status === 'rejected' && l.decisionReason === 'WARRANTY_NOT_RECOGNISED')).toBe(true);
    const foreign = await as('dealerB').post('/claims', claimBody('SN-A1', 'E7'));
    expect(foreign.body).toMatchObject({ status: 'rejected', claimCodes: ['NOT_SOLD_BY_DEALER'] });
    const unknown = await as('dealerB').post('/claims', claimBody('SN-NOWHERE', 'E7'));
    expect(unknown.body.claimCodes).toEqual(['NO_SALE_RECORD']);
  });

  it('flags lines over the limits, refuses their full approval and takes a partial one', async () => {
    await sale('dealerA', 'SN-A3', 10);
    const lines = [
      { kind: 'part', partNo: 'P-999', quantity: 1, unitPrice: cny(100) },
      { kind: 'labour', operation: 'inspect', hundredthsOfHour: 80, rate: cny(9000) },
      { kind: 'travel', amount: cny(70000) },
    ];
    const claim = await as('dealerA').post('/claims', claimBody('SN-A3', 'E9', lines));
    expect(claim.body.lines.map((l: Json) => l.codes)).toEqual([['PART_NOT_ON_MODEL_LIST'], ['LABOUR_HOURS_ABOVE_LIMIT', 'LABOUR_RATE_ABOVE_LIMIT'], ['TRAVEL_ABOVE_CAP']]);
    const id = claim.body.id;
    const full = await as('clerk').post(`/claims/${id}/decision`, { decisions: [{ lineNo: 3, kind: 'approve' }] });
    expect(full.status).toBe(409);
    expect(full.body.error.details[0].field).toBe('decisions.0');
    const tooMuch = await as('clerk').post(`/claims/${id}/decision`, { decisions: [{ lineNo: 2, kind: 'approve_part', amount: cny(4001) }] });
    // Said in yuan, not in fen.
    expect(tooMuch.body.error.message).toBe('Line 2: at most 40.00 CNY may be approved.');
    const partial = await as('clerk').post(`/claims/${id}/decision`, {
      decisions: [
        { lineNo: 1, kind: 'reject', reason: 'part not on the model’s list' },
        { lineNo: 2, kind: 'approve_part', amount: cny(4000) },
        { lineNo: 3, kind: 'approve_part', amount: cny(50000) },
      ],
    });
    expect(partial.status).toBe(200);
    expect(partial.body.lines.map((l: Json) => [l.status, l.approved?.amount ?? null])).toEqual([
      ['rejected', null],
      ['approved', 4000],
      ['approved', 50000],
    ]);
  });

  it('sends a line back; the dealer amends and resubmits once', async () => {
    await sale('dealerA', 'SN-A4', 10);
    const claim = await as('dealerA').post('/claims', claimBody('SN-A4', 'E5', [{ kind: 'travel', amount: cny(60000) }, { kind: 'other', amount: cny(500), description: 'cleaning' }]));
    const id = claim.body.id;
    const back = await as('clerk').post(`/claims/${id}/decision`, {
      decisions: [
        { lineNo: 1, kind: 'send_back', reason: 'travel above the cap: attach the route or lower it' },
        { lineNo: 2, kind: 'approve' },
      ],
    });
    expect(back.body.status).toBe('sent_back');
    expect((await as('dealerB').post(`/claims/${id}/resubmit`, { lines: [{ lineNo: 1, line: { kind: 'travel', amount: cny(40000) } }] })).status).toBe(404);
    expect((await as('dealerA').post(`/claims/${id}/resubmit`, { lines: [{ lineNo: 2, line: { kind: 'other', amount: cny(1), description: 'x' } }] })).status).toBe(409);
    const resubmitted = await as('dealerA').post(`/claims/${id}/resubmit`, { lines: [{ lineNo: 1, line: { kind: 'travel', amount: cny(40000) } }] });
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.body).toMatchObject({ status: 'in_review', resubmissions: 1 });
    expect(resubmitted.body.lines[0]).toMatchObject({ status: 'open', codes: [], claimed: cny(40000) });
    expect(resubmitted.body.lines[1]).toMatchObject({ status: 'approved', approved: cny(500) });
    await as('clerk').post(`/claims/${id}/decision`, { decisions: [{ lineNo: 1, kind: 'send_back', reason: 'still missing the route' }] });
    const twice = await as('dealerA').post(`/claims/${id}/resubmit`, { lines: [{ lineNo: 1, line: { kind: 'travel', amount: cny(30000) } }] });
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toMatch(/only once/);
  });

  it('loses a part missing at its return date and the labour that fitted it; the other lines go on', async () => {
    await sale('dealerA', 'SN-A5', 10);
    const claim = await as('dealerA').post('/claims', claimBody('SN-A5', 'E6'));
    const id = claim.body.id;
    const repo = new DealerWarrantyRepository(api.db.knex);
    const due: string = claim.body.partsDueOn;
    expect(await repo.applyPartsDeadline(id, due)).toEqual([]);
    const dayAfter = new Date(Date.parse(`${due}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(await repo.applyPartsDeadline(id, dayAfter)).toEqual([1, 2]);
    expect(await repo.applyPartsDeadline(id, dayAfter)).toEqual([]);
    const after = await as('clerk').get(`/claims/${id}`);
    expect(after.body.lines.map((l: Json) => l.status)).toEqual(['lost', 'lost', 'open', 'open']);
    expect((await as('clerk').post(`/claims/${id}/parts-received`, { lineNos: [1], receivedOn: dayAfter })).status).toBe(409);
    const rest = await as('clerk').post(`/claims/${id}/decision`, { decisions: [{ lineNo: 3, kind: 'approve' }, { lineNo: 4, kind: 'approve' }] });
    expect(rest.body).toMatchObject({ status: 'decided' });
  });

  it('a settlement run first loses the parts whose return date has passed', async () => {
    await sale('dealerA', 'SN-A6', 10);
    const claim = await as('dealerA').post('/claims', claimBody('SN-A6', 'E61'));
    await api.db.knex('claims').where({ id: claim.body.id }).update({ parts_due_on: daysAgo(1) });
    await as('finance').post('/settlements/run', { period: '2020-01' });
    const after = await as('clerk').get(`/claims/${claim.body.id}`);
    expect(after.body.lines.map((l: Json) => l.status)).toEqual(['lost', 'lost', 'open', 'open']);
    await as('clerk').post(`/claims/${claim.body.id}/decision`, { decisions: [{ lineNo: 3, kind: 'reject', reason: 'no receipt' }, { lineNo: 4, kind: 'reject', reason: 'no receipt' }] });
    expect(await api.db.knex('settlements').where({ period: '2020-01' })).toEqual([]);
  });

  it('settles a period once: two runs at once, a re-run, two confirmations and a retried posting post one entry', async () => {
    const period = periodOf(new Date(), 'Asia/Shanghai');
    const [first, second] = await Promise.all([as('finance').post('/settlements/run', { period }), as('finance').post('/settlements/run', { period })]);
    if (first.status !== 200 || second.status !== 200) console.log(first.body, second.body, api.logged);
    expect([first.status, second.status]).toEqual([200, 200]);
    const mine = (answer: Json) => answer.body.settlements.find((s: Json) => s.dealerId === dealerA);
    expect(mine(first).id).toBe(mine(second).id);
    const statement = mine(first);
    // Clean claim 68 689 + partial 54 000 + resubmitted claim's approved line 500 + parts-late claim's 31 999.
    expect(statement.total).toEqual(cny(68689 + 54000 + 500 + 31999));
    expect(await api.db.knex('settlement_lines').count({ n: '*' }).first()).toEqual({ n: statement.lines.length });
    expect(first.body.settlements.some((s: Json) => s.dealerId === dealerB)).toBe(false);

    const travelLine = cleanClaim.lines[2].claimLineId;
    const reviewed = await as('finance').post(`/settlements/${statement.id}/review`, { holdLineIds: [travelLine] });
    expect(reviewed.body).toMatchObject({ status: 'sent', total: cny(68689 + 54000 + 500 + 31999 - 30000) });
    expect((await as('finance').post('/settlements/run', { period })).body.settlements.find((s: Json) => s.dealerId === dealerA).total.amount).toBe(reviewed.body.total.amount);

    // The dealer's confirmation falls due dealer.settlementConfirmWithin after the review: a row in deadlines.
    const confirmDue = `settlement:${statement.id}:settlement_confirm`;
    const deadlineKeys = async (who: keyof typeof tokens) => ((await as(who).get('/deadlines?limit=1000')).body.deadlines as Json[]).map((d) => `${d.recordType}:${d.recordId}:${d.kind}`);
    expect(await deadlineKeys('dealerA')).toContain(confirmDue);
    expect(await deadlineKeys('finance')).toContain(confirmDue);
    expect(await deadlineKeys('dealerB')).not.toContain(confirmDue);

    // The write-off notice, in the dealer's language (zh-CN by default) or as asked.
    const zh = await as('dealerA').get(`/settlements/${statement.id}/notice`);
    expect(zh.status).toBe(200);
    expect(zh.headers.get('content-type')).toMatch(/text\/html/);
    expect(zh.body).toContain('三包费用核销通知');
    expect(zh.body).toContain('¥1,251.88');
    const en = await as('finance').get(`/settlements/${statement.id}/notice?lang=en`);
    expect(en.body).toContain('Warranty cost write-off notice');
    expect(en.body).toContain('CN¥1,251.88');
    expect((await as('dealerB').get(`/settlements/${statement.id}/notice`)).status).toBe(404);

    // The statement's lines as CSV, read back with a CSV parser: the same lines and amounts as the JSON.
    const csv = await as('finance').get(`/settlements/${statement.id}/lines.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="?settlement-\d+-v1\.csv"?$/);
    const rows = parse(csv.body.replace(/^\uFEFF/, ''), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => Number(r.claim_line_id))).toEqual(reviewed.body.lines.map((l: Json) => l.claimLineId));
    expect(rows.reduce((sum, r) => sum + Math.round(Number(r.amount) * 100), 0)).toBe(reviewed.body.total.amount);
    expect((await as('dealerA').get(`/settlements/${statement.id}/lines.csv`)).status).toBe(200);
    expect((await as('dealerB').get(`/settlements/${statement.id}/lines.csv`)).status).toBe(404);
    const claimCsv = await as('dealerA').get(`/claims/${cleanClaim.id}/lines.csv`);
    const claimRows = parse(claimCsv.body.replace(/^\uFEFF/, ''), { columns: true }) as Array<Record<string, string>>;
    expect(claimRows.map((r) => [r.line_no, r.kind, r.claimed, r.approved, r.status])).toEqual([
      ['1', 'part', '246.90', '246.90', 'approved'],
      ['2', 'labour', '120.00', '120.00', 'approved'],
      ['3', 'travel', '300.00', '300.00', 'approved'],
      ['4', 'other', '19.99', '19.99', 'approved'],
    ]);
    expect((await as('dealerB').get(`/claims/${cleanClaim.id}/lines.csv`)).status).toBe(404);

    // Finance's period view lists every dealer's statement; a dealer's, its own only.
    expect((await as('finance').get(`/settlements?period=${period}`)).body.settlements.map((s: Json) => s.id)).toContain(statement.id);
    expect((await as('dealerB').get(`/settlements?period=${period}`)).body.settlements.map((s: Json) => s.id)).not.toContain(statement.id);
    expect((await as('dealerA').get(`/settlements?period=${period}`)).body.settlements.map((s: Json) => s.id)).toEqual([statement.id]);

    // Dealer B can neither read nor act on dealer A's statement; finance cannot confirm for the dealer.
    expect((await as('dealerB').get(`/settlements/${statement.id}`)).status).toBe(404);
    expect((await as('dealerB').post(`/settlements/${statement.id}/confirm`, { version: 1 })).status).toBe(404);
    expect((await as('finance').post(`/settlements/${statement.id}/confirm`, { version: 1 })).status).toBe(403);

    const confirmations = await Promise.all([as('dealerA').post(`/settlements/${statement.id}/confirm`, { version: 1 }), as('dealerA').post(`/settlements/${statement.id}/confirm`, { version: 1 })]);
    if (confirmations.some((c) => c.status === 500)) console.log(api.logged);
    expect(confirmations.map((c) => c.status).sort()).toEqual([200, 409]);
    expect(await deadlineKeys('finance')).not.toContain(confirmDue);
    // The posting retried (an activity after a worker kill) finds its entry.
    const repo = new DealerWarrantyRepository(api.db.knex);
    await repo.postToLedger(statement.id, new Date());
    await repo.postToLedger(statement.id, new Date());
    const ledger = await as('finance').get(`/dealers/${dealerA}/ledger`);
    expect(ledger.body.entries).toHaveLength(1);
    expect(ledger.body.entries[0]).toMatchObject({ settlementId: statement.id, amount: cny(-reviewed.body.total.amount) });
    expect((await as('dealerA').get(`/dealers/${dealerA}/ledger`)).body.entries).toHaveLength(1);
    expect((await as('dealerB').get(`/dealers/${dealerA}/ledger`)).status).toBe(404);

    // The held line waits for the next period and is settled there, once.
    const [year, month] = period.split('-').map(Number) as [number, number];
    const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
    const later = await Promise.all([as('finance').post('/settlements/run', { period: next }), as('finance').post('/settlements/run', { period: next })]);
    const nextStatement = later[0].body.settlements.find((s: Json) => s.dealerId === dealerA);
    expect(nextStatement.lines.map((l: Json) => l.claimLineId)).toEqual([travelLine]);
    expect(later[1].body.settlements.find((s: Json) => s.dealerId === dealerA).id).toBe(nextStatement.id);

    // A dispute: finance first stands firm (same version), then corrects a line (a new version).
    await as('finance').post(`/settlements/${nextStatement.id}/review`, { holdLineIds: [] });
    expect((await as('dealerB').post(`/settlements/${nextStatement.id}/dispute`, { reason: 'x' })).status).toBe(404);
    const disputed = await as('dealerA').post(`/settlements/${nextStatement.id}/dispute`, { reason: 'travel was within the route' });
    expect(disputed.body).toMatchObject({ status: 'disputed', disputeReason: 'travel was within the route' });
    expect((await as('dealerA').post(`/settlements/${nextStatement.id}/confirm`, { version: 1 })).status).toBe(409);
    const unanswered = await as('finance').post(`/settlements/${nextStatement.id}/review`, { holdLineIds: [] });
    expect(unanswered.status).toBe(409);
    expect(unanswered.body.error.details[0].field).toBe('answer');
    const firm = await as('finance').post(`/settlements/${nextStatement.id}/review`, { holdLineIds: [], answer: 'the cap applies per claim' });
    expect(firm.body).toMatchObject({ status: 'sent', version: 1, disputeAnswer: 'the cap applies per claim', total: cny(30000) });
    await as('dealerA').post(`/settlements/${nextStatement.id}/dispute`, { reason: 'still disagree' });
    const corrected = await as('finance').post(`/settlements/${nextStatement.id}/review`, { holdLineIds: [travelLine], answer: 'held back for a second look' });
    expect(corrected.body).toMatchObject({ status: 'sent', version: 2, total: cny(0) });
    expect((await as('dealerA').post(`/settlements/${nextStatement.id}/confirm`, { version: 1 })).body.error.details[0].field).toBe('version');
    expect((await as('dealerA').post(`/settlements/${nextStatement.id}/confirm`, { version: 2 })).body.status).toBe('confirmed');
  });

  it('a line sits in one statement ever, whatever inserts it (the database refuses the second)', async () => {
    const [row] = (await api.db.knex('settlement_lines').select('claim_line_id', 'settlement_id').limit(1)) as Array<{ claim_line_id: number; settlement_id: number }>;
    await expect(api.db.knex('settlement_lines').insert({ settlement_id: row!.settlement_id, claim_line_id: row!.claim_line_id, amount_minor: 1 })).rejects.toThrow();
    const [entry] = (await api.db.knex('ledger_entries').select('*').limit(1)) as Array<Record<string, unknown>>;
    await expect(api.db.knex('ledger_entries').insert({ ...entry, id: undefined })).rejects.toThrow();
  });

  it('keeps dealer A’s records from dealer B: reads, lists and steps answer 404 or leave them out', async () => {
    const id = cleanClaim.id;
    expect((await as('dealerB').get(`/claims/${id}`)).status).toBe(404);
    expect((await as('dealerB').get(`/claims/${id}`)).body.error.code).toBe('not_found');
    expect((await as('dealerA').get(`/claims/${id}`)).status).toBe(200);
    const listB = await as('dealerB').get('/claims');
    expect(listB.body.claims.length).toBeGreaterThan(0);
    expect(listB.body.claims.every((c: Json) => c.dealerId === dealerB)).toBe(true);
    const listA = await as('dealerA').get('/claims?status=decided');
    expect(listA.body.claims.every((c: Json) => c.dealerId === dealerA && c.status === 'decided')).toBe(true);
    expect((await as('clerk').get('/claims')).body.claims.some((c: Json) => c.dealerId === dealerB)).toBe(true);
    // Dealer B cannot name dealer A as the seller of a sale either.
    expect((await as('dealerB').post('/dealer-sales', { dealerId: dealerA, deviceSerial: 'SN-B9', model: 'M1', saleDate: daysAgo(1), customerName: 'Li Si' })).status).toBe(404);
  });

  it('lists pending dealer deadlines in GET /api/deadlines, each dealer only its own', async () => {
    const pending = await sale('dealerB', 'SN-B-NOCARD', 3, false);
    const cardDone = await sale('dealerA', 'SN-A-CARD', 3);
    await sale('dealerA', 'SN-A7', 10);
    const claim = (await as('dealerA').post('/claims', claimBody('SN-A7', 'E8'))).body;
    const deadlinesOf = async (who: keyof typeof tokens) => ((await as(who).get('/deadlines?limit=1000')).body.deadlines as Json[]).map((d) => `${d.recordType}:${d.recordId}:${d.kind}`);
    const b = await deadlinesOf('dealerB');
    const a = await deadlinesOf('dealerA');
    expect(b).toContain(`dealer_sale:${pending.id}:warranty_card`);
    expect(b).not.toContain(`claim:${claim.id}:old_part_return`);
    expect(a).toContain(`claim:${claim.id}:old_part_return`);
    expect(a).not.toContain(`dealer_sale:${pending.id}:warranty_card`);
    expect(a).not.toContain(`dealer_sale:${cardDone.id}:warranty_card`);
    const clerk = await deadlinesOf('clerk');
    expect(clerk).toEqual(expect.arrayContaining([`dealer_sale:${pending.id}:warranty_card`, `claim:${claim.id}:old_part_return`]));
    await as('clerk').post(`/claims/${claim.id}/parts-received`, { lineNos: [1], receivedOn: daysAgo(0) });
    expect(await deadlinesOf('dealerA')).not.toContain(`claim:${claim.id}:old_part_return`);
  });

  it('dealer tasks: arranged within 2 h, checked by the clerk at 4 h; a 三包 customer cannot be handed back', async () => {
    const before = Date.now();
    const task = await as('clerk').post('/dealer-tasks', { dealerId: dealerA, deviceSerial: 'SN-A1', customerName: 'Zhang San', request: 'pump noisy, customer asks for a visit' });
    expect(task.status).toBe(201);
    expect(Date.parse(task.body.arrangeDueAt) - before).toBeGreaterThanOrEqual(2 * 3_600_000 - 1000);
    expect(Date.parse(task.body.clerkCheckAt) - Date.parse(task.body.arrangeDueAt)).toBe(2 * 3_600_000);
    const id = task.body.id;
    const keys = async (who: keyof typeof tokens) => ((await as(who).get('/deadlines?limit=1000')).body.deadlines as Json[]).map((d) => `${d.recordType}:${d.recordId}:${d.kind}`);
    expect(await keys('dealerA')).toEqual(expect.arrayContaining([`dealer_task:${id}:dealer_task_arrange`, `dealer_task:${id}:dealer_task_clerk_check`]));
    expect(await keys('dealerB')).not.toContain(`dealer_task:${id}:dealer_task_arrange`);
    expect((await as('dealerB').get(`/dealer-tasks/${id}`)).status).toBe(404);

    const early = await as('clerk').post(`/dealer-tasks/${id}/check`, { note: 'called the dealer' });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/not arranged/);
    const back = await as('dealerA').post(`/dealer-tasks/${id}/hand-back`, { reason: 'too far away' });
    expect(back.status).toBe(409);
    expect(back.body.error.message).toMatch(/cannot hand a 三包/);
    expect((await as('dealerB').post(`/dealer-tasks/${id}/arrange`, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'x' })).status).toBe(404);
    expect((await as('clerk').post(`/dealer-tasks/${id}/arrange`, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'x' })).status).toBe(403);
    const arranged = await as('dealerA').post(`/dealer-tasks/${id}/arrange`, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'engineer Wang visits with a spare pump' });
    expect(arranged.body).toMatchObject({ status: 'arranged', visitAt: '2026-12-02T01:00:00.000Z' });
    expect(await keys('dealerA')).not.toContain(`dealer_task:${id}:dealer_task_arrange`);
    expect((await as('clerk').post(`/dealer-tasks/${id}/check`, { note: 'confirmed with the customer' })).status).toBe(200);
    expect(await keys('clerk')).not.toContain(`dealer_task:${id}:dealer_task_clerk_check`);
    // A dealer takes a task directly, for itself only.
    expect((await as('dealerB').post('/dealer-tasks', { deviceSerial: 'SN-B1', customerName: 'Li', request: 'walk-in' })).body.dealerId).toBe(dealerB);
  });

  it('answers bad input with 400 naming the field, and writes nothing', async () => {
    const before = await api.db.knex('claims').count({ n: '*' }).first();
    const floaty = await as('dealerA').post('/claims', claimBody('SN-A1', 'E77', [{ kind: 'travel', amount: { amount: 10.5, currency: 'CNY' } }]));
    expect(floaty.status).toBe(400);
    expect(floaty.body.error.details[0].field).toBe('lines.0.amount.amount');
    const future = await as('dealerA').post('/claims', { ...claimBody('SN-A1', 'E77'), repairDate: daysAgo(-3) });
    expect(future.body.error.details[0].field).toBe('repairDate');
    const badPart = await as('dealerA').post('/claims', claimBody('SN-A1', 'E77', [{ kind: 'labour', operation: 'inspect', hundredthsOfHour: 50, rate: cny(100), partLineNo: 4 }]));
    expect(badPart.body.error.details[0].field).toBe('lines.0.partLineNo');
    expect(await api.db.knex('claims').count({ n: '*' }).first()).toEqual(before);
  });
});
