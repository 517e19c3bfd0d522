/**
 * P3 tickets on the real server: intake with entitlement, dispatch, the SLA clocks climbing their
 * ladder with the right recipients, holds excluded, a level change re-targeting, a complaint answered
 * late, and who may see which ticket. Policies are in seconds; instants are compared with those the
 * ticket itself recorded, never with the wall clock.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { customersModule } from '../../installedBase/routes';
import { deadlinesModule } from '../../reports/deadlines/routes';
import { ticketsModule } from '../../api/index';
import { createSurveyPages } from '../../processes/tickets/console/survey';
import { hashToken } from '../../platform/tokens';
import { TicketFiguresRepository } from '../../reports/kpis/ticketFigures';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import type { Role } from '../../domain/access';
import type { ReceivedMail } from '../support/smtpSink';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const SECONDS_SLA = {
  sla: {
    clock: { kind: '24x7' },
    levels: {
      '1': { respond: 'PT4S', onSite: 'PT30S', resolve: 'PT60S' },
      '2': { respond: 'PT8S', onSite: 'PT30S', resolve: 'PT60S' },
      '3': { respond: 'PT30S', onSite: 'PT60S', resolve: 'PT120S' },
      '4': { respond: 'PT60S', onSite: 'PT60S', resolve: 'PT3S' },
    },
    backupUnitWithin: 'PT3S',
    factoryRepairWithin: 'PT3S',
    warnAt: [0.5, 0.75],
    escalationChain: ['engineer', 'senior_engineer', 'service_manager', 'leadership'],
    complaintReplyWithin: 'PT3S',
  },
};

const ms = (iso: string) => new Date(iso).getTime();
const RUNG_ORDER = ['warning_1', 'warning_2', 'breach', 'breach_again'];
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const CNY = (amount: number) => ({ amount, currency: 'CNY' });

describe('repair tickets and complaints', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  const tokens = {} as Record<string, string>;
  const ids = {} as Record<string, number>;
  let customerId: number;
  let otherCustomerId: number;
  let serial: string;

  const call = async (method: string, path: string, token: string, body?: unknown, language?: string): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(language ? { 'accept-language': language } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  const ticketMails = (id: number, fragment = '') => system.smtp.messages.filter((m) => m.idempotencyKey?.startsWith(`ticket-${id}:${fragment}`));
  const waitForMails = (id: number, fragment: string, count: number, timeoutMs = 30_000) =>
    poll(`${count} mails ${fragment} of ticket ${id}`, async () => (ticketMails(id, fragment).length >= count ? ticketMails(id, fragment) : undefined), timeoutMs);
  const to = (mail: ReceivedMail) => mail.envelope.to.join(',');
  const ticket = async (id: number) => (await call('GET', `/api/tickets/${id}`, tokens.dispatcher!)).body;
  const clock = (body: Json, name: string) => body.clocks.find((c: Json) => c.name === name);

  async function open(body: Record<string, unknown> = {}, token = tokens.dispatcher!): Promise<Json> {
    const answer = await call('POST', '/api/tickets', token, { customerId, serial, symptom: 'no image on the detector', level: 3, channel: 'phone', contact: { name: 'Wang Fang', email: 'wang.fang@hospital.test' }, ...body });
    expect({ status: answer.status, body: answer.body }).toMatchObject({ status: 201 });
    return answer.body;
  }
  const step = (id: number, name: string, body: unknown = {}, token = tokens.dispatcher!) => call('POST', `/api/tickets/${id}/${name}`, token, body);

  beforeAll(async () => {
    system = await startTestSystem('tickets');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    await users.ensureAdmin(generateToken());
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: [ticketsModule, deadlinesModule, customersModule], logger: { error: (m, e) => console.error(m, e) } });
    app.use(createSurveyPages({ knex, temporal: { client: system.temporal.client } }));
    server = await startApiServer(app, 0, '127.0.0.1');
    await new PolicyLayersRepository(knex).put('template', 'default', SECONDS_SLA);
    const customers = new CustomersRepository(knex);
    const customer = await customers.create({ name: 'Nanchang First Hospital', contacts: [{ name: 'Wang Fang', email: 'wang.fang@hospital.test', role: 'equipment' }] });
    customerId = customer.id;
    otherCustomerId = (await customers.create({ name: 'Other Hospital' })).id;
    serial = `DR-${process.pid}-${Date.now()}`;
    const devices = new DevicesRepository(knex);
    await devices.createMany(customerId, [{ model: 'DR-7000', serial }]);
    await devices.setWarranty([serial], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
    const people: [string, Role, { customerId?: number }?][] = [
      ['dispatcher', 'dispatcher'],
      ['engineer', 'engineer'],
      ['engineer2', 'engineer'],
      ['senior', 'senior_engineer'],
      ['manager', 'service_manager'],
      ['leader', 'leadership'],
      ['customer', 'customer', { customerId }],
      ['otherCustomer', 'customer', { customerId: otherCustomerId }],
    ];
    for (const [name, role, extra] of people) {
      const user = await users.create({ name, email: `${name}@maker.test`, role, locale: 'en', ...(extra ?? {}) });
      ids[name] = user.id;
      tokens[name] = await users.issueToken(user.id, 'test');
    }
  });

  afterAll(async () => {
    const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
    for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('met on time: dispatched, acknowledged, on site, resolved free in warranty, closed; no clock notice', async () => {
    const opened = await open({ engineerUserId: ids.engineer });
    expect(opened).toMatchObject({ status: 'assigned', entitlement: 'warranty', assigneeUserId: ids.engineer, level: 3 });
    expect(opened.clocks.map((c: Json) => [c.name, c.status])).toEqual([['respond', 'ok'], ['onSite', 'ok'], ['resolve', 'ok']]);
    expect(clock(opened, 'respond').dueAt).toBe(new Date(ms(opened.openedAt) + 30_000).toISOString());
    expect((await step(opened.id, 'acknowledge', {}, tokens.engineer)).body).toMatchObject({ status: 'acknowledged' });
    expect((await step(opened.id, 'acknowledge', {}, tokens.engineer)).status).toBe(409);
    expect((await step(opened.id, 'arrive', {}, tokens.engineer)).body).toMatchObject({ status: 'on_site' });
    const resolved = await step(opened.id, 'resolve', { diagnosis: 'cable fault', workDone: 'replaced the detector cable', qualityFault: true, parts: [{ partNumber: 'C-12', quantity: 1, unitCost: CNY(30_000) }], labourMinutes: 60, labourRate: CNY(20_000), travel: CNY(5_000) }, tokens.engineer);
    expect(resolved.body).toMatchObject({ status: 'resolved' });
    expect((await step(opened.id, 'close')).body).toMatchObject({ status: 'closed' });

    const closed = await poll('ticket closed on record', async () => {
      const body = await ticket(opened.id);
      return body.status === 'closed' ? body : undefined;
    });
    expect(closed.charges).toMatchObject({ total: CNY(0), basis: 'free_quality_fault_in_warranty' });
    expect(closed.clocks.map((c: Json) => c.status)).toEqual(['met', 'met', 'met']);
    // The return call beside the close (no care plan here: return_call_none) is recorded on its own time: ticketLinks.test.ts.
    expect(closed.timeline.map((e: Json) => e.kind).filter((k: string) => !k.startsWith('return_call'))).toEqual(['acknowledged', 'arrived', 'resolved', 'closed']);
    expect(closed.closedAt).not.toBeNull();
    const assigned = await waitForMails(opened.id, 'assigned', 1);
    expect(assigned.map(to)).toEqual(['engineer@maker.test']);
    const resolvedMail = await waitForMails(opened.id, 'resolved', 1);
    expect(resolvedMail.map(to)).toEqual(['wang.fang@hospital.test']);
    // Closed: the survey is due; a satisfied customer ends the ticket.
    expect((await step(opened.id, 'survey', { score: 5, comment: 'quick and clean' })).body).toMatchObject({ status: 'closed' });
    expect((await step(opened.id, 'survey', { score: 5 })).status).toBe(409);
    // Steps this quick may stop a clock before its row is first written; every row written closes as met.
    await system.temporal.client.workflow.getHandle(`ticket-${opened.id}`).result();
    const rows = await system.db.knex('deadlines').where({ record_type: 'ticket', record_id: opened.id });
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((r: Json) => r.status === 'met')).toBe(true);
    expect(ticketMails(opened.id, 'clock')).toEqual([]);
  });

  it('a low survey reopens the ticket until the customer is satisfied; the same device again is a repeat repair', async () => {
    const opened = await open({ engineerUserId: ids.engineer });
    const repair = { diagnosis: 'loose connector', workDone: 'reseated the connector', qualityFault: false, parts: [{ partNumber: 'K-1', quantity: 2, unitCost: CNY(1_500) }], labourMinutes: 30, labourRate: CNY(20_000), travel: CNY(5_000) };
    for (const name of ['acknowledge', 'arrive']) expect((await step(opened.id, name, {}, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'resolve', repair, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'close')).status).toBe(200);
    expect((await step(opened.id, 'survey', { score: 2, comment: 'the fault came back' })).body).toMatchObject({ status: 'assigned' });
    const reopened = await ticket(opened.id);
    expect(reopened).toMatchObject({ status: 'assigned', closedAt: null });
    // In warranty, not a quality fault: the parts at cost, no labour or travel.
    expect(reopened.charges).toMatchObject({ total: CNY(3_000), basis: 'at_cost' });
    for (const name of ['acknowledge', 'arrive']) expect((await step(opened.id, name, {}, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'resolve', repair, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'close')).status).toBe(200);
    expect((await step(opened.id, 'survey', { score: 4 })).body).toMatchObject({ status: 'closed' });
    await system.temporal.client.workflow.getHandle(`ticket-${opened.id}`).result();
    const kinds = (await ticket(opened.id)).timeline.map((e: Json) => e.kind);
    expect(kinds.filter((k: string) => !k.startsWith('return_call'))).toEqual(['acknowledged', 'arrived', 'resolved', 'closed', 'reopened', 'acknowledged', 'arrived', 'resolved', 'closed', 'surveyed']);
    // Each close asked for a return call (no care plan covers this device: none scheduled, once per round).
    expect(kinds.filter((k: string) => k.startsWith('return_call'))).toEqual(['return_call_none', 'return_call_none']);
    expect(await waitForMails(opened.id, 'resolved', 2)).toHaveLength(2);

    const again = await open({ symptom: 'no image again' });
    expect(again.repeatOfTicketId).toBe(opened.id);
  });

  it('after a reopen a new resolve clock runs from the reopen, with its own warnings and breach', async () => {
    const reopenSerial = `RO-${process.pid}-${Date.now()}`;
    const devices = new DevicesRepository(system.db.knex);
    await devices.createMany(customerId, [{ model: 'DR-REOPEN', serial: reopenSerial }]);
    await devices.setWarranty([reopenSerial], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
    await new PolicyLayersRepository(system.db.knex).put('model', 'DR-REOPEN', { sla: { levels: { '3': { resolve: 'PT10S' } } } });
    const opened = await open({ serial: reopenSerial, engineerUserId: ids.engineer, level: 3 });
    const repair = { diagnosis: 'loose connector', workDone: 'reseated the connector', qualityFault: true, labourMinutes: 30, labourRate: CNY(20_000), travel: CNY(0) };
    for (const name of ['acknowledge', 'arrive']) expect((await step(opened.id, name, {}, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'resolve', repair, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'close')).status).toBe(200);
    const low = await step(opened.id, 'survey', { score: 1, comment: 'still no image' });
    expect(low.body).toMatchObject({ status: 'assigned' });
    const reopenedAt = ms(low.body.at);

    const reopened = await ticket(opened.id);
    const resolveClocks = reopened.clocks.filter((c: Json) => c.name === 'resolve');
    expect(resolveClocks.map((c: Json) => [c.round, c.status])).toEqual([[0, 'met'], [1, expect.stringMatching(/^(ok|warning|breached)$/)]]);
    expect(resolveClocks[1]).toMatchObject({ startedAt: new Date(reopenedAt).toISOString(), lengthMs: 10_000, dueAt: new Date(reopenedAt + 10_000).toISOString() });

    const mails = await waitForMails(opened.id, 'clock:resolve@1:', 3, 30_000);
    expect(mails.map((m) => [m.idempotencyKey!.split(':')[3], to(m)]).filter(([rung]) => rung !== 'breach_again').sort((a, b) => RUNG_ORDER.indexOf(a[0]!) - RUNG_ORDER.indexOf(b[0]!))).toEqual([
      ['warning_1', 'engineer@maker.test'],
      ['warning_2', 'senior@maker.test'],
      ['breach', 'manager@maker.test'],
    ]);
    const events = (await ticket(opened.id)).timeline.filter((e: Json) => e.data?.clockId === 'resolve@1');
    expect(events.slice(0, 3).map((e: Json) => e.data.rung)).toEqual(['warning_1', 'warning_2', 'breach']);
    [5000, 7500, 10_000].forEach((offset, i) => expect(ms(events[i].at)).toBeGreaterThanOrEqual(reopenedAt + offset));
    const row = await poll('the new resolve clock’s row', async () => {
      const found = await system.db.knex('deadlines').where({ record_type: 'ticket', record_id: opened.id, kind: 'ticket_resolve' }).where('deadline_key', 'like', '%resolve@1');
      return found.length === 1 && found[0].last_rung ? found[0] : undefined;
    });
    expect(new Date(row.due_at).getTime()).toBe(reopenedAt + 10_000);
    // Not fixed in time again: a backup unit is due from the new clock's breach.
    const backup = await poll('backup unit due', async () => (await ticket(opened.id)).progress.backup ?? undefined);
    expect(ms(backup.dueAt)).toBe(reopenedAt + 10_000 + 3000);
  });

  /** Resolved and closed by the book: the survey link goes out. */
  async function openResolveClose(body: Record<string, unknown> = {}): Promise<Json> {
    const opened = await open({ engineerUserId: ids.engineer, ...body });
    for (const name of ['acknowledge', 'arrive']) expect((await step(opened.id, name, {}, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'resolve', { diagnosis: 'loose connector', workDone: 'reseated the connector', qualityFault: true, labourMinutes: 30, labourRate: CNY(20_000), travel: CNY(0) }, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'close')).status).toBe(200);
    return opened;
  }
  const surveyPath = (mail: ReceivedMail) => /\/survey\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0];

  /** A browser's visit to the survey page: GET keeps the form token and its cookie for the POST. */
  async function surveyForm(pathname: string): Promise<{ status: number; html: string; post(fields: Record<string, string>, withToken?: boolean): Promise<{ status: number; html: string }> }> {
    const page = await fetch(`${server.url}${pathname}`);
    const html = await page.text();
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
    return {
      status: page.status,
      html,
      async post(fields, withToken = true) {
        const answer = await fetch(`${server.url}${pathname}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(withToken ? { cookie } : {}) },
          body: new URLSearchParams({ ...(withToken ? { _csrf: csrf } : {}), ...fields }).toString(),
        });
        return { status: answer.status, html: await answer.text() };
      },
    };
  }

  it('at close the customer gets a single-use survey link (stored hashed); a low score there reopens the ticket', async () => {
    const opened = await openResolveClose();
    const [mail] = await waitForMails(opened.id, 'survey-link:0', 1);
    expect(to(mail!)).toBe('wang.fang@hospital.test');
    const pathname = surveyPath(mail!);
    const token = pathname.split('/')[2]!;
    const rows = await system.db.knex('ticket_survey_links').where({ ticket_id: opened.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ round: 0, email: 'wang.fang@hospital.test', token_hash: hashToken(token), used_at: null });
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(new Date(rows[0].expires_at).toISOString()).toBe((await ticket(opened.id)).progress.surveyDue);

    expect((await fetch(`${server.url}/survey/${'x'.repeat(43)}`)).status).toBe(404);
    const form = await surveyForm(pathname);
    expect(form.status).toBe(200);
    expect(form.html).toContain(`#${opened.id}`);
    // Without the form's token (another site's form), nothing is recorded.
    expect((await form.post({ score: '2' }, false)).status).toBe(403);
    const bad = await form.post({ score: '9', comment: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="f-score-error">请选择 1 到 5 分/);
    expect((await ticket(opened.id)).status).toBe('closed');

    const answered = await form.post({ score: '2', comment: 'the image still flickers' });
    expect(answered.status).toBe(200);
    const reopened = await ticket(opened.id);
    expect(reopened).toMatchObject({ status: 'assigned', closedAt: null });
    const event = reopened.timeline.at(-1);
    expect(event).toMatchObject({ kind: 'reopened', actor: 'Wang Fang', data: { score: 2, comment: 'the image still flickers', reopened: true } });
    // Single use: the same link (and the same form sent again) answers nothing more.
    expect((await fetch(`${server.url}${pathname}`)).status).toBe(410);
    expect((await form.post({ score: '5' })).status).toBe(410);
    expect((await system.db.knex('ticket_survey_links').where({ ticket_id: opened.id }).first()).used_at).not.toBeNull();
  });

  it('a survey not answered by ticket.surveyWithin: the ticket stays closed as "survey missed" and the link is closed', async () => {
    const missedSerial = `SV-${process.pid}-${Date.now()}`;
    const devices = new DevicesRepository(system.db.knex);
    await devices.createMany(customerId, [{ model: 'DR-SURVEY', serial: missedSerial }]);
    await devices.setWarranty([missedSerial], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
    await new PolicyLayersRepository(system.db.knex).put('model', 'DR-SURVEY', { ticket: { surveyWithin: 'PT3S' } });
    const opened = await openResolveClose({ serial: missedSerial });
    const [mail] = await waitForMails(opened.id, 'survey-link:0', 1);
    await system.temporal.client.workflow.getHandle(`ticket-${opened.id}`).result();
    const closed = await ticket(opened.id);
    expect(closed.status).toBe('closed');
    expect(closed.timeline.at(-1)).toMatchObject({ kind: 'survey_missed' });
    expect(closed.progress).toMatchObject({ surveys: [], surveyMissedAt: closed.progress.surveyDue });
    expect(ms(closed.progress.surveyDue)).toBe(ms(closed.closedAt) + 3000);
    const row = await system.db.knex('deadlines').where({ record_type: 'ticket', record_id: opened.id, kind: 'ticket_survey' }).first();
    expect(row.status).toBe('dropped');
    expect((await fetch(`${server.url}${surveyPath(mail!)}`)).status).toBe(410);
    expect((await step(opened.id, 'survey', { score: 5 })).status).toBe(409);
  });

  it('out of scope: work waits for an accepted quote; a refused one closes with advice only', async () => {
    const quote = { parts: [{ partNumber: 'T-9', quantity: 1, unitCost: CNY(10_000) }], labourMinutes: 90, labourRate: CNY(20_000), travel: CNY(5_000) };
    const accepted = await open({ serial: undefined, model: 'XR-1', engineerUserId: ids.engineer });
    expect(accepted.entitlement).toBe('out_of_scope');
    expect((await step(accepted.id, 'acknowledge', {}, tokens.engineer)).status).toBe(200);
    expect((await step(accepted.id, 'arrive', {}, tokens.engineer)).status).toBe(409);
    expect((await step(accepted.id, 'quote-accepted')).status).toBe(409);
    expect((await step(accepted.id, 'quote', quote)).status).toBe(200);
    expect((await ticket(accepted.id)).progress.quote).toMatchObject({ status: 'pending', total: CNY(45_000) });
    // The customer hears the quote (hours + travel, the amount) and how to accept it.
    const [quoteMail] = await waitForMails(accepted.id, 'quote', 1);
    expect(to(quoteMail!)).toBe('wang.fang@hospital.test');
    expect(quoteMail!.subject).toContain(`#${accepted.id}`);
    for (const text of ['1.5 小时', '300.00', '50.00', '100.00', '450.00', '如何确认']) expect(quoteMail!.text).toContain(text);
    expect((await step(accepted.id, 'quote-accepted')).status).toBe(200);
    expect((await step(accepted.id, 'arrive', {}, tokens.engineer)).status).toBe(200);
    const resolved = await step(accepted.id, 'resolve', { diagnosis: 'worn tube', workDone: 'replaced the tube', qualityFault: true, ...quote }, tokens.engineer);
    expect(resolved.status).toBe(200);
    expect((await ticket(accepted.id)).charges).toMatchObject({ total: CNY(45_000), basis: 'chargeable' });
    const [mail] = await waitForMails(accepted.id, 'resolved', 1);
    expect(mail!.text).toContain('450.00');

    const refused = await open({ serial: undefined, model: 'XR-1' });
    expect((await step(refused.id, 'quote', quote)).status).toBe(200);
    expect((await step(refused.id, 'quote-refused')).body).toMatchObject({ status: 'closed' });
    await system.temporal.client.workflow.getHandle(`ticket-${refused.id}`).result();
    const closed = await ticket(refused.id);
    expect(closed).toMatchObject({ status: 'closed', progress: { quote: { status: 'refused' }, surveys: [] } });
    expect(closed.clocks.every((c: Json) => c.status === 'met')).toBe(true);
  });

  it('not fixed in time: backup unit due, factory repair overdue escalates, replacement registered with its warranty', async () => {
    const opened = await open({ engineerUserId: ids.engineer, level: 4 });
    expect((await step(opened.id, 'backup-unit', { serial: 'BK-1' })).status).toBe(409);
    const [breach] = await waitForMails(opened.id, 'clock:resolve:breach', 1, 15_000);
    expect(to(breach!)).toBe('manager@maker.test');
    const due = await poll('backup unit due', async () => (await ticket(opened.id)).progress.backup ?? undefined);
    expect(ms(due.dueAt)).toBe(ms(opened.openedAt) + 3000 + 3000);
    expect((await step(opened.id, 'backup-unit', { serial: 'BK-1' })).status).toBe(200);
    expect((await step(opened.id, 'backup-unit', { serial: 'BK-1' })).status).toBe(409);
    expect((await step(opened.id, 'replace', { serial: `NEW-${opened.id}` })).status).toBe(409);
    expect((await step(opened.id, 'factory-repair', { action: 'sent' })).status).toBe(200);
    const [overdue] = await waitForMails(opened.id, 'factory_repair:escalation', 1, 15_000);
    expect(to(overdue!)).toBe('manager@maker.test');
    expect(ticketMails(opened.id, 'backup_unit:escalation')).toEqual([]);
    const newSerial = `NEW-${process.pid}-${opened.id}`;
    expect((await step(opened.id, 'replace', { serial: newSerial })).status).toBe(200);
    expect((await step(opened.id, 'replace', { serial: `${newSerial}-2` })).status).toBe(409);
    expect((await step(opened.id, 'replace', { serial })).status).toBe(409);
    const unit = await system.db.knex('devices').where({ serial: newSerial }).first();
    expect(unit).toMatchObject({ customer_id: customerId });
    expect(new Date(unit.warranty_ends_at).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect((await system.db.knex('devices').where({ serial }).first()).status).toBe('replaced');
    const progress = (await ticket(opened.id)).progress;
    expect(progress).toMatchObject({ backup: { serial: 'BK-1' }, factory: { dueAt: expect.any(String) }, replacement: { serial: newSerial } });
    const rows = await poll('backup and factory rows closed', async () => {
      const found = await system.db.knex('deadlines').where({ record_type: 'ticket', record_id: opened.id }).whereIn('kind', ['ticket_backup_unit', 'ticket_factory_repair']);
      return found.length === 2 && found.every((r: Json) => r.status !== 'open') ? found : undefined;
    });
    expect(rows.map((r: Json) => [r.kind, r.status, r.last_rung]).sort()).toEqual([['ticket_backup_unit', 'met', null], ['ticket_factory_repair', 'met', 'escalation']]);
  });

  it('each rung in order to the right people: engineer, senior engineer, service manager, then leadership', async () => {
    const opened = await open({ engineerUserId: ids.engineer, level: 1 });
    const mails = await waitForMails(opened.id, 'clock:respond:', 4, 30_000);
    // Each rung's notice waits on the notices queue on its own; the rungs' order is the timeline's, below.
    expect(mails.map((m) => [m.idempotencyKey!.split(':')[3], to(m)]).sort((a, b) => RUNG_ORDER.indexOf(a[0]!) - RUNG_ORDER.indexOf(b[0]!))).toEqual([
      ['warning_1', 'engineer@maker.test'],
      ['warning_2', 'senior@maker.test'],
      ['breach', 'manager@maker.test'],
      ['breach_again', 'leader@maker.test'],
    ]);
    const body = await ticket(opened.id);
    expect(clock(body, 'respond').status).toBe('breached');
    const events = body.timeline.filter((e: Json) => e.data?.clock === 'respond');
    // Each rung fired at (never before) its share of the 4 s clock.
    const start = ms(opened.openedAt);
    expect(events.map((e: Json) => e.data.rung)).toEqual(['warning_1', 'warning_2', 'breach', 'breach_again']);
    [2000, 3000, 4000, 8000].forEach((offset, i) => expect(ms(events[i].at)).toBeGreaterThanOrEqual(start + offset));
    const row = await system.db.knex('deadlines').where({ record_type: 'ticket', record_id: opened.id, kind: 'ticket_respond' }).first();
    expect(row).toMatchObject({ status: 'open', last_rung: 'breach_again' });
    expect(new Date(row.due_at).getTime()).toBe(start + 4000);
    // Reassignment keeps the clock: still breached, due as before.
    await step(opened.id, 'assign', { engineerUserId: ids.engineer2 });
    const after = await ticket(opened.id);
    expect(after.assigneeUserId).toBe(ids.engineer2);
    expect(clock(after, 'respond')).toMatchObject({ status: 'breached', dueAt: new Date(start + 4000).toISOString() });
  });

  it('a hold pauses every clock; its time is excluded when it resumes', async () => {
    const opened = await open({ engineerUserId: ids.engineer, level: 1 });
    expect((await step(opened.id, 'hold', { reason: 'customer', note: 'ward closed' }, tokens.engineer)).body).toMatchObject({ onHold: true });
    const held = await ticket(opened.id);
    expect(clock(held, 'respond')).toMatchObject({ status: 'paused', dueAt: null });
    await sleep(3000);
    // Without the hold the first warning (2 s) would have gone out by now.
    expect(ticketMails(opened.id, 'clock')).toEqual([]);
    expect((await step(opened.id, 'resume', {}, tokens.engineer)).body).toMatchObject({ onHold: false });
    const resumed = await ticket(opened.id);
    const record = (await system.db.knex('tickets').where({ id: opened.id }).first()).clock_state;
    const hold = (typeof record === 'string' ? JSON.parse(record) : record).holds[0];
    const heldMs = ms(hold.to) - ms(hold.from);
    expect(heldMs).toBeGreaterThanOrEqual(3000);
    expect(clock(resumed, 'respond').dueAt).toBe(new Date(ms(opened.openedAt) + 4000 + heldMs).toISOString());
    expect(clock(resumed, 'respond').pausedMs).toBe(heldMs);
    const [warning] = await waitForMails(opened.id, 'clock:respond:warning_1', 1);
    expect(to(warning!)).toBe('engineer@maker.test');
    const event = (await ticket(opened.id)).timeline.find((e: Json) => e.data?.rung === 'warning_1');
    expect(ms(event.at)).toBeGreaterThanOrEqual(ms(opened.openedAt) + 2000 + heldMs);
    expect((await step(opened.id, 'resume', {}, tokens.engineer)).status).toBe(409);
  });

  it('each reader in their language: refusals, the timeline and the clocks’ deadlines said from the words the ticket recorded', async () => {
    const opened = await open({ engineerUserId: ids.engineer, level: 3 });
    expect((await step(opened.id, 'hold', { reason: 'parts', note: '等配件' }, tokens.engineer)).status).toBe(200);
    expect((await step(opened.id, 'acknowledge', {}, tokens.engineer)).status).toBe(200);
    // A refusal: 409 in the reader's language (the header first), and the same words in English.
    const zh = await call('POST', `/api/tickets/${opened.id}/acknowledge`, tokens.engineer!, {}, 'zh-CN');
    expect(zh).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: '工单状态为“已响应”，已经响应过' } } });
    expect((await step(opened.id, 'acknowledge', {}, tokens.engineer)).body.error.message).toBe('an acknowledged ticket was already acknowledged');
    // An invalid step names its field, its words in Chinese.
    const same = await call('POST', `/api/tickets/${opened.id}/level`, tokens.dispatcher!, { level: 3, reason: 'again' }, 'zh-CN,zh;q=0.9');
    expect(same).toMatchObject({ status: 400, body: { error: { message: '工单已是 3 级', details: [{ field: 'level', message: '工单已是 3 级' }] } } });
    // The timeline: words said in each reader's language; the row keeps an English sentence for exports.
    const timeline = async (language?: string) => (await call('GET', `/api/tickets/${opened.id}`, tokens.dispatcher!, undefined, language)).body.timeline.map((e: Json) => e.summary);
    expect(await timeline('zh-CN')).toEqual(['挂起：等待配件（等配件）', '工程师已响应']);
    expect(await timeline()).toEqual(['on hold: waiting for parts (等配件)', 'engineer responded']);
    const rows = await system.db.knex('ticket_events').where({ ticket_id: opened.id }).orderBy('id');
    expect(rows.map((r: Json) => r.summary)).toEqual(['on hold: waiting for parts (等配件)', 'engineer responded']);
    expect(rows.map((r: Json) => (typeof r.words === 'string' ? JSON.parse(r.words) : r.words))).toEqual([{ key: 'timeline.ticket.holdNote', params: { reason: 'parts', note: '等配件' } }, { key: 'timeline.ticket.responded' }]);
    // The clocks' deadline rows: their description in the reader's language.
    const described = async (language?: string) =>
      poll('the resolve clock’s row', async () => (await call('GET', '/api/deadlines?kind=ticket_resolve&limit=1000', tokens.dispatcher!, undefined, language)).body.deadlines.find((d: Json) => d.recordId === opened.id)?.description);
    expect(await described('zh-CN')).toBe(`工单 ${opened.id}：修复时限到期（3 级）`);
    expect(await described()).toBe(`ticket ${opened.id}: repair due (level 3)`);
    // Intake's own checks too: the field's problem in the reader's language.
    const intake = { customerId, serial, symptom: 'no image', level: 3, channel: 'phone', contact: { name: 'Wang Fang', email: 'wang.fang@hospital.test' }, category: 'quality' };
    const refused = await call('POST', '/api/tickets', tokens.dispatcher!, intake, 'zh-CN');
    expect(refused).toMatchObject({ status: 400, body: { error: { message: '只有投诉才有类别', details: [{ field: 'category', message: '只有投诉才有类别' }] } } });
  });

  it('a level change re-targets the running clocks from intake', async () => {
    const opened = await open({ engineerUserId: ids.engineer, level: 3 });
    expect(clock(opened, 'respond').lengthMs).toBe(30_000);
    expect((await step(opened.id, 'level', { level: 2, reason: 'ward without imaging' })).body).toMatchObject({ level: 2 });
    const changed = await ticket(opened.id);
    expect(clock(changed, 'respond')).toMatchObject({ lengthMs: 8000, dueAt: new Date(ms(opened.openedAt) + 8000).toISOString() });
    const row = await poll('deadline row moved', async () => {
      const found = await system.db.knex('deadlines').where({ record_type: 'ticket', record_id: opened.id, kind: 'ticket_respond' }).first();
      return found && new Date(found.due_at).getTime() === ms(opened.openedAt) + 8000 ? found : undefined;
    });
    expect(row.status).toBe('open');
    const [warning] = await waitForMails(opened.id, 'clock:respond:warning_1', 1, 15_000);
    expect(to(warning!)).toBe('engineer@maker.test');
    expect((await step(opened.id, 'level', { level: 2, reason: 'again' })).status).toBe(400);
  });

  it('a complaint answered late escalates to the service manager; answered and confirmed it closes', async () => {
    const opened = await open({ kind: 'complaint', serial: undefined, symptom: 'the engineer came a day late', engineerUserId: ids.engineer, category: 'not_quality' });
    expect(opened.progress.complaint).toEqual({ category: 'not_quality' });
    expect(opened.clocks.map((c: Json) => [c.name, c.lengthMs])).toEqual([['reply', 3000]]);
    const [breach] = await waitForMails(opened.id, 'clock:reply:breach', 1, 15_000);
    expect(to(breach!)).toBe('manager@maker.test');
    expect((await step(opened.id, 'arrive', {}, tokens.engineer)).status).toBe(409);
    expect((await step(opened.id, 'acknowledge', {}, tokens.engineer)).body).toMatchObject({ status: 'acknowledged' });
    // Closed only on its root cause and resolution (P3c), each named when missing.
    const bare = await step(opened.id, 'close');
    expect(bare.status).toBe(400);
    expect(bare.body.error.details.map((d: Json) => d.field)).toEqual(['rootCause', 'resolution']);
    const record = { rootCause: 'the visit was booked on the wrong day', resolution: 'booking checked by the dispatcher; apology call made', category: 'other' };
    expect((await step(opened.id, 'close', record)).body).toMatchObject({ status: 'closed' });
    const closed = await ticket(opened.id);
    expect(closed.progress.complaint).toEqual(record);
    expect(closed.timeline.find((e: Json) => e.kind === 'closed').summary).toContain('root cause: the visit was booked on the wrong day');
    expect(clock(closed, 'reply').status).toBe('met_late');
  });

  it('a repair goes first to the customer’s one-to-one engineer; without one it waits for the dispatcher', async () => {
    const customers = new CustomersRepository(system.db.knex);
    const served = (await customers.create({ name: 'Ganzhou Clinic', contacts: [{ name: 'Li Lei', email: 'li.lei@clinic.test', role: 'equipment' }] })).id;
    const servedSerial = `EN-${process.pid}-${Date.now()}`;
    await new DevicesRepository(system.db.knex).createMany(served, [{ model: 'DR-7000', serial: servedSerial }]);
    const intake = { customerId: served, serial: servedSerial, contact: { name: 'Li Lei', email: 'li.lei@clinic.test' } };
    expect((await open(intake)).status).toBe('open');
    expect((await call('POST', `/api/customers/${served}/engineer`, tokens.manager!, { engineerUserId: ids.engineer2 })).status).toBe(200);

    const dispatched = await open(intake);
    expect(dispatched).toMatchObject({ status: 'assigned', assigneeUserId: ids.engineer2 });
    const [mail] = await waitForMails(dispatched.id, 'assigned', 1);
    expect(to(mail!)).toBe('engineer2@maker.test');
    // The one-to-one engineer sees and works it at once.
    expect((await step(dispatched.id, 'acknowledge', {}, tokens.engineer2)).status).toBe(200);
    // The dispatcher's explicit choice wins; a complaint (it may be about them) waits for the dispatcher.
    expect(await open({ ...intake, engineerUserId: ids.engineer })).toMatchObject({ assigneeUserId: ids.engineer });
    expect(await open({ ...intake, kind: 'complaint', serial: undefined })).toMatchObject({ status: 'open', assigneeUserId: null });
    // An engineer no longer active leaves new tickets to the dispatcher.
    await system.db.knex('users').where({ id: ids.engineer2 }).update({ active: false });
    try {
      expect(await open(intake)).toMatchObject({ status: 'open', assigneeUserId: null });
    } finally {
      await system.db.knex('users').where({ id: ids.engineer2 }).update({ active: true });
    }
  });

  it('bad input names the field and records nothing; out of scope without a device record', async () => {
    const before = (await system.db.knex('tickets').count({ n: '*' }))[0]!.n;
    const unknownSerial = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId, serial: 'NOPE', symptom: 'x', channel: 'phone', contact: { name: 'A', email: 'a@b.test' } });
    expect(unknownSerial.status).toBe(400);
    expect(unknownSerial.body.error.details[0].field).toBe('serial');
    const badLevel = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId, serial, symptom: 'x', level: 7, channel: 'phone', contact: { name: 'A', email: 'a@b.test' } });
    expect(badLevel.status).toBe(400);
    expect(badLevel.body.error.details[0].field).toBe('level');
    const repairWithCategory = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId, serial, symptom: 'x', category: 'quality', channel: 'phone', contact: { name: 'A', email: 'a@b.test' } });
    expect(repairWithCategory.body.error.details).toEqual([{ field: 'category', message: 'only a complaint has a category' }]);
    expect((await system.db.knex('tickets').count({ n: '*' }))[0]!.n).toBe(before);
    const outOfScope = await open({ serial: undefined, model: 'XR-1' });
    expect(outOfScope).toMatchObject({ entitlement: 'out_of_scope', status: 'open', assigneeUserId: null });
  });

  it('engineers see their own tickets, customers their organisation’s, dispatchers all; deadlines follow', async () => {
    const mine = await open({ engineerUserId: ids.engineer });
    const theirs = await open({ engineerUserId: ids.engineer2 });
    expect((await call('GET', `/api/tickets/${mine.id}`, tokens.engineer!)).status).toBe(200);
    const hidden = await call('GET', `/api/tickets/${theirs.id}`, tokens.engineer!);
    expect(hidden.status).toBe(404);
    expect((await step(theirs.id, 'acknowledge', {}, tokens.engineer)).status).toBe(404);
    expect((await step(mine.id, 'assign', { engineerUserId: ids.engineer2 }, tokens.engineer)).status).toBe(403);
    const queue = (await call('GET', '/api/tickets?queue=mine', tokens.engineer!)).body.tickets.map((t: Json) => t.id);
    expect(queue).toContain(mine.id);
    expect(queue).not.toContain(theirs.id);
    expect((await call('GET', `/api/tickets/${mine.id}`, tokens.customer!)).status).toBe(200);
    expect((await call('GET', `/api/tickets/${mine.id}`, tokens.otherCustomer!)).status).toBe(404);
    expect((await call('GET', '/api/tickets', tokens.otherCustomer!)).body.tickets).toEqual([]);
    const unassigned = (await call('GET', '/api/tickets?queue=unassigned', tokens.dispatcher!)).body.tickets.map((t: Json) => t.id);
    expect(unassigned).not.toContain(mine.id);
    const rows = await poll('engineer deadline rows', async () => {
      const answer = await call('GET', '/api/deadlines', tokens.engineer!);
      const found = answer.body.deadlines.filter((d: Json) => d.recordType === 'ticket');
      return found.some((d: Json) => d.recordId === mine.id) ? found : undefined;
    });
    expect(rows.every((d: Json) => d.recordId !== theirs.id)).toBe(true);
  });

  it('the KPI figures kept through every step above (real workflows, activities and clocks) equal those rebuilt from scratch', async () => {
    // Every ticket of this file went through its steps, clock rows, events and surveys by the
    // workflows; the figures the triggers noted and the catch-up kept must be the definitions' own.
    const figures = new TicketFiguresRepository(system.db.knex);
    await figures.catchUp();
    const kept = await figures.kept();
    const computed = await figures.computed();
    expect(kept.length).toBeGreaterThan(10);
    expect(kept).toEqual(computed);
    expect(kept.some((r) => Number(r.resolved_repair) === 1)).toBe(true);
  });
});
