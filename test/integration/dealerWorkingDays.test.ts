/**
 * Dealer deadlines in working days on the real server (issue #20): a dealer-sold warranty, a claim's
 * resubmission window, a statement's confirmation and its escalation given as `{ workingDays: n }`
 * end with the n-th working day on the policy's calendar (cn), through the API and the processes,
 * not at an invalid date.
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { addDuration, addWorkingDays, type BusinessCalendar } from '../../domain';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import type { Role } from '../../domain/access';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const WORKING_DAYS = {
  warranty: { length: { workingDays: 15 } },
  dealer: { resubmitWithin: { workingDays: 5 }, settlementConfirmWithin: { workingDays: 3 }, settlementEscalateAfter: { workingDays: 2 }, auditSampleRate: 0 },
};
const today = () => new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const cny = (amount: number) => ({ amount, currency: 'CNY' });

async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** The instants the process's local activities (the calendar store) answered, in order. */
function computedInstants(history: History): string[] {
  return (history.events ?? []).flatMap((event) => {
    const payload = event.markerRecordedEventAttributes?.details?.result?.payloads?.[0]?.data;
    if (!payload) return [];
    const answer = JSON.parse(Buffer.from(payload).toString('utf8')) as unknown;
    return Array.isArray(answer) ? answer.map((item: { at: string }) => item.at) : [];
  });
}

describe('dealer deadlines in working days', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  let cn: BusinessCalendar;
  const tokens = {} as Record<string, string>;
  let dealerId: number;
  let key = 0;

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'Idempotency-Key': `wd-${++key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };

  beforeAll(async () => {
    system = await startTestSystem('dealer-working-days');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const adminToken = generateToken();
    await users.ensureAdmin(adminToken);
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
    await new PolicyLayersRepository(knex).put('template', 'default', WORKING_DAYS);
    await new DealerWarrantyRepository(knex).putModelReference('M1', [{ partNo: 'P-100' }], [{ operation: 'replace-pump', standardHundredths: 150 }]);
    cn = (await new CalendarsRepository(knex).load('cn'))!;
    dealerId = (await call('POST', '/dealers', adminToken, { name: 'Dealer WD', contactEmail: 'service@dealer-wd.test', locale: 'en' })).body.id;
    const people: [string, Role, number?][] = [
      ['dealer', 'dealer', dealerId],
      ['clerk', 'sales_clerk'],
      ['finance', 'finance'],
    ];
    for (const [name, role, dealer] of people) {
      const user = await users.create({ name, email: `${name}@wd.test`, role, locale: 'en', ...(dealer ? { dealerId: dealer } : {}) });
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

  it('a claim sent back: the resubmission window ends with the 5th working day, and a resubmission inside it is taken', async () => {
    const sale = (await call('POST', '/dealer-sales', tokens.dealer!, { deviceSerial: 'SN-WD-1', model: 'M1', saleDate: today(), customerName: 'Li Si' })).body;
    const card = await call('POST', `/dealer-sales/${sale.id}/card`, tokens.dealer!, { cardDate: today() });
    expect(card.status).toBe(200);
    // The warranty runs 15 working days from the sale date on the calendar.
    expect(card.body.warrantyEndsOn).toBe(addWorkingDays(today(), 15, cn));
    const claim = await call('POST', '/claims', tokens.dealer!, { deviceSerial: 'SN-WD-1', faultCode: 'E1', repairDate: today(), workDone: 'replaced the pump', lines: [{ kind: 'travel', amount: cny(60000) }] });
    expect(claim.status).toBe(201);
    const back = await call('POST', `/claims/${claim.body.id}/decision`, tokens.clerk!, { decisions: [{ lineNo: 1, kind: 'send_back', reason: 'travel above the cap' }] });
    expect(back.body.status).toBe('sent_back');

    const sentBackAt = ((await system.db.knex('claims').where({ id: claim.body.id }).first('sent_back_at')) as Json).sent_back_at;
    const expected = addDuration(new Date(sentBackAt), { workingDays: 5 }, cn);
    const row = await poll('the resubmission window on record', async () => (await system.db.knex('deadlines').where({ workflow_id: `dealer-claim-${claim.body.id}`, kind: 'resubmit_window' }).first()) as Json);
    expect(new Date(row.due_at).toISOString()).toBe(expected.toISOString());
    expect(row.status).toBe('open');

    const resubmitted = await call('POST', `/claims/${claim.body.id}/resubmit`, tokens.dealer!, { lines: [{ lineNo: 1, line: { kind: 'travel', amount: cny(40000) } }] });
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.body.status).toBe('in_review');
    const decided = await call('POST', `/claims/${claim.body.id}/decision`, tokens.clerk!, { decisions: [{ lineNo: 1, kind: 'approve' }] });
    expect(decided.body.status).toBe('decided');
    expect(await system.temporal.client.workflow.getHandle(`dealer-claim-${claim.body.id}`).result()).toEqual({ partsLost: [], resubmitClosed: [] });
  });

  it('a statement reviewed: confirmation due at the end of the 3rd working day, escalation 2 working days after that', async () => {
    const period = today().slice(0, 7);
    const run = await call('POST', '/settlements/run', tokens.finance!, { period, dealerId });
    const statement = run.body.settlements[0];
    const before = new Date();
    const reviewed = await call('POST', `/settlements/${statement.id}/review`, tokens.finance!, { holdLineIds: [] });
    const after = new Date();
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.status).toBe('sent');
    const dueAt = new Date(reviewed.body.confirmDueAt);
    expect(Number.isNaN(dueAt.getTime())).toBe(false);
    // The review happened between `before` and `after`: the end of the 3rd working day after it.
    expect([addDuration(before, { workingDays: 3 }, cn).toISOString(), addDuration(after, { workingDays: 3 }, cn).toISOString()]).toContain(dueAt.toISOString());

    const handle = system.temporal.client.workflow.getHandle(`settlement-${statement.id}-confirm`);
    const escalateAt = addDuration(dueAt, { workingDays: 2 }, cn).toISOString();
    const history = await poll('the escalation counted on the calendar', async () => {
      const events = await handle.fetchHistory();
      return computedInstants(events).includes(escalateAt) ? events : undefined;
    });
    expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });

  // Last: it runs the worker with a claim read held open.
  it('a step that lands while the process reads the claim is not slept through', async () => {
    // The process's first read of the claim answers "in review", as the database said when it read,
    // but only after the clerk's send-back has landed (and its signal with it).
    let hold: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (hold = resolve));
    let reads = 0;
    const facts = system.activities.claimTimerFacts;
    await system.temporal.restart({
      ...system.activities,
      claimTimerFacts: async (input: { claimId: number }) => {
        const answer = await facts(input);
        if ((reads += 1) === 1) await held;
        return answer;
      },
    });
    await call('POST', '/dealer-sales', tokens.dealer!, { deviceSerial: 'SN-WD-2', model: 'M1', saleDate: today(), customerName: 'Wang Wu' }).then(async (sale) => call('POST', `/dealer-sales/${sale.body.id}/card`, tokens.dealer!, { cardDate: today() }));
    const claim = await call('POST', '/claims', tokens.dealer!, { deviceSerial: 'SN-WD-2', faultCode: 'E1', repairDate: today(), workDone: 'replaced the pump', lines: [{ kind: 'travel', amount: cny(60000) }] });
    expect(claim.status).toBe(201);
    await poll('the first read', async () => (reads > 0 ? true : undefined));
    const back = await call('POST', `/claims/${claim.body.id}/decision`, tokens.clerk!, { decisions: [{ lineNo: 1, kind: 'send_back', reason: 'travel above the cap' }] });
    expect(back.body.status).toBe('sent_back');
    const history = system.temporal.client.workflow.getHandle(`dealer-claim-${claim.body.id}`);
    await poll('the send-back signal on record', async () => ((await history.fetchHistory()).events?.some((e) => e.workflowExecutionSignaledEventAttributes) ? true : undefined));
    hold!();
    // The process reads the claim again and opens the resubmission window.
    const row = await poll('the resubmission window on record', async () => (await system.db.knex('deadlines').where({ workflow_id: `dealer-claim-${claim.body.id}`, kind: 'resubmit_window' }).first()) as Json);
    expect(row.status).toBe('open');
    expect(reads).toBeGreaterThanOrEqual(2);
  });
});
