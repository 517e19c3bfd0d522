/** Parts plans: their due dates and reminders, and what a plan must hold. */
import { DateTime } from 'luxon';
import type { Duration } from '../../../domain/duration';
import { words, type Words } from '../../../domain/words';
import { calendarDuration, endOfLocalDay, isoDate, localDate, startOfLocalDay, hasTimePart } from '../rules';

// ---------------------------------------------------------------------------------------------
// Parts plan

/**
 * When each dealer's parts plan is due: `dealer.partsPlanLead` (30 days) before each configured sales
 * season (`MM-DD`, every year). Answers the next start of each season strictly after `today`, with its
 * due date, soonest first; a season whose due date already passed this year is still listed (overdue).
 */
export function partsPlanDueDates(seasonStarts: readonly string[], lead: Duration, today: string): Array<{ seasonStart: string; dueOn: string }> {
  const from = localDate(today, 'today');
  const leadDays = calendarDuration(lead, 'dealer.partsPlanLead');
  return seasonStarts
    .map((monthDay) => {
      const thisYear = localDate(`${from.year}-${monthDay}`, 'season start');
      const start = thisYear > from ? thisYear : localDate(`${from.year + 1}-${monthDay}`, 'season start');
      return { seasonStart: isoDate(start), dueOn: isoDate(start.minus(leadDays)) };
    })
    .sort((a, b) => a.seasonStart.localeCompare(b.seasonStart));
}

export interface PartsPlanClock {
  /** The plan is in time until this instant: the end of its due day in the settlement zone. */
  dueAt: Date;
  /** The dealer is reminded at this instant (`dealer.partsPlanRemindBefore` before the due day). */
  remindAt: Date;
}

/**
 * When one season's parts plan falls due and when the dealer is reminded. Paper deadlines count whole
 * days in the settlement zone: due by the end of `dueOn`, reminded at the start of the day
 * `partsPlanRemindBefore` earlier. A lead in hours, minutes or seconds (tests, pilots) counts from the
 * moment the plan was opened instead: due `lead` after it, reminded `remindBefore` before that.
 */
export function partsPlanClock(dueOn: string, openedAt: Date, policy: { partsPlanLead: Duration; partsPlanRemindBefore: Duration }, timeZone: string): PartsPlanClock {
  if (hasTimePart(policy.partsPlanLead)) {
    const dueAt = DateTime.fromJSDate(openedAt, { zone: 'UTC' }).plus(calendarDuration(policy.partsPlanLead, 'dealer.partsPlanLead'));
    return { dueAt: dueAt.toJSDate(), remindAt: dueAt.minus(calendarDuration(policy.partsPlanRemindBefore, 'dealer.partsPlanRemindBefore')).toJSDate() };
  }
  const remindOn = isoDate(localDate(dueOn, 'dueOn').minus(calendarDuration(policy.partsPlanRemindBefore, 'dealer.partsPlanRemindBefore')));
  return { dueAt: endOfLocalDay(dueOn, timeZone), remindAt: startOfLocalDay(remindOn, timeZone) };
}

/** A plan's lines: parts by number with the quantity the dealer will order before the season. */
export interface PartsPlanLine {
  partNo: string;
  quantity: number;
}

/** Why a plan's lines are refused, with the field, or null: at least one line, each part once, quantities whole and positive. */
export function partsPlanRefusal(lines: readonly PartsPlanLine[]): { field: string; message: Words } | null {
  if (lines.length === 0) return { field: 'lines', message: words('refusal.dealer.planNoLines') };
  const seen = new Set<string>();
  for (const [index, line] of lines.entries()) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) return { field: `lines.${index}.quantity`, message: words('refusal.dealer.planQuantity') };
    const key = line.partNo.trim();
    if (seen.has(key)) return { field: `lines.${index}.partNo`, message: words('refusal.dealer.planPartTwice', { partNo: key }) };
    seen.add(key);
  }
  return null;
}
