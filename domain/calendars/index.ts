import { CN_STATUTORY_YEARS } from './cn';

/** Everything of a calendar but its id (the registry key) and loaded years: see BusinessCalendar in ../calendar. */
export interface CalendarData {
  timeZone: string;
  weekendDays: number[];
  holidays: string[];
  makeupWorkdays: string[];
}

function allYears(pick: 'holidays' | 'makeupWorkdays'): string[] {
  return Object.keys(CN_STATUTORY_YEARS)
    .map(Number)
    .sort((a, b) => a - b)
    .flatMap((year) => [...(CN_STATUTORY_YEARS[year]?.[pick] ?? [])]);
}

/** Registry data is shared by every caller, so it is frozen; makeCalendar hands out copies. */
function frozen(data: CalendarData): Readonly<CalendarData> {
  [data.weekendDays, data.holidays, data.makeupWorkdays].forEach((list) => Object.freeze(list));
  return Object.freeze(data);
}

/** The calendars an operator can name by id. Add a calendar by adding an entry. */
export const CALENDAR_REGISTRY: Readonly<Record<string, Readonly<CalendarData>>> = Object.freeze({
  cn: frozen({
    timeZone: 'Asia/Shanghai',
    weekendDays: [6, 7],
    holidays: allYears('holidays'),
    makeupWorkdays: allYears('makeupWorkdays'),
  }),
  weekends: frozen({ timeZone: 'UTC', weekendDays: [6, 7], holidays: [], makeupWorkdays: [] }),
});
