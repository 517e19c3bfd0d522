import { ApplicationFailure } from '@temporalio/activity';
import { CalendarsRepository } from './repository';
import { UsersRepository } from '../../people/repository';
import { dueAt, DomainError } from '../../domain';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';
import type { ComputeDeadlinesInput, ComputedDeadline, DeadlineActivities } from '../../platform/workflowKit/deadlineActivities';

export type { ComputeDeadlinesInput, ComputedDeadline, DeadlineRequest } from '../../platform/workflowKit/deadlineActivities';

/** The admins' alert for a year, one notice each; the key makes a retry send nothing twice. */
export function calendarMissingKey(calendar: string, year: number, adminId: number): string {
  return `calendar-missing:${calendar}:${year}:admin-${adminId}`;
}

export function createCalendarActivities(deps: ActivityDeps) {
  const calendars = new CalendarsRepository(deps.knex);
  const users = new UsersRepository(deps.knex);

  /** Tells every active admin about each year not alerted yet, then marks it; a failed send is tried again next time. */
  async function alertAdmins(calendarKey: string, years: number[]): Promise<void> {
    const pending = (await calendars.missingYears(calendarKey)).filter((m) => years.includes(m.year) && m.alertedAt === null);
    if (pending.length === 0) return;
    const info = await calendars.get(calendarKey);
    const admins = await users.listActiveWithRole('admin');
    for (const missing of pending) {
      for (const admin of admins) {
        await deps.outbox.send({
          idempotencyKey: calendarMissingKey(calendarKey, missing.year, admin.id),
          template: 'calendar-year-missing',
          locale: admin.locale,
          to: { email: admin.email, name: admin.name },
          context: {
            recipientName: admin.name,
            calendar: { key: calendarKey, name: info?.name ?? calendarKey },
            year: missing.year,
            neededAt: missing.firstNeededAt.toISOString(),
            actionUrl: `${deps.publicUrl}/api/calendars/${encodeURIComponent(calendarKey)}`,
          },
        });
      }
      await calendars.markAlerted(calendarKey, missing.year, deps.now());
    }
  }

  return {
    /**
     * Deadlines on the calendar as the store holds it now, in the order asked. A provisional one
     * records its missing years (for /healthz) and alerts the admins once per calendar and year.
     * The alert is best effort: a mail server that is down must not hold up the deadlines, and the
     * next provisional computation tries it again.
     */
    async computeDeadlines(input: ComputeDeadlinesInput): Promise<ComputedDeadline[]> {
      const calendar = await calendars.load(input.calendar);
      if (!calendar) throw ApplicationFailure.nonRetryable(`Unknown calendar '${input.calendar}'`, 'UnknownCalendar');
      const results = input.items.map((item, index): ComputedDeadline => {
        try {
          const deadline = dueAt(new Date(item.from), item.duration, calendar, item.op);
          return { at: deadline.at.toISOString(), provisional: deadline.provisional, missingYears: deadline.missingYears };
        } catch (error) {
          // Bad input stays bad on retry.
          if (error instanceof DomainError) {
            throw ApplicationFailure.nonRetryable(`items.${index}: ${error.message}`, 'InvalidDeadline', { field: `items.${index}.${error.field ?? ''}` });
          }
          throw error;
        }
      });
      const missingYears = [...new Set(results.flatMap((r) => r.missingYears))].sort((a, b) => a - b);
      if (missingYears.length > 0) {
        await calendars.recordMissingYears(input.calendar, missingYears, deps.now());
        await alertAdmins(input.calendar, missingYears).catch((error: unknown) => {
          console.warn(`[calendars] could not alert the admins about ${input.calendar} ${missingYears.join(', ')}; will try again on the next provisional deadline`, error);
        });
      }
      return results;
    },
  };
}

// The deadline kit computes its times with this activity (platform/workflowKit/deadlineActivities.ts).
const offered: (deps: ActivityDeps) => Pick<DeadlineActivities, 'computeDeadlines'> = createCalendarActivities;
void offered;
