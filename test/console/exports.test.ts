/**
 * The lists as CSV and XLSX: the page's filter, only the rows the user may read, cells a
 * spreadsheet would run as formulas defused.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { ProjectAccessRepository } from '../../processes/delivery/projectAccess';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { TicketsRepository } from '../../processes/tickets/repository';
import { UsersRepository } from '../../people/repository';
import type { ProjectStage } from '../../processes/delivery/rules';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let server: ApiServer;
const tokens: Record<string, string> = {};

async function download(who: string, path: string): Promise<{ status: number; type: string | null; disposition: string | null; bytes: Buffer }> {
  const visitor = new ConsoleVisitor(server.url);
  await visitor.signIn(tokens[who]!);
  const cookie = [...visitor.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const response = await fetch(`${server.url}${path}`, { headers: { cookie } });
  return { status: response.status, type: response.headers.get('content-type'), disposition: response.headers.get('content-disposition'), bytes: Buffer.from(await response.arrayBuffer()) };
}

const csvRows = (bytes: Buffer) => parse(bytes.toString('utf8').replace(/^\ufeff/, '')) as string[][];

beforeAll(async () => {
  db = await createTestDatabase();
  const knex = db.knex;
  const users = new UsersRepository(knex);
  const make = async (key: string, role: 'project_manager' | 'dispatcher' | 'customer', locale: 'en' | 'zh-CN', customerId?: number) => {
    const user = await users.create({ name: key, email: `${key}@exports.test`, role, locale, customerId });
    tokens[key] = await users.issueToken(user.id, 'console');
    return user;
  };
  const pm = await make('pm', 'project_manager', 'en');
  const otherPm = await make('otherPm', 'project_manager', 'en');
  await make('dispatcher', 'dispatcher', 'zh-CN');
  const seed = async (contractNo: string, name: string, stage: ProjectStage, managerId: number) => {
    const customer = await new CustomersRepository(knex).create({ name: `Hospital ${contractNo}` });
    const contract = await new ContractsRepository(knex).create({ customerId: customer.id, contractNo, kind: 'project', policyOverrides: {}, resolvedPolicy: {} });
    const project = await new ProjectsRepository(knex).create({ customerId: customer.id, contractId: contract.id, contractNo, name, projectManager: { name: 'Zhang Wei', email: 'pm@exports.test' }, stage });
    await new ProjectAccessRepository(knex).setManagerUser(project.id, managerId);
    return customer;
  };
  const own = await seed('HT-EXP-1', '=HYPERLINK("http://evil")', 'installing', pm.id);
  await seed('HT-EXP-2', 'Second', 'trial_run', pm.id);
  await seed('HT-EXP-3', 'Not yours', 'installing', otherPm.id);
  await make('customer', 'customer', 'en', own.id);
  await new TicketsRepository(knex).create(
    {
      kind: 'repair', customerId: own.id, deviceId: null, serial: null, model: 'DR-7000', channel: 'phone', symptom: 'no image', faultLevel: 1, entitlement: 'out_of_scope', assigneeUserId: null,
      contact: { name: 'C', email: 'c@hospital.test' },
      clockState: { startedAt: new Date().toISOString(), clock: { kind: '24x7' }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5], holds: [], clocks: [{ name: 'respond', lengthMs: 3_600_000 }] },
      repeatOfTicketId: null, openedAt: new Date(),
    },
    new Date(),
  );
  const app = createApp({ knex });
  app.use(createConsole({ knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

it('exports the project queue as CSV with the page’s filter and only the user’s projects', async () => {
  const all = await download('pm', '/exports/projects.csv');
  expect(all.status).toBe(200);
  expect(all.type).toBe('text/csv; charset=utf-8');
  expect(all.disposition).toMatch(/^attachment; filename="projects-\d{12}\.csv"$/);
  const rows = csvRows(all.bytes);
  expect(rows[0]).toEqual(['Contract no.', 'Name', 'Stage', 'Project manager', 'Created', 'Time zone']);
  expect(rows.slice(1).map((r) => r[0])).toEqual(['HT-EXP-1', 'HT-EXP-2']);
  // A name a spreadsheet would run as a formula is written as text.
  expect(rows[1]![1]).toBe(`'=HYPERLINK("http://evil")`);
  const installing = csvRows((await download('pm', '/exports/projects.csv?stage=installing')).bytes);
  expect(installing.slice(1).map((r) => r[0])).toEqual(['HT-EXP-1']);
  expect((await download('pm', '/exports/projects.csv?stage=nope')).status).toBe(400);
  const unknown = await download('pm', '/exports/secrets.csv');
  expect(unknown.status).toBe(404);
  // Said as what it is (not "the form could not be read"), with a way back.
  expect(unknown.bytes.toString('utf8')).toMatch(/There is no export (&quot;|")secrets\.csv|没有名为“secrets\.csv”的导出/);
  expect(unknown.bytes.toString('utf8')).toContain('href="/home"');
});

it('exports as XLSX in the user’s language', async () => {
  const file = await download('dispatcher', '/exports/projects.xlsx');
  expect(file.status).toBe(200);
  expect(file.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(file.bytes as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('projects')!;
  expect(sheet.getRow(1).getCell(1).value).toBe('合同号');
  expect(sheet.rowCount).toBe(4);
  expect(sheet.getRow(2).getCell(3).value).toBe('安装中');
});

it('exports a ticket queue with its clocks, only the customer’s own', async () => {
  const mine = csvRows((await download('customer', '/exports/tickets.csv?queue=all')).bytes);
  expect(mine).toHaveLength(2);
  expect(mine[1]![6]).toMatch(/^Response: (on time|warning|breached)/);
  const none = csvRows((await download('pm', '/exports/tickets.csv')).bytes);
  expect(none).toHaveLength(1);
  expect((await download('pm', '/exports/tickets.xlsx?queue=nope')).status).toBe(400);
  // The list pages link to their exports with the filter they show.
  const visitor = new ConsoleVisitor(server.url);
  await visitor.signIn(tokens.pm!);
  expect((await visitor.get('/projects?stage=installing')).body).toContain('<a href="/exports/projects.csv?stage&#x3D;installing" download>CSV</a>');
});
