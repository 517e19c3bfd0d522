/**
 * The console's ticket pages: the dispatcher's board, the engineer's "my tickets" and a ticket's
 * page with its clocks, each only with what the signed-in user may read, in zh-CN and English.
 */
import { createApp, startApiServer, type ApiServer } from '../../api';
import { createConsole } from '../../console';
import { CustomersRepository } from '../../db/repositories/customers';
import { TicketsRepository, type Ticket } from '../../db/repositories/tickets';
import { UsersRepository } from '../../db/repositories/users';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let server: ApiServer;
const tokens: Record<string, string> = {};
let mine: Ticket;
let theirs: Ticket;
let breached: Ticket;

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
  const make = async (key: string, role: 'dispatcher' | 'engineer' | 'customer', locale: 'en' | 'zh-CN', customerId?: number) => {
    const user = await users.create({ name: key, email: `${key}@console.test`, role, locale, customerId });
    tokens[key] = await users.issueToken(user.id, 'console');
    return user;
  };
  await make('dispatcher', 'dispatcher', 'en');
  const engineer = await make('engineer', 'engineer', 'zh-CN');
  const engineer2 = await make('engineer2', 'engineer', 'en');
  await make('customer', 'customer', 'en', hospital.id);
  const tickets = new TicketsRepository(db.knex);
  const now = Date.now();
  const open = (customerId: number, assigneeUserId: number | null, openedAgoMs: number, lengthMs: number) =>
    tickets.create(
      {
        kind: 'repair', customerId, deviceId: null, serial: null, model: 'DR-7000', channel: 'phone', symptom: 'no image', faultLevel: 1, entitlement: 'out_of_scope', assigneeUserId,
        contact: { name: 'C', email: 'c@hospital.test' },
        clockState: { startedAt: new Date(now - openedAgoMs).toISOString(), clock: { kind: '24x7' }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5, 0.75], holds: [], clocks: [{ name: 'respond', lengthMs }] },
        repeatOfTicketId: null, openedAt: new Date(now - openedAgoMs),
      },
      new Date(),
    );
  mine = await open(hospital.id, engineer.id, 60_000, 3_600_000);
  theirs = await open(other.id, engineer2.id, 60_000, 3_600_000);
  breached = await open(hospital.id, null, 7_200_000, 3_600_000);
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

it('a customer sees its own organisation’s tickets only', async () => {
  expect(listed((await page('/tickets', tokens.customer!)).body).sort()).toEqual([mine.id, breached.id].sort());
  expect((await page(`/tickets/${theirs.id}`, tokens.customer!)).status).toBe(404);
  const shown = await page(`/tickets/${breached.id}`, tokens.customer!);
  expect(shown.body).toMatch(/Response<\/th><td>breached/);
});
