/**
 * The dealer processes' timers on the real server (P5), policies in seconds: the warranty card's
 * reminders and deadline (a late card is not recognised and the dealer told why, in its language),
 * a card in time registering the device; a dealer task's arrangement reminder, the user told, the
 * clerk's check and the escalation to leadership. Mail is asserted at the SMTP sink.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { dealerProcessPolicy, type DealerClaimInput } from '../../processes/dealer/messages';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import type { Role } from '../../domain/access';
import type { ReceivedMail } from '../support/smtpSink';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const SECONDS = {
  dealer: { warrantyCardWithin: 'PT6S', warrantyCardRemindersAt: ['PT2S', 'PT4S'], taskArrangeWithin: 'PT3S', clerkCheckAt: 'PT6S', resubmitWithin: 'PT3S', settlementConfirmWithin: 'PT3S', settlementEscalateAfter: 'PT3S', auditSampleRate: 0 },
};
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const today = () => new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });

describe('dealer processes: warranty cards and dealer tasks on timers', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  const tokens = {} as Record<string, string>;
  let dealerA: number;
  let dealerB: number;
  let key = 0;

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'Idempotency-Key': `k-${++key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };

  async function poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  const mails = (prefix: string) => system.smtp.messages.filter((m) => m.idempotencyKey?.startsWith(prefix));
  const waitForMail = (prefix: string, count = 1) => poll(`${count} mail(s) ${prefix}`, () => (mails(prefix).length >= count ? mails(prefix) : undefined));
  const to = (mail: ReceivedMail) => mail.envelope.to.join(',');
  const deadline = async (workflowId: string, key: string) => (await system.db.knex('deadlines').where({ workflow_id: workflowId, deadline_key: key }).first()) as Json;
  /** A deadline row once it shows `expected` (rungs are marked after their notice went out). */
  const deadlineShows = (workflowId: string, key: string, expected: Record<string, unknown>) =>
    poll(`${workflowId} ${key} ${JSON.stringify(expected)}`, async () => {
      const row = await deadline(workflowId, key);
      return row && Object.entries(expected).every(([field, value]) => row[field] === value) ? row : undefined;
    });

  beforeAll(async () => {
    system = await startTestSystem('dealer-processes');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const adminToken = generateToken();
    await users.ensureAdmin(adminToken);
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
    await new PolicyLayersRepository(knex).put('template', 'default', SECONDS);
    await new DealerWarrantyRepository(knex).putModelReference('M1', [{ partNo: 'P-100' }], [{ operation: 'replace-pump', standardHundredths: 150 }]);
    dealerA = (await call('POST', '/dealers', adminToken, { name: 'Dealer A', contactEmail: 'service@dealer-a.test', locale: 'en' })).body.id;
    dealerB = (await call('POST', '/dealers', adminToken, { name: 'Dealer B', contactEmail: 'service@dealer-b.test' })).body.id;
    const people: [string, Role, number?][] = [
      ['dealerA', 'dealer', dealerA],
      ['dealerB', 'dealer', dealerB],
      ['clerk', 'sales_clerk'],
      ['appraiser', 'technical_appraiser'],
      ['finance', 'finance'],
      ['leader', 'leadership'],
    ];
    for (const [name, role, dealerId] of people) {
      const user = await users.create({ name, email: `${name}@maker.test`, role, locale: 'en', ...(dealerId ? { dealerId } : {}) });
      tokens[name] = await users.issueToken(user.id, 'test');
    }
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

  const sell = async (who: string, serial: string) => {
    const sale = await call('POST', '/dealer-sales', tokens[who]!, { deviceSerial: serial, model: 'M1', saleDate: today(), customerName: 'Zhang San' });
    expect(sale.status).toBe(201);
    return sale.body;
  };

  it('a card never completed: reminded twice, then warranty not recognised and the dealer told why, in English', async () => {
    const sale = await sell('dealerA', 'SN-LATE-1');
    const workflowId = `warranty-card-${sale.id}`;
    const reminders = await waitForMail(`${workflowId}:card-reminder_`, 2);
    expect(reminders.map(to)).toEqual(['service@dealer-a.test', 'service@dealer-a.test']);
    expect(reminders[0]!.subject).toMatch(/warranty card/);
    const [told] = await waitForMail(`${workflowId}:card-not-recognised:`);
    expect(to(told!)).toBe('service@dealer-a.test');
    expect(told!.subject).toMatch(/^Warranty not recognised: M1 S\/N SN-LATE-1/);
    expect(told!.text).toMatch(/not completed within the time allowed/);
    const after = await call('GET', `/claims?status=in_review`, tokens.dealerA!);
    expect(after.status).toBe(200);
    const row = await poll('the sale not recognised', async () => {
      const found = (await system.db.knex('dealer_sales').where({ id: sale.id }).first()) as Json;
      return found.warranty === 'not_recognised' ? found : undefined;
    });
    expect(row.warranty_reason).toMatch(/三包卡未在规定期限内交回/);
    await deadlineShows(workflowId, 'warranty_card', { status: 'dropped', last_rung: 'expired' });
    const late = await call('POST', `/dealer-sales/${sale.id}/card`, tokens.dealerA!, { cardDate: today() });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/not recognised/);
    expect(mails(`${workflowId}:`)).toHaveLength(3);
  });

  it('a card in time registers the device with its warranty dates; no reminder follows', async () => {
    const sale = await sell('dealerA', 'SN-CARD-1');
    expect((await call('POST', `/dealer-sales/${sale.id}/card`, tokens.dealerB!, { cardDate: today() })).status).toBe(404);
    expect((await call('POST', `/dealer-sales/${sale.id}/card`, tokens.dealerA!, { cardDate: '2001-01-01' })).body.error.details[0].field).toBe('cardDate');
    const card = await call('POST', `/dealer-sales/${sale.id}/card`, tokens.dealerA!, { cardDate: today(), customerPhone: '13800000000', customerAddress: 'Nanchang' });
    expect(card.status).toBe(200);
    expect(card.body).toMatchObject({ warranty: 'recognised', cardCompletedOn: today(), deviceId: expect.any(Number) });
    const device = (await system.db.knex('devices').where({ id: card.body.deviceId }).first()) as Json;
    expect(device.serial).toBe('SN-CARD-1');
    expect(new Date(device.warranty_ends_at).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    const again = await call('POST', `/dealer-sales/${sale.id}/card`, tokens.dealerA!, { cardDate: today() });
    expect(again.status).toBe(409);
    const workflowId = `warranty-card-${sale.id}`;
    await system.temporal.client.workflow.getHandle(workflowId).result();
    expect(await deadline(workflowId, 'warranty_card')).toMatchObject({ status: 'met', last_rung: null });
    expect(mails(`${workflowId}:`)).toEqual([]);
  });

  it('a task never arranged: the dealer reminded at 3 s, leadership escalated at 6 s; arranged late, the user is told', async () => {
    const task = await call('POST', '/dealer-tasks', tokens.clerk!, { dealerId: dealerB, deviceSerial: 'SN-T1', customerName: 'Li Si', customerEmail: 'li.si@user.test', request: 'pump noisy' });
    expect(task.status).toBe(201);
    const workflowId = `dealer-task-${task.body.id}`;
    const [overdue] = await waitForMail(`${workflowId}:arrange-overdue:`);
    expect(to(overdue!)).toBe('service@dealer-b.test');
    expect(overdue!.subject).toMatch(/^提醒：经销商安排三包服务/);
    const escalated = await waitForMail(`${workflowId}:escalated:`);
    expect(escalated.map(to)).toEqual(['leader@maker.test']);
    expect(escalated[0]!.subject).toMatch(/^Escalation: the dealer arranging the warranty service/);
    await deadlineShows(workflowId, 'dealer_task_arrange', { status: 'open', last_rung: 'reminder' });

    expect((await call('POST', `/dealer-tasks/${task.body.id}/check`, tokens.clerk!, { note: 'called' })).status).toBe(409);
    expect((await call('POST', `/dealer-tasks/${task.body.id}/arrange`, tokens.dealerA!, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'x' })).status).toBe(404);
    const arranged = await call('POST', `/dealer-tasks/${task.body.id}/arrange`, tokens.dealerB!, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'engineer Wang brings a spare pump' });
    expect(arranged.body).toMatchObject({ status: 'arranged', visitAt: '2026-12-02T01:00:00.000Z' });
    const [told] = await waitForMail(`${workflowId}:arranged:`);
    expect(to(told!)).toBe('li.si@user.test');
    expect(told!.text).toMatch(/engineer Wang brings a spare pump/);
    expect(await deadline(workflowId, 'dealer_task_arrange')).toMatchObject({ status: 'met' });
    const checked = await call('POST', `/dealer-tasks/${task.body.id}/check`, tokens.clerk!, { note: 'confirmed with the user' });
    expect(checked.status).toBe(200);
    expect(checked.body.checkedAt).not.toBeNull();
    await system.temporal.client.workflow.getHandle(workflowId).result();
    expect(await deadline(workflowId, 'dealer_task_clerk_check')).toMatchObject({ status: 'met' });
  });

  it('a task arranged in time: the clerk is asked to check at 6 s, nobody is escalated; no hand-back', async () => {
    const task = await call('POST', '/dealer-tasks', tokens.dealerA!, { deviceSerial: 'SN-T2', customerName: 'Wang', request: 'walk-in' });
    expect(task.body.dealerId).toBe(dealerA);
    const workflowId = `dealer-task-${task.body.id}`;
    const back = await call('POST', `/dealer-tasks/${task.body.id}/hand-back`, tokens.dealerA!, { reason: 'too far' });
    expect(back.status).toBe(409);
    expect(back.body.error.message).toMatch(/cannot hand a 三包/);
    expect((await call('POST', `/dealer-tasks/${task.body.id}/arrange`, tokens.dealerA!, { visitAt: '2026-12-03T09:00:00+08:00', arrangement: 'tomorrow' })).status).toBe(200);
    expect((await call('POST', `/dealer-tasks/${task.body.id}/arrange`, tokens.dealerA!, { visitAt: '2026-12-03T09:00:00+08:00', arrangement: 'again' })).status).toBe(409);
    const [ask] = await waitForMail(`${workflowId}:clerk-check:`);
    expect(to(ask!)).toBe('clerk@maker.test');
    expect(mails(`${workflowId}:escalated:`)).toEqual([]);
    expect(mails(`${workflowId}:arrange-overdue:`)).toEqual([]);
    expect((await call('POST', `/dealer-tasks/${task.body.id}/check`, tokens.clerk!, { note: 'ok' })).status).toBe(200);
    await system.temporal.client.workflow.getHandle(workflowId).result();
  });

  const cny = (amount: number) => ({ amount, currency: 'CNY' });
  const claimOf = async (serial: string, lines: unknown[]) => {
    const sale = await sell('dealerA', serial);
    expect((await call('POST', `/dealer-sales/${sale.id}/card`, tokens.dealerA!, { cardDate: today() })).status).toBe(200);
    const claim = await call('POST', '/claims', tokens.dealerA!, { deviceSerial: serial, faultCode: 'E1', repairDate: today(), workDone: 'replaced the pump', lines });
    expect(claim.status).toBe(201);
    return claim.body;
  };

  it('old parts missing at their return date: the part and its labour are lost, the other lines go on', async () => {
    const claim = await claimOf('SN-CLAIM-PARTS', [
      { kind: 'part', partNo: 'P-100', quantity: 1, unitPrice: cny(10000) },
      { kind: 'labour', operation: 'replace-pump', hundredthsOfHour: 100, rate: cny(5000), partLineNo: 1 },
      { kind: 'travel', amount: cny(20000) },
    ]);
    const workflowId = `dealer-claim-${claim.id}`;
    const { client, taskQueue } = system.temporal;
    // The API started the claim's process with parts due at the end of ${claim.partsDueOn}; this one's are due in 2 s.
    const started = await client.workflow.getHandle(workflowId).describe();
    expect(started.status.name).toBe('RUNNING');
    await client.workflow.getHandle(workflowId).terminate('parts due sooner for the test');
    const input: DealerClaimInput = { claimId: claim.id, dealerId: dealerA, deviceSerial: 'SN-CLAIM-PARTS', partsDueOn: claim.partsDueOn, partsDueAt: new Date(Date.now() + 2000).toISOString(), policy: dealerProcessPolicy(DEFAULT_POLICY) };
    const handle = await client.workflow.start('dealerClaim', { taskQueue, workflowId, args: [input] });
    const [told] = await waitForMail(`${workflowId}:parts-missing:`);
    expect(to(told!)).toBe('service@dealer-a.test');
    expect(told!.text).toMatch(/not returned in time/);
    expect(told!.text).toMatch(/Lines: +1, 2/);
    const lost = await call('GET', `/claims/${claim.id}`, tokens.clerk!);
    expect(lost.body.lines.map((l: Json) => l.status)).toEqual(['lost', 'lost', 'open']);
    expect((await call('POST', `/claims/${claim.id}/parts-received`, tokens.clerk!, { lineNos: [1], receivedOn: today() })).status).toBe(409);
    const decided = await call('POST', `/claims/${claim.id}/decision`, tokens.clerk!, { decisions: [{ lineNo: 3, kind: 'approve' }] });
    expect(decided.body.status).toBe('decided');
    expect(await handle.result()).toEqual({ partsLost: [1, 2], resubmitClosed: [] });
  });

  it('a claim sent back and not resubmitted: the window closes by timer, the lines are rejected and the dealer told', async () => {
    const claim = await claimOf('SN-CLAIM-BACK', [{ kind: 'travel', amount: cny(60000) }, { kind: 'other', amount: cny(500), description: 'cleaning' }]);
    const workflowId = `dealer-claim-${claim.id}`;
    const back = await call('POST', `/claims/${claim.id}/decision`, tokens.clerk!, {
      decisions: [
        { lineNo: 1, kind: 'send_back', reason: 'travel above the cap' },
        { lineNo: 2, kind: 'approve' },
      ],
    });
    expect(back.body.status).toBe('sent_back');
    const [told] = await waitForMail(`${workflowId}:resubmit-closed:`);
    expect(told!.subject).toMatch(/not resubmitted in time/);
    const after = await call('GET', `/claims/${claim.id}`, tokens.dealerA!);
    expect(after.body).toMatchObject({ status: 'decided' });
    expect(after.body.lines.map((l: Json) => [l.status, l.decisionReason])).toEqual([
      ['rejected', 'not resubmitted within PT3S'],
      ['approved', null],
    ]);
    expect((await call('POST', `/claims/${claim.id}/resubmit`, tokens.dealerA!, { lines: [{ lineNo: 1, line: { kind: 'travel', amount: cny(40000) } }] })).status).toBe(409);
    expect(await system.temporal.client.workflow.getHandle(workflowId).result()).toEqual({ partsLost: [], resubmitClosed: [1] });
    const rows = (await system.db.knex('deadlines').where({ workflow_id: workflowId, kind: 'resubmit_window' })) as Json[];
    expect(rows.map((r) => r.status)).toEqual(['dropped']);
  });

  it('a statement not answered: the dealer reminded, then finance escalated; a dispute answered by a correction is a new version, confirmed and posted once', async () => {
    const period = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 7);
    const run = await call('POST', '/settlements/run', tokens.finance!, { period, dealerId: dealerA });
    const statement = run.body.settlements[0];
    expect(statement.lines.map((l: Json) => l.amount).sort()).toEqual([20000, 500]);
    const reviewed = await call('POST', `/settlements/${statement.id}/review`, tokens.finance!, { holdLineIds: [] });
    expect(reviewed.body.status).toBe('sent');
    const workflowId = `settlement-${statement.id}-confirm`;
    const [reminder] = await waitForMail(`${workflowId}:confirm-reminder:v1:`);
    expect(to(reminder!)).toBe('service@dealer-a.test');
    expect(reminder!.subject).toMatch(/^Reminder: the dealer’s confirmation of the warranty settlement statement/);
    const escalated = await waitForMail(`${workflowId}:confirm-escalated:v1:`);
    expect(escalated.map(to)).toEqual(['finance@maker.test']);
    // The rung is marked on its row once its notice went out.
    const rows = await poll('the escalation rung on record', async () => {
      const found = (await system.db.knex('deadlines').where({ workflow_id: workflowId })) as Json[];
      return found.every((r) => r.last_rung === 'escalation') ? found : undefined;
    });
    expect(rows.map((r) => [r.kind, r.status, r.last_rung])).toEqual([['settlement_confirm', 'open', 'escalation']]);

    const travel = statement.lines.find((l: Json) => l.amount === 20000).claimLineId;
    expect((await call('POST', `/settlements/${statement.id}/dispute`, tokens.dealerA!, { reason: 'x', claimLineIds: [999999] })).body.error.details[0].field).toBe('claimLineIds.0');
    const disputed = await call('POST', `/settlements/${statement.id}/dispute`, tokens.dealerA!, { reason: 'travel was 150 km, not 200', claimLineIds: [travel] });
    expect(disputed.body).toMatchObject({ status: 'disputed', disputeLineIds: [travel] });
    expect(await system.temporal.client.workflow.getHandle(workflowId).result()).toEqual({ answered: true, escalated: true });
    expect(((await system.db.knex('deadlines').where({ workflow_id: workflowId })) as Json[]).map((r) => r.status)).toEqual(['met']);

    const tooMuch = await call('POST', `/settlements/${statement.id}/review`, tokens.finance!, { holdLineIds: [], corrections: [{ claimLineId: travel, amount: cny(20001) }], answer: 'x' });
    expect(tooMuch.body.error.details[0].field).toBe('corrections.0.amount');
    const corrected = await call('POST', `/settlements/${statement.id}/review`, tokens.finance!, { holdLineIds: [], corrections: [{ claimLineId: travel, amount: cny(15000) }], answer: 'corrected to 150 km' });
    expect(corrected.body).toMatchObject({ status: 'sent', version: 2, total: cny(15500), disputeAnswer: 'corrected to 150 km' });
    expect((await call('POST', `/settlements/${statement.id}/confirm`, tokens.dealerA!, { version: 1 })).status).toBe(409);
    expect((await call('POST', `/settlements/${statement.id}/confirm`, tokens.dealerA!, { version: 2 })).body.status).toBe('confirmed');
    expect(await system.temporal.client.workflow.getHandle(workflowId).result()).toEqual({ answered: true, escalated: false });
    const ledger = await call('GET', `/dealers/${dealerA}/ledger`, tokens.finance!);
    expect(ledger.body.entries.map((e: Json) => e.amount)).toEqual([cny(-15500)]);
    const csv = await call('GET', `/settlements/${statement.id}/lines.csv`, tokens.dealerA!);
    expect(csv.body).toMatch(/,150\.00,CNY/);
  });
});
