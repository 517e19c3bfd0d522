import type { Client } from '@temporalio/client';
import { CalendarsRepository, type CalendarInfo, type CalendarYear } from './repository';
import { calendarYearProblems, FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR } from '../../domain/calendarYear';
import { calendarChangedSignal } from '../../platform/workflowKit/messages';
import type { AuditTarget } from '../../platform/http/audit';
import { conflict, notFound } from '../../platform/http/errors';
import { apiModule } from '../../platform/http/module';
import { defineRoute } from '../../platform/http/route';
import { invalidFields, readerLocale } from '../../platform/http/problemMessages';
import { say } from '../../platform/i18n/catalogue';
import { z } from '../../platform/http/zod';
import { words } from '../../domain/words';

/** Who may read calendars; only admins load or correct them. */

/** Telling the running processes is bounded: the PUT has stored the data already and must answer. */
export const SIGNAL_LIMITS = { maxProcesses: 10_000, budgetMs: 10_000, concurrency: 8 };

const LocalDate = z.string().openapi({ example: '2027-01-01', description: 'YYYY-MM-DD' });

const KeyParams = z.object({ key: z.string().min(1).max(64).openapi({ example: 'cn' }) });
const YearParams = KeyParams.extend({
  year: z.coerce
    .number()
    .int()
    .min(FIRST_CALENDAR_YEAR, { error: `must be a year ${FIRST_CALENDAR_YEAR}–${LAST_CALENDAR_YEAR}` })
    .max(LAST_CALENDAR_YEAR, { error: `must be a year ${FIRST_CALENDAR_YEAR}–${LAST_CALENDAR_YEAR}` })
    .openapi({ example: 2027 }),
});

export const CalendarYearBody = z
  .strictObject({
    holidays: z.array(LocalDate).max(366).openapi({ description: 'Days off in that year (法定节假日), weekends included where the notice lists them' }),
    makeupWorkdays: z.array(LocalDate).max(366).openapi({ description: 'Weekend days that are working days in that year (调休上班)' }),
    source: z.string().trim().max(500).optional().openapi({ description: 'Where the dates come from, e.g. the State Council notice' }),
    notes: z.string().max(5000).optional(),
  })
  .openapi('CalendarYearBody');

const CalendarYearSchema = z
  .object({
    calendar: z.string(),
    year: z.number().int(),
    holidays: z.array(LocalDate),
    makeupWorkdays: z.array(LocalDate),
    source: z.string().nullable(),
    notes: z.string().nullable(),
    updatedAt: z.iso.datetime(),
    updatedBy: z.object({ userId: z.number().int().nullable(), name: z.string() }),
  })
  .openapi('CalendarYear');

const CalendarSummarySchema = z
  .object({
    key: z.string(),
    name: z.string(),
    timeZone: z.string(),
    weekendDays: z.array(z.number().int()).openapi({ description: 'ISO weekdays off: 1 = Monday … 7 = Sunday' }),
    yearlyData: z.boolean().openapi({ description: 'False for a calendar that is weekends only by design: it needs no year loaded' }),
    yearsLoaded: z.array(z.number().int()),
    yearsMissing: z.array(z.number().int()).openapi({ description: 'Years a deadline needed and that are not loaded: deadlines in them are provisional' }),
  })
  .openapi('CalendarSummary');

const CalendarDetailSchema = CalendarSummarySchema.extend({ years: z.array(CalendarYearSchema) }).openapi('Calendar');

const PutYearAnswer = z
  .object({
    year: CalendarYearSchema,
    processesTold: z.number().int().openapi({ description: 'Running processes signalled to recompute their pending deadlines' }),
    allProcessesTold: z.boolean().openapi({ description: 'False when Temporal was not reachable or configured, a signal failed, or the bound was reached' }),
  })
  .openapi('CalendarYearStored');

function yearDto(year: CalendarYear): z.input<typeof CalendarYearSchema> {
  return {
    calendar: year.calendarKey,
    year: year.year,
    holidays: year.holidays,
    makeupWorkdays: year.makeupWorkdays,
    source: year.source,
    notes: year.notes,
    updatedAt: year.updatedAt.toISOString(),
    updatedBy: year.updatedBy,
  };
}

async function summaryOf(calendars: CalendarsRepository, info: CalendarInfo, years: CalendarYear[]): Promise<z.input<typeof CalendarSummarySchema>> {
  const missing = info.yearlyData ? await calendars.missingYears(info.key) : [];
  return { ...info, yearsLoaded: years.map((y) => y.year), yearsMissing: missing.map((m) => m.year) };
}

/**
 * Signals calendarChanged to every running process of this application (its task queue), at most
 * `maxProcesses`, within `budgetMs`. Best effort: the data is stored; a process not told now still
 * reads the new data the next time it computes a deadline.
 */
export async function tellRunningProcesses(
  temporal: { client: Client; taskQueue: string } | undefined,
  calendar: string,
  limits = SIGNAL_LIMITS,
): Promise<{ told: number; complete: boolean }> {
  if (!temporal) return { told: 0, complete: false };
  const { client, taskQueue } = temporal;
  let told = 0;
  let complete = true;
  let stopped = false;
  const tellAll = async () => {
    const batch: Promise<void>[] = [];
    const flush = async () => {
      const results = await Promise.allSettled(batch.splice(0));
      told += results.filter((r) => r.status === 'fulfilled').length;
      if (results.some((r) => r.status === 'rejected')) complete = false;
    };
    const query = `TaskQueue = "${taskQueue.replace(/["\\]/g, '')}" AND ExecutionStatus = "Running"`;
    let seen = 0;
    for await (const workflow of client.workflow.list({ query })) {
      if (stopped || seen >= limits.maxProcesses) {
        complete = false;
        break;
      }
      seen += 1;
      batch.push(client.workflow.getHandle(workflow.workflowId, workflow.runId).signal(calendarChangedSignal, { calendar }));
      if (batch.length >= limits.concurrency) await flush();
    }
    await flush();
  };
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      stopped = true;
      complete = false;
      resolve();
    }, limits.budgetMs);
  });
  try {
    await Promise.race([tellAll().catch(() => void (complete = false)), outOfTime]);
  } finally {
    clearTimeout(timer);
  }
  return { told, complete };
}

const listCalendars = defineRoute(
  {
    method: 'get',
    path: '/calendars',
    // Reference data: every signed-in user may read the holidays working days are counted on.
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'calendar', action: 'read' },
    summary: 'The business calendars, with the years loaded and the years needed but missing',
    tags: ['calendars'],
    responses: { 200: { description: 'Every calendar', body: z.array(CalendarSummarySchema) } },
  },
  async ({ deps }) => {
    const calendars = new CalendarsRepository(deps.knex);
    const summaries = await Promise.all((await calendars.list()).map(async (info) => summaryOf(calendars, info, await calendars.years(info.key))));
    return { status: 200, body: summaries };
  },
);

const getCalendar = defineRoute(
  {
    method: 'get',
    path: '/calendars/:key',
    // Reference data: every signed-in user may read the holidays working days are counted on.
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'calendar', action: 'read' },
    summary: 'One calendar with every loaded year',
    tags: ['calendars'],
    params: KeyParams,
    responses: { 200: { description: 'The calendar', body: CalendarDetailSchema } },
    errors: { 404: 'No calendar with this key' },
  },
  async ({ params, deps }) => {
    const calendars = new CalendarsRepository(deps.knex);
    const info = await calendars.get(params.key);
    if (!info) throw notFound(words('schedule.calendarNotFound', { key: params.key }));
    const years = await calendars.years(info.key);
    return { status: 200, body: { ...(await summaryOf(calendars, info, years)), years: years.map(yearDto) } };
  },
);

const putYear = defineRoute(
  {
    method: 'put',
    path: '/calendars/:key/years/:year',
    roles: ['admin'],
    access: { rule: 'collection', resource: 'calendar', action: 'administer' },
    summary: "Load or correct one year's holidays and make-up working days",
    description:
      'Replaces the whole year. Then every running process is signalled (calendarChanged) to recompute its pending deadlines; ' +
      'the answer says how many were told. Deadlines that were provisional for this year become final.',
    tags: ['calendars'],
    params: YearParams,
    body: CalendarYearBody,
    responses: { 200: { description: 'Stored', body: PutYearAnswer } },
    errors: { 404: 'No calendar with this key', 409: 'The calendar is weekends only and has no yearly data' },
  },
  async ({ params, body, user, deps, req, res }) => {
    const calendars = new CalendarsRepository(deps.knex);
    const info = await calendars.get(params.key);
    if (!info) throw notFound(words('schedule.calendarNotFound', { key: params.key }));
    if (!info.yearlyData) throw conflict(words('schedule.calendarWeekendsOnly', { key: info.key }));
    const problems = calendarYearProblems(params.year, body, info.weekendDays);
    if (problems.length > 0) {
      const locale = readerLocale(req, user);
      throw invalidFields(problems.map((problem) => ({ field: problem.field, message: say(locale, problem.words, problem.message) })), locale);
    }
    const stored = await calendars.putYear(info.key, params.year, body, { userId: user.id, name: user.name });
    res.locals.audit = { entityType: 'calendar_year', entityId: `${info.key}:${params.year}` } satisfies AuditTarget;
    const { told, complete } = await tellRunningProcesses(deps.temporal, info.key);
    return { status: 200, body: { year: yearDto(stored), processesTold: told, allProcessesTold: complete } };
  },
);

/** Calendars as reference data (PRODUCT §2): read by admins and service managers, loaded by admins. */
export const calendarsModule = apiModule(listCalendars, getCalendar, putYear);
