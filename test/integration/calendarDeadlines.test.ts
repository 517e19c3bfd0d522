/**
 * Calendars are reference data: an admin who corrects a year moves the pending deadlines of running
 * processes. A project waits for a weekly report due in working days; the admin makes the next working
 * day a holiday; the deadline on record moves to what the corrected calendar gives.
 */
import { DateTime } from 'luxon';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { calendarsModule } from '../../schedule/calendars/routes';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { UsersRepository } from '../../people/repository';
import { isWorkingDay } from '../../domain/calendar';
import { addDuration } from '../../domain/duration';
import { BOTH_SIGN, SECONDS_POLICY, startProjectHarness, type Json, type ProjectHarness } from '../support/projectHarness';

describe('a corrected calendar moves pending deadlines', () => {
  let h: ProjectHarness;
  let server: ApiServer;
  let adminToken: string;

  beforeAll(async () => {
    h = await startProjectHarness('calendar-deadlines');
    const { knex } = h.system.db;
    const { client, taskQueue } = h.system.temporal;
    const users = new UsersRepository(knex);
    const admin = await users.create({ name: 'Zhou Min', email: 'zhou.min@maker.test', role: 'admin', locale: 'zh-CN' });
    adminToken = await users.issueToken(admin.id, 'test');
    server = await startApiServer(createApp({ knex, temporal: { client, taskQueue, namespace: 'default' }, routers: [calendarsModule], logger: { error: (m, e) => console.error(m, e) } }), 0, '127.0.0.1');
  });

  afterAll(async () => {
    await server.close();
    await h.stop();
  });

  it('a holiday loaded for the next working day moves the weekly report due in working days, on the page and in the row', async () => {
    const every = { workingDays: 2 };
    const created = await h.createProject({ policy: { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, weeklyReportEvery: every } } });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const serials: string[] = (await h.project(id)).devices.map((d: Json) => d.serial);
    await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'p', acceptanceItems: ['a'], completionCriteria: 'c' });
    await h.step(id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN });
    const before = await h.waitFor(id, 'weekly report 1 due', (p) => p.deadlines.some((d: Json) => d.kind === 'weekly_report'));
    const installingSince = new Date(before.timeline.find((e: Json) => e.kind === 'unboxing_checked').at);
    const dueBefore: string = before.deadlines.find((d: Json) => d.kind === 'weekly_report').dueAt;

    const calendars = new CalendarsRepository(h.system.db.knex);
    const cn = (await calendars.load('cn'))!;
    expect(dueBefore).toBe(addDuration(installingSince, every, cn).toISOString());

    // The first working day after the start becomes a holiday (in whatever year it falls).
    let day = DateTime.fromJSDate(installingSince, { zone: cn.timeZone }).startOf('day');
    do day = day.plus({ days: 1 });
    while (!isWorkingDay(day.toISODate()!, cn));
    const date = day.toISODate()!;
    const year = day.year;
    const known = (await calendars.years('cn')).find((y) => y.year === year);
    const holidays = [...(known?.holidays ?? []), date].sort();
    const makeupWorkdays = (known?.makeupWorkdays ?? []).filter((d) => d !== date);
    const put = await fetch(`${server.url}/api/calendars/cn/years/${year}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ holidays, makeupWorkdays }),
    });
    expect(put.status).toBe(200);

    const corrected = (await calendars.load('cn'))!;
    const dueAfter = addDuration(installingSince, every, corrected).toISOString();
    expect(dueAfter > dueBefore).toBe(true);
    const after = await h.waitFor(id, 'the weekly report deadline moved', (p) => p.deadlines.some((d: Json) => d.kind === 'weekly_report' && d.dueAt === dueAfter), 30_000);
    expect(after.deadlines.filter((d: Json) => d.kind === 'weekly_report')).toHaveLength(1);
    const row = await h.system.db.knex('deadlines').where({ workflow_id: `project-${id}`, deadline_key: 'weekly-report:1' }).first();
    expect({ status: row.status, dueAt: new Date(row.due_at).toISOString() }).toEqual({ status: 'open', dueAt: dueAfter });
  });
});
