/**
 * The console's ticket pages: the dispatcher's board, the engineer's "my tickets" and a ticket's
 * page with its clocks, each only with what the signed-in user may read, in zh-CN and English; a
 * ticket's linked records (the care follow-up it came from, the return call after its close, the
 * 三包 dealer task) as links only for who may open them, and the other way on the care plan's and
 * the dealer task's pages.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { CareRepository, type CarePlan } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { TicketsRepository, type Ticket } from '../../processes/tickets/repository';
import { UsersRepository } from '../../people/repository';
import { words } from '../../domain/words';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let server: ApiServer;
const tokens: Record<string, string> = {};
let mine: Ticket;
let theirs: Ticket;
let breached: Ticket;
/** Linked: opened from a care follow-up (a return call's low score); its close put a return call on the plan; routed to a dealer task. */
let fromCare: Ticket;
let repaired: Ticket;
let routed: Ticket;
let plan: CarePlan;
const linked = { followUpCallId: 0, returnCallId: 0, dealerTaskId: 0 };

async function page(path: string, token: string): Promise<{ status: number; body: string }> {
  const visitor = new ConsoleVisitor(server.url);
  const signedIn = await visitor.signIn(token);
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  const answer = await visitor.get(path);
  return { status: answer.status, body: answer.body };
}

const listed = (html: string) => [...(/<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '').matchAll(/<a href="\/tickets\/(\d+)">/g)].map((m) => Number(m[1]));

beforeAll(async () => {
  db = await createTestDatabase();
  const users = new UsersRepository(db.knex);
  const customers = new CustomersRepository(db.knex);
  const hospital = await customers.create({ name: 'Own Hospital' });
  const other = await customers.create({ name: 'Other Hospital' });
  const make = async (key: string, role: 'dispatcher' | 'engineer' | 'customer' | 'leadership' | 'sales_clerk' | 'dealer', locale: 'en' | 'zh-CN', customerId?: number, dealerId?: number) => {
    const user = await users.create({ name: key, email: `${key}@console.test`, role, locale, customerId, dealerId });
    tokens[key] = await users.issueToken(user.id, 'console');
    return user;
  };
  await make('dispatcher', 'dispatcher', 'en');
  const engineer = await make('engineer', 'engineer', 'zh-CN');
  const engineer2 = await make('engineer2', 'engineer', 'en');
  await make('customer', 'customer', 'en', hospital.id);
  const tickets = new TicketsRepository(db.knex);
  const now = Date.now();
  const open = (customerId: number, assigneeUserId: number | null, openedAgoMs: number, lengthMs: number, extra: Partial<Parameters<TicketsRepository['create']>[0]> = {}) =>
    tickets.create(
      {
        kind: 'repair', customerId, deviceId: null, serial: null, model: 'DR-7000', channel: 'phone', symptom: 'no image', faultLevel: 1, entitlement: 'out_of_scope', assigneeUserId,
        contact: { name: 'C', email: 'c@hospital.test' },
        clockState: { startedAt: new Date(now - openedAgoMs).toISOString(), clock: { kind: '24x7' }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5, 0.75], holds: [], clocks: [{ name: 'respond', lengthMs }] },
        repeatOfTicketId: null, openedAt: new Date(now - openedAgoMs),
        ...extra,
      },
      new Date(),
    );
  mine = await open(hospital.id, engineer.id, 60_000, 3_600_000);
  theirs = await open(other.id, engineer2.id, 60_000, 3_600_000);
  breached = await open(hospital.id, null, 7_200_000, 3_600_000);
  // Its ladder's clock row, past due and breached, as the ticket's workflow keeps it; the board's
  // clock queues pick their tickets from these rows. `mine` has one running, not yet warned.
  const clockRow = (ticket: Ticket, dueAt: Date, lastRung: string | null) => ({ workflow_id: `ticket-${ticket.id}`, deadline_key: 'respond', record_type: 'ticket', record_id: ticket.id, kind: 'ticket_respond', description: 'respond', due_at: dueAt, last_rung: lastRung, status: 'open', opened_at: new Date(now) });
  await db.knex('deadlines').insert([clockRow(breached, new Date(now - 3_600_000), 'breach'), clockRow(mine, new Date(now + 3_540_000), null)]);

  // Asset care: the hospital's plan, whose call:1 scored low (a follow-up); a visit assigned to
  // engineer2 puts the plan in their reach, not the tickets.
  const care = new CareRepository(db.knex);
  const at = new Date(now);
  plan = await care.createPlan({ customerId: hospital.id, siteId: null, projectId: null, customerClass: 'regular', anchorAt: at, warrantyEndsAt: null, policy: DEFAULT_POLICY, deviceIds: [] }, at);
  const task = (taskKey: string, kind: string, assigneeUserId: number | null = null) => ({ taskKey, kind, dueAt: at, windowStart: at, windowEnd: at, remindAt: at, assigneeUserId });
  const onPlan = { id: plan.id, customerId: hospital.id, projectId: null };
  await care.insertCall(onPlan, task('call:1', 'call'), at);
  await care.insertVisit(onPlan, task('inspection:1', 'inspection', engineer2.id), at);
  await care.addFollowUp(plan.id, { key: 'call:1:low_score', customerId: hospital.id, reason: 'low_score', summary: 'call:1: satisfaction 1/5', dueAt: at, callTaskKey: 'call:1' }, at);
  const [followUp] = await care.followUps(plan.id);
  linked.followUpCallId = followUp!.callId!;
  // Written as intake writes it (api/tickets/index.ts): the ticket names plan and follow-up, the follow-up the ticket.
  // The linked tickets are closed (off the open queues above) and worked by engineer3, who is on no plan.
  const engineer3 = await make('engineer3', 'engineer', 'zh-CN');
  fromCare = await open(hospital.id, engineer3.id, 60_000, 3_600_000, { channel: 'asset_care', carePlanId: plan.id, careFollowUpId: followUp!.id, closed: true });
  await care.linkTicket(followUp!.id, fromCare.id);
  await tickets.addEvent(fromCare.id, { eventKey: 'origin:care', kind: 'opened_from_care', at, summary: `opened from care plan ${plan.id}: follow-up ${followUp!.id} (low score)`, data: { carePlanId: plan.id, followUpId: followUp!.id } });
  await care.addEvent(plan.id, { eventKey: `ticket:${fromCare.id}`, kind: 'ticket_opened', at, summary: `ticket ${fromCare.id} opened for follow-up ${followUp!.id} (low score)`, data: { ticketId: fromCare.id, kind: 'repair', followUpId: followUp!.id } });
  // A closed repair's return call on the plan, naming its ticket (the close's recordTicketReturnCall).
  repaired = await open(hospital.id, engineer3.id, 60_000, 3_600_000, { closed: true });
  await care.insertCall(onPlan, { ...task(`repair:${repaired.id}:0`, 'call'), ticketId: repaired.id }, at);
  linked.returnCallId = Number(((await db.knex('care_calls').where({ ticket_id: repaired.id }).first('id')) as { id: number }).id);
  await tickets.addEvent(repaired.id, { eventKey: 'return_call:0', kind: 'return_call_scheduled', at, summary: `return call due by ${at.toISOString()} on care plan ${plan.id}`, data: { round: 0, carePlanId: plan.id } });

  // 三包: a repair routed at intake to a dealer task.
  const dealer = await new DealersRepository(db.knex).create('Links Dealer');
  await make('leader', 'leadership', 'en');
  await make('clerk', 'sales_clerk', 'en');
  await make('dealer', 'dealer', 'en', undefined, dealer.id);
  const dealerTask = await new DealerWarrantyRepository(db.knex).createTask({ dealerId: dealer.id, deviceSerial: 'PUMP-1', customerName: 'Own Hospital', request: 'pump stalls' }, DEFAULT_POLICY.dealer, engineer.id, at);
  linked.dealerTaskId = dealerTask.id;
  routed = await tickets.create({ kind: 'repair', customerId: hospital.id, deviceId: null, serial: null, model: 'P-20', channel: 'phone', symptom: 'pump stalls', faultLevel: 2, entitlement: 'warranty', assigneeUserId: null, contact: { name: 'C', email: 'c@hospital.test' }, clockState: { startedAt: at.toISOString(), clock: { kind: '24x7' }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5], holds: [], clocks: [] }, repeatOfTicketId: null, openedAt: at, dealerTaskId: dealerTask.id, closed: true }, at);
  await tickets.addEvent(routed.id, { eventKey: 'routed:dealer', kind: 'routed_to_dealer', at, summary: `三包: sold by dealer ${dealer.id} (sale 7); dealer task ${dealerTask.id} takes the repair`, data: { dealerId: dealer.id, saleId: 7, dealerTaskId: dealerTask.id } });
  const app = createApp({ knex: db.knex });
  app.use(createConsole({ knex: db.knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

it('the dispatcher’s board lists every open ticket; unassigned and breached queues pick theirs', async () => {
  expect(listed((await page('/tickets', tokens.dispatcher!)).body).sort()).toEqual([mine.id, theirs.id, breached.id].sort());
  expect(listed((await page('/tickets?queue=unassigned', tokens.dispatcher!)).body)).toEqual([breached.id]);
  const late = await page('/tickets?queue=breached', tokens.dispatcher!);
  expect(listed(late.body)).toEqual([breached.id]);
  expect(late.body).toContain('Response: breached');
  // The running clock is neither late nor warned: nobody is at risk.
  expect(listed((await page('/tickets?queue=breaching_soon', tokens.dispatcher!)).body)).toEqual([]);
  expect((await page('/tickets?queue=nonsense', tokens.dispatcher!)).status).toBe(400);
});

it('an engineer sees only their own tickets, in Chinese; another’s ticket answers 404', async () => {
  const board = await page('/tickets?queue=mine', tokens.engineer!);
  expect(board.status).toBe(200);
  expect(listed(board.body)).toEqual([mine.id]);
  expect(board.body).toContain('我的工单');
  expect(listed((await page('/tickets', tokens.engineer!)).body)).toEqual([mine.id]);
  const own = await page(`/tickets/${mine.id}`, tokens.engineer!);
  expect(own.status).toBe(200);
  expect(own.body).toContain('响应');
  expect(own.body).toContain('正常');
  expect((await page(`/tickets/${theirs.id}`, tokens.engineer!)).status).toBe(404);
  expect((await page('/tickets/999999', tokens.engineer!)).status).toBe(404);
});

it('the timeline in the reader’s language: entries with words said from them; older rows by their stored sentence', async () => {
  const tickets = new TicketsRepository(db.knex);
  const at = new Date();
  const say = { summary: 'on hold: waiting for parts (tube)', words: words('timeline.ticket.holdNote', { reason: 'parts', note: 'tube' }) };
  await tickets.addEvent(mine.id, { eventKey: 'hold:words', kind: 'hold', at, ...say });
  await tickets.addEvent(mine.id, { eventKey: 'clock:words', kind: 'sla_warning', at, summary: 'Response clock: warning 1 (to engineer)', words: words('timeline.ticket.clockRung', { clock: 'respond', round: 0, rung: 'warning_1', role: 'engineer' }) });
  // Rows stored before words: a known shape is said in Chinese, any other shown as stored.
  await tickets.addEvent(mine.id, { eventKey: 'arrived:old', kind: 'arrived', at, summary: 'engineer on site' });
  await tickets.addEvent(mine.id, { eventKey: 'odd:old', kind: 'odd_event', at, summary: 'something said in 2025' });
  const zh = (await page(`/tickets/${mine.id}`, tokens.engineer!)).body;
  for (const text of ['<td>挂起：等待配件（tube）</td>', '<td>响应时限：预警（通知工程师）</td>', '<td>工程师已到场</td>', '<td>something said in 2025</td>', '<td>挂起</td>', '<td>时限预警</td>', '<dd>已派工']) expect(zh).toContain(text);
  expect(zh).not.toContain('waiting for parts');
  const en = (await page(`/tickets/${mine.id}`, tokens.dispatcher!)).body;
  for (const text of ['<td>on hold: waiting for parts (tube)</td>', '<td>Response clock: warning (to engineer)</td>', '<td>engineer on site</td>', '<td>something said in 2025</td>', '<dd>Assigned']) expect(en).toContain(text);
  await db.knex('ticket_events').where({ ticket_id: mine.id }).whereIn('event_key', ['hold:words', 'clock:words', 'arrived:old', 'odd:old']).delete();
});

it('a customer sees its own organisation’s tickets only', async () => {
  expect(listed((await page('/tickets', tokens.customer!)).body).sort()).toEqual([mine.id, breached.id].sort());
  expect((await page(`/tickets/${theirs.id}`, tokens.customer!)).status).toBe(404);
  const shown = await page(`/tickets/${breached.id}`, tokens.customer!);
  expect(shown.body).toMatch(/Response<\/th><td>breached/);
});

describe('a ticket’s linked records, each a link only for who may open it', () => {
  const section = (html: string) => /<ul class="links">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';

  it('from a care follow-up: the plan and its call, to the dispatcher; only that it came from asset care, to its engineer', async () => {
    const desk = await page(`/tickets/${fromCare.id}`, tokens.dispatcher!);
    expect(desk.status).toBe(200);
    expect(section(desk.body)).toContain(`<a href="/care-plans/${plan.id}">From care plan #${plan.id}</a>`);
    expect(section(desk.body)).toContain('Low satisfaction');
    expect(section(desk.body)).toContain(`<a href="/calls/${linked.followUpCallId}">return call call:1</a>`);
    expect(desk.body).toContain(`opened from care plan ${plan.id}`);
    // The engineer works the ticket but may not read the plan (nor any call): neither its id nor the call, in Chinese.
    const engineer = await page(`/tickets/${fromCare.id}`, tokens.engineer3!);
    expect(engineer.status).toBe(200);
    expect(section(engineer.body)).toContain('由资产关怀发起（您无权查看其关怀计划）');
    expect(engineer.body).not.toContain('/care-plans/');
    expect(engineer.body).not.toContain('/calls/');
    expect(engineer.body).not.toContain(`care plan ${plan.id}`);
    // The timeline's summary withholds it too, said in the page's language.
    expect(engineer.body).toContain('<td>由资产关怀发起</td>');
    // Nor does the page they are sent to open for them.
    expect((await page(`/care-plans/${plan.id}`, tokens.engineer3!)).status).toBe(404);
  });

  it('the return call after the close: the call and its plan, to the dispatcher; a bare count to the engineer', async () => {
    const desk = await page(`/tickets/${repaired.id}`, tokens.dispatcher!);
    expect(section(desk.body)).toContain(`<a href="/calls/${linked.returnCallId}">Return call repair:${repaired.id}:0 after the close</a>`);
    expect(section(desk.body)).toContain(`<a href="/care-plans/${plan.id}">on care plan #${plan.id}</a>`);
    expect(desk.body).toContain(`on care plan ${plan.id}`);
    const engineer = await page(`/tickets/${repaired.id}`, tokens.engineer3!);
    expect(section(engineer.body)).toContain('关闭后有 1 个回访，在您无权查看的关怀计划上');
    expect(engineer.body).not.toContain('/calls/');
    expect(engineer.body).not.toContain(`care plan ${plan.id}`);
  });

  it('三包: the dealer task, to leadership; to the dispatcher and the customer, only that it went to the dealer', async () => {
    const leader = await page(`/tickets/${routed.id}`, tokens.leader!);
    expect(section(leader.body)).toContain(`<a href="/dealer/tasks/${linked.dealerTaskId}">三包: dealer task #${linked.dealerTaskId}</a>`);
    expect(leader.body).toContain(`dealer task ${linked.dealerTaskId} takes the repair`);
    for (const reader of ['dispatcher', 'customer']) {
      const shown = await page(`/tickets/${routed.id}`, tokens[reader]!);
      expect(shown.status).toBe(200);
      expect(section(shown.body)).toContain('三包: routed to the dealer (its dealer task is not yours to open)');
      expect(shown.body).not.toContain('/dealer/tasks/');
      expect(shown.body).not.toContain(`dealer task ${linked.dealerTaskId}`);
    }
    expect((await page(`/dealer/tasks/${linked.dealerTaskId}`, tokens.dispatcher!)).status).toBe(404);
  });

  it('the other way: the care plan names its tickets to who may open them, and only that there is one to others', async () => {
    const desk = await page(`/care-plans/${plan.id}`, tokens.dispatcher!);
    expect(desk.status).toBe(200);
    expect(desk.body).toContain(`<td class="ticket"><a href="/tickets/${fromCare.id}">ticket #${fromCare.id}</a></td>`);
    expect(desk.body).toContain(`<a href="/tickets/${repaired.id}">ticket #${repaired.id}</a>`);
    expect(desk.body).toContain(`ticket ${fromCare.id} opened for follow-up`);
    // engineer2 reads the plan (their visit is on it), not its tickets.
    const engineer = await page(`/care-plans/${plan.id}`, tokens.engineer2!);
    expect(engineer.status).toBe(200);
    expect(engineer.body).toContain('<td class="ticket">a ticket (not yours to open)</td>');
    expect(engineer.body).not.toContain('/tickets/');
    expect(engineer.body).not.toContain(`ticket ${fromCare.id}`);
    expect(engineer.body).toContain('About a ticket not yours to open');
  });

  it('the other way: the dealer task names its ticket to leadership; the clerk and the dealer read only that it came from one', async () => {
    const leader = await page(`/dealer/tasks/${linked.dealerTaskId}`, tokens.leader!);
    expect(leader.status).toBe(200);
    expect(leader.body).toContain(`<dd class="fact-ticket"><a href="/tickets/${routed.id}">ticket #${routed.id}</a></dd>`);
    for (const reader of ['clerk', 'dealer']) {
      const shown = await page(`/dealer/tasks/${linked.dealerTaskId}`, tokens[reader]!);
      expect(shown.status).toBe(200);
      expect(shown.body).toContain('<dd class="fact-ticket">routed from a repair ticket (not yours to open)</dd>');
      expect(shown.body).not.toContain('/tickets/');
    }
  });
});

it('breached and at-risk counts stop at 1,000 (shown "1,000+"), so a backlog costs the board a bounded read', async () => {
  const { knex } = db;
  // 1,001 more copies of the breached ticket, each with its open response clock row past due.
  const { id: _id, ...row } = (await knex('tickets').where({ id: breached.id }).first()) as Record<string, unknown>;
  const before = Number(((await knex('tickets').max({ n: 'id' }).first()) as { n: number }).n);
  for (let at = 0; at < 1001; at += 250) await knex('tickets').insert(Array.from({ length: Math.min(250, 1001 - at) }, () => row));
  const ids = ((await knex('tickets').where('id', '>', before).select('id')) as { id: number }[]).map((r) => Number(r.id));
  expect(ids.length).toBe(1001);
  const past = new Date(Date.now() - 60_000);
  const deadlines = ids.map((id) => ({ workflow_id: `ticket-${id}`, deadline_key: 'respond', record_type: 'ticket', record_id: id, kind: 'ticket_respond', description: 'respond', due_at: past, last_rung: 'breach', status: 'open', opened_at: past }));
  for (let at = 0; at < deadlines.length; at += 250) await knex('deadlines').insert(deadlines.slice(at, at + 250));

  const board = await page('/tickets?queue=breached', tokens.dispatcher!);
  expect(board.body).toMatch(/Breached[^<]*<span class="count">1,000\+<\/span>/);
  expect(board.body).toContain('of 1,000+ are shown');
  // The open queue is counted in full.
  const tabs = [...board.body.matchAll(/<span class="count">([^<]*)<\/span>/g)].map((m) => m[1]);
  // open, mine, unassigned, at risk, breached, all: the open queues are counted in full.
  expect(tabs).toEqual(['1,004', '0', '1,002', '0', '1,000+', '1,007']);
});
