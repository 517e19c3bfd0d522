import { makeCalendar } from '../domain/calendar';
import { addDuration, subtractDuration, type Duration } from '../domain/duration';
import type { ActivityDeps } from './deps';

export interface DeadlineComputation {
  from: string;
  op: 'add' | 'subtract';
  duration: Duration;
}

// PLACEHOLDER until the calendar store lands (branch `calendars`): same signature, registry data.
export function createCalendarActivities(_deps: ActivityDeps) {
  return {
    async computeDeadlines(input: { calendar: string; items: DeadlineComputation[] }): Promise<{ at: string; provisional: boolean }[]> {
      const calendar = makeCalendar(input.calendar);
      return input.items.map((item) => {
        const from = new Date(item.from);
        const at = item.op === 'add' ? addDuration(from, item.duration, calendar) : subtractDuration(from, item.duration, calendar);
        return { at: at.toISOString(), provisional: false };
      });
    },
  };
}
