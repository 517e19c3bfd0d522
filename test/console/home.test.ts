/**
 * Each role's home (/home): the open deadlines of every process, only for the records the
 * signed-in user may read (the rule of GET /api/deadlines), in sections: escalated (newest
 * first), overdue, clocks warning, due today, due this week.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { DeadlinesRepository } from '../../schedule/deadlines/repository';
import { ProjectAccessRepository } from '../../processes/delivery/projectAccess';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { TicketsRepository } from '../../processes/tickets/repository';
import { UsersRepository } from '../../people/repository';
import type { Role } from '../../domain/access';
import { words } from '../../domain/words';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** 10:00 in Shanghai: the console's day runs to 16:00 UTC. */
const NOW = new Date('2026-03-02T02:00:00.000Z');
const HOUR = 3_600_000;
const RECORDS = ['projectA', 'projectB', 'ticketA', 'ticketB', 'taskD1', 'taskD2'] as const;
type RecordName = (typeof RECORDS)[number];

let db: TestDatabase;
let server: ApiServer;
const tokens = new Map<string, string>();

/** Who sees which records' deadlines (domain/access.ts READ for project, ticket and dealer_task). */
const MATRIX: Array<[string, Role, RecordName[]]> = [
  ['admin', 'admin', [...RECORDS]],
  ['pmA', 'project_manager', ['projectA']],
  ['pmB', 'project_manager', ['projectB']],
  ['dispatcher', 'dispatcher', ['projectA', 'projectB', 'ticketA', 'ticketB']],
  ['engineerA', 'engineer', ['ticketA']],
  ['engineerIdle', 'engineer', []],
  ['serviceManager', 'service_manager', ['projectA', 'projectB', 'ticketA', 'ticketB']],
  ['leadership', 'leadership', [...RECORDS]],
  ['appraiser', 'technical_appraiser', []],
  ['clerk', 'sales_clerk', ['taskD1', 'taskD2']],
  ['finance', 'finance', ['ticketA', 'ticketB']],
  ['dealer1', 'dealer', ['taskD1']],
  ['dealer2', 'dealer', ['taskD2']],
  ['customerA', 'customer', ['projectA', 'ticketA']],
];

async function home(user: string, path = '/home'): Promise<{ status: number; body: string }> {
  // The console's clock is fixed: the visitor's authenticator reads the same.
  const visitor = new ConsoleVisitor(server.url, { now: () => NOW });
  const signedIn = await visitor.signIn(tokens.get(user)!);
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  return visitor.get(path);
}

/** The deadline descriptions listed in one section of the page (`deadline of projectA: …`). */
function listed(html: string, section: string): string[] {
  const block = new RegExp(`<section aria-labelledby="${section}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? '';
  return [...block.matchAll(/<span class="hint">deadline of ([A-Za-z0-9]+): ([a-z]+)<\/span>/g)].map((m) => `${m[1]}:${m[2]}`);
}

const recordsIn = (html: string) => [...new Set(['escalated', 'overdue', 'warning', 'today', 'week'].flatMap((s) => listed(html, s)).map((e) => e.split(':')[0]))].sort();

beforeAll(async () => {
  db = await createTestDatabase();
  const knex = db.knex;
  const users = new UsersRepository(knex);
  const customers = new CustomersRepository(knex);
  const customerA = await customers.create({ name: 'Hospital A' });
  const customerB = await customers.create({ name: 'Hospital B' });
  const dealer1 = (await knex('dealers').insert({ name: 'Dealer One', created_at: NOW }))[0]!;
  const dealer2 = (await knex('dealers').insert({ name: 'Dealer Two', created_at: NOW }))[0]!;
  const ids = new Map<string, number>();
  for (const [name, role] of MATRIX) {
    const created = await users.create({
      name,
      email: `${name}@home.test`,
      role,
      locale: 'en',
      customerId: name === 'customerA' ? customerA.id : null,
      dealerId: name === 'dealer1' ? dealer1 : name === 'dealer2' ? dealer2 : null,
    });
    ids.set(name, created.id);
    tokens.set(name, await users.issueToken(created.id, 'console'));
  }
  const project = async (contractNo: string, customerId: number, pm: string) => {
    const contract = await new ContractsRepository(knex).create({ customerId, contractNo, kind: 'project', policyOverrides: {}, resolvedPolicy: {} });
    const created = await new ProjectsRepository(knex).create({ customerId, contractId: contract.id, contractNo, name: `Room ${contractNo}`, projectManager: { name: pm, email: `${pm}@home.test` }, stage: 'installing' });
    await new ProjectAccessRepository(knex).setManagerUser(created.id, ids.get(pm)!);
    return created.id;
  };
  const ticket = async (customerId: number, assignee: number | null) =>
    (
      await new TicketsRepository(knex).create(
        {
          kind: 'repair', customerId, deviceId: null, serial: null, model: 'DR-7000', channel: 'phone', symptom: 'no image', faultLevel: 1, entitlement: 'out_of_scope', assigneeUserId: assignee,
          contact: { name: 'C', email: 'c@hospital.test' },
          clockState: { startedAt: NOW.toISOString(), clock: { kind: '24x7' }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5], holds: [], clocks: [{ name: 'respond', lengthMs: HOUR }] },
          repeatOfTicketId: null, openedAt: NOW,
        },
        NOW,
      )
    ).id;
  const task = async (dealerId: number) =>
    (await knex('dealer_tasks').insert({ dealer_id: dealerId, device_serial: 'SN-1', customer_name: 'C', request: 'visit', status: 'open', arrange_due_at: NOW, clerk_check_at: NOW, created_by: ids.get('admin')!, created_at: NOW }))[0]!;
  const records: Record<RecordName, [string, number]> = {
    projectA: ['project', await project('HT-HOME-A', customerA.id, 'pmA')],
    projectB: ['project', await project('HT-HOME-B', customerB.id, 'pmB')],
    ticketA: ['ticket', await ticket(customerA.id, ids.get('engineerA')!)],
    ticketB: ['ticket', await ticket(customerB.id, null)],
    taskD1: ['dealer_task', await task(dealer1)],
    taskD2: ['dealer_task', await task(dealer2)],
  };
  // Every record has one deadline in each section: escalated long ago, overdue, warning, today, this week.
  const deadlines = new DeadlinesRepository(knex);
  for (const [name, [recordType, recordId]] of Object.entries(records)) {
    const open = async (which: string, dueAt: Date, rung: string | null, kind = 'weekly_report') => {
      await deadlines.open({ workflowId: `wf-${name}`, key: which, recordType, recordId, kind, description: `deadline of ${name}: ${which}`, dueAt }, NOW);
      if (rung) await deadlines.markRung(`wf-${name}`, which, rung);
    };
    await open('escalated', new Date(NOW.getTime() - 48 * HOUR), 'escalation');
    await open('overdue', new Date(NOW.getTime() - HOUR), 'reminder');
    await open('warning', new Date(NOW.getTime() + 2 * HOUR), 'warning_1', 'ticket_respond');
    await open('today', new Date(NOW.getTime() + 3 * HOUR), null);
    await open('week', new Date(NOW.getTime() + 72 * HOUR), null);
    await deadlines.open({ workflowId: `wf-${name}`, key: 'met', recordType, recordId, kind: 'weekly_report', description: `deadline of ${name}: met`, dueAt: NOW }, NOW);
    await deadlines.close(`wf-${name}`, 'met', 'met', NOW);
  }
  const app = createApp({ knex });
  app.use(createConsole({ knex, now: () => NOW }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

describe('every role sees the work of exactly the records it may read', () => {
  it.each(MATRIX)('%s (%s)', async (user, _role, expected) => {
    const page = await home(user);
    expect(page.status).toBe(200);
    expect(recordsIn(page.body)).toEqual([...expected].sort());
    // The counts say the same: one deadline per record in each section.
    expect(page.body).toContain(`<a href="#overdue">Overdue <span class="count">${expected.length * 2}</span></a>`);
    expect(page.body).toContain(`<a href="#week">Due this week <span class="count">${expected.length}</span></a>`);
  });
});

describe('the sections', () => {
  it('sorts each deadline into its section, escalations newest first, and never shows a met one', async () => {
    const page = await home('pmA');
    expect(listed(page.body, 'escalated')).toEqual(['projectA:escalated']);
    expect(listed(page.body, 'overdue')).toEqual(['projectA:escalated', 'projectA:overdue']);
    expect(listed(page.body, 'warning')).toEqual(['projectA:warning']);
    expect(listed(page.body, 'today')).toEqual(['projectA:warning', 'projectA:today']);
    expect(listed(page.body, 'week')).toEqual(['projectA:week']);
    expect(page.body).not.toContain('projectA: met');

    const admin = await home('admin');
    const escalated = listed(admin.body, 'escalated');
    expect(escalated).toHaveLength(RECORDS.length);
  });

  it('links each row to its record and says the clock in words, not colour alone', async () => {
    const page = await home('customerA');
    const projectId = (await db.knex('projects').where({ contract_no: 'HT-HOME-A' }).first('id')).id as number;
    expect(page.body).toContain(`Project <a href="/projects/${projectId}">HT-HOME-A · Room HT-HOME-A</a>`);
    expect(page.body).toMatch(/Ticket <a href="\/tickets\/\d+">#\d+ · no image<\/a>/);
    expect(page.body).toContain('<span class="clock clock-breached">Breached</span>');
    expect(page.body).toContain('<span class="clock clock-warning">Warning</span>');
    expect(page.body).toContain('<span class="clock clock-ok">On time</span>');
    expect(page.body).toContain('<td>escalation</td>');
    // Times in the record's zone (the customer's, Asia/Shanghai by default).
    expect(page.body).toContain('<time datetime="2026-03-02T05:00:00.000Z">2026-03-02 13:00</time>');
  });

  it('speaks Chinese to a zh-CN user', async () => {
    const admin = await new UsersRepository(db.knex).getByEmail('dealer1@home.test');
    await new UsersRepository(db.knex).setLocale(admin!.id, 'zh-CN');
    const page = await home('dealer1');
    expect(page.body).toContain('<h1>我的工作</h1>');
    expect(page.body).toContain('经销商任务 #');
    expect(page.body).toContain('已超时');
  });

  it('says a deadline recorded as words in the reader’s language; one stored before words keeps its English for English readers', async () => {
    const [taskId] = (await db.knex('dealer_tasks').orderBy('id').limit(1).pluck('id')) as number[];
    const deadlines = new DeadlinesRepository(db.knex);
    await deadlines.open({ workflowId: 'wf-words', key: 'arrange', recordType: 'dealer_task', recordId: taskId!, kind: 'dealer_task_arrange', description: 'as stored in English', words: words('deadline.dealer_task_arrange'), dueAt: new Date(NOW.getTime() + 96 * HOUR) }, NOW);
    const chinese = await home('dealer1');
    expect(chinese.body).toContain('<span class="hint">经销商：安排服务</span>');
    // The old rows' English descriptions are not shown to a Chinese reader.
    expect(chinese.body).not.toContain('deadline of taskD1');
    const english = await home('admin');
    expect(english.body).toContain('<span class="hint">Dealer: arrange the service</span>');
    expect(english.body).not.toContain('as stored in English');
    expect(english.body).toContain('<span class="hint">deadline of taskD1: week</span>');
    await deadlines.close('wf-words', 'arrange', 'met', NOW);
  });

  it('is where sign-in and / lead', async () => {
    const visitor = new ConsoleVisitor(server.url);
    const signedIn = await visitor.signIn(tokens.get('engineerIdle')!);
    expect(signedIn.headers.get('location')).toBe('/home');
    const page = await visitor.get('/home');
    expect(page.body).toContain('Nothing overdue.');
    expect(page.body).toContain('<a href="/home">My work</a>');
  });
});
