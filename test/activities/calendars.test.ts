import { ApplicationFailure } from '@temporalio/common';
import { calendarMissingKey, createCalendarActivities } from '../../schedule/calendars/activities';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { UsersRepository, type User } from '../../people/repository';
import { addDuration, makeCalendar, subtractDuration } from '../../domain';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';

const FIRST_RUN = new Date('2026-12-01T02:00:00.000Z');
const RETRY = new Date('2026-12-01T02:00:30.000Z');
const sh = (local: string) => `${new Date(`${local}+08:00`).toISOString()}`;

/** Fri 2027-01-01 is the 2nd working day after 12-30 on weekends only: provisional until 2027 is loaded. */
const ACROSS_NEW_YEAR = { from: sh('2026-12-30T10:00'), op: 'add' as const, duration: { workingDays: 2 } };
const IN_2026 = { from: sh('2026-09-21T10:00'), op: 'add' as const, duration: { workingDays: 15 } };

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as ApplicationFailure,
  );
}

describe.each(testDatabaseKinds())('calendar activities on %s', (kind) => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let transport: MailTransport;
  let clock: Date;
  let activities: ReturnType<typeof createCalendarActivities>;
  let calendars: CalendarsRepository;
  let admin: User;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    sink = await startSmtpSink();
    transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@test.local>' });
    const outbox = new NoticeOutbox(db.knex, transport, () => clock);
    activities = createCalendarActivities({ knex: db.knex, outbox, now: () => clock, publicUrl: 'http://console.test' });
    calendars = new CalendarsRepository(db.knex);
    const users = new UsersRepository(db.knex);
    admin = await users.create({ name: 'Zhou Min', email: 'zhou.min@maker.test', role: 'admin', locale: 'zh-CN' });
    const former = await users.create({ name: 'Former Admin', email: 'former@maker.test', role: 'admin', locale: 'en' });
    await db.knex('users').where({ id: former.id }).update({ active: false });
    await users.create({ name: 'Liu Yang', email: 'liu.yang@maker.test', role: 'service_manager', locale: 'en' });
  });

  afterAll(async () => {
    await transport.close();
    await sink.stop();
    await db.destroy();
  });

  beforeEach(async () => {
    clock = FIRST_RUN;
    sink.messages.length = 0;
    sink.rejectMessages(false);
    await db.knex('calendar_missing_years').del();
    await db.knex('notice_outbox').del();
    await db.knex('calendar_years').where('year', '<>', 2026).del();
  });

  it('computes every item as the domain does, in order, and leaves a year with data alone', async () => {
    const cn = makeCalendar('cn');
    const answer = await activities.computeDeadlines({
      calendar: 'cn',
      items: [IN_2026, { from: IN_2026.from, op: 'subtract', duration: { workingDays: 3 } }, { from: IN_2026.from, op: 'add', duration: 'P3M' }],
    });
    expect(answer).toEqual([
      { at: addDuration(new Date(IN_2026.from), { workingDays: 15 }, cn).toISOString(), provisional: false, missingYears: [] },
      { at: subtractDuration(new Date(IN_2026.from), { workingDays: 3 }, cn).toISOString(), provisional: false, missingYears: [] },
      { at: sh('2026-12-21T10:00'), provisional: false, missingYears: [] },
    ]);
    expect(answer[0]!.at).toBe(sh('2026-10-20T00:00'));
    expect(await calendars.missingYears()).toEqual([]);
    expect(await db.knex('notice_outbox')).toHaveLength(0);
  });

  it('marks a deadline in a year without data provisional, records the year and alerts the active admins exactly once, even when called twice', async () => {
    const first = await activities.computeDeadlines({ calendar: 'cn', items: [IN_2026, ACROSS_NEW_YEAR] });
    clock = RETRY;
    const again = await activities.computeDeadlines({ calendar: 'cn', items: [ACROSS_NEW_YEAR] });

    expect(first).toEqual([expect.objectContaining({ provisional: false }), { at: sh('2027-01-02T00:00'), provisional: true, missingYears: [2027] }]);
    expect(again).toEqual([first[1]]);
    expect(await calendars.missingYears()).toEqual([{ calendarKey: 'cn', year: 2027, firstNeededAt: FIRST_RUN, alertedAt: FIRST_RUN }]);

    await new Promise((resolve) => setTimeout(resolve, 300)); // a second mail, if one were sent, would have arrived
    expect(sink.messages).toHaveLength(1);
    const [mail] = sink.messages;
    expect(mail!.envelope.to).toEqual([admin.email]);
    expect(mail!.idempotencyKey).toBe(calendarMissingKey('cn', 2027, admin.id));
    expect(mail!.subject).toContain('2027');
    expect(mail!.text).toContain('PUT /api/calendars/cn/years/2027');
  });

  it('is final once the year is loaded, and the year is no longer missing', async () => {
    await activities.computeDeadlines({ calendar: 'cn', items: [ACROSS_NEW_YEAR] });
    await calendars.putYear('cn', 2027, { holidays: ['2027-01-01'], makeupWorkdays: [] }, { userId: admin.id, name: admin.name });

    expect(await activities.computeDeadlines({ calendar: 'cn', items: [ACROSS_NEW_YEAR] })).toEqual([{ at: sh('2027-01-05T00:00'), provisional: false, missingYears: [] }]);
    expect(await calendars.missingYears()).toEqual([]);
  });

  it('still answers when the mail server is down, and alerts on the next provisional deadline', async () => {
    sink.rejectMessages(true);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await activities.computeDeadlines({ calendar: 'cn', items: [ACROSS_NEW_YEAR] })).toEqual([expect.objectContaining({ provisional: true })]);
    expect((await calendars.missingYears())[0]?.alertedAt).toBeNull();
    expect(sink.messages).toHaveLength(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not alert the admins about cn 2027'), expect.anything());
    warn.mockRestore();

    sink.rejectMessages(false);
    clock = RETRY;
    await activities.computeDeadlines({ calendar: 'cn', items: [ACROSS_NEW_YEAR] });
    expect(sink.messages).toHaveLength(1);
    expect((await calendars.missingYears())[0]).toEqual({ calendarKey: 'cn', year: 2027, firstNeededAt: FIRST_RUN, alertedAt: RETRY });
  });

  it('never marks the weekends calendar provisional', async () => {
    expect(await activities.computeDeadlines({ calendar: 'weekends', items: [{ ...ACROSS_NEW_YEAR, from: '2031-05-05T10:00:00Z' }] })).toEqual([
      { at: '2031-05-08T00:00:00.000Z', provisional: false, missingYears: [] },
    ]);
    expect(await calendars.missingYears()).toEqual([]);
  });

  it('fails without retry on an unknown calendar or a bad item, naming it', async () => {
    const unknown = await failureOf(activities.computeDeadlines({ calendar: 'mars', items: [IN_2026] }));
    expect(unknown).toBeInstanceOf(ApplicationFailure);
    expect(unknown).toMatchObject({ type: 'UnknownCalendar', nonRetryable: true });

    const bad = await failureOf(activities.computeDeadlines({ calendar: 'cn', items: [IN_2026, { from: 'yesterday', op: 'add', duration: 'P1D' }] }));
    expect(bad).toMatchObject({ type: 'InvalidDeadline', nonRetryable: true, details: [{ field: 'items.1.instant' }] });
    const badDuration = await failureOf(activities.computeDeadlines({ calendar: 'cn', items: [{ ...IN_2026, duration: { workingDays: 0.5 } }] }));
    expect(badDuration).toMatchObject({ type: 'InvalidDeadline', details: [{ field: 'items.0.workingDays' }] });
  });
});
