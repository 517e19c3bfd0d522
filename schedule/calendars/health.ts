import type { Knex } from 'knex';
import { CalendarsRepository } from './repository';
import type { HealthWarning } from '../../platform/http/health';

/** A /healthz warning for each calendar year a deadline needed and nobody has loaded: those deadlines are provisional. */
export function calendarHealthWarnings(knex: Knex): () => Promise<HealthWarning[]> {
  return async () => {
    const missing = await new CalendarsRepository(knex).missingYears();
    return missing.map(({ calendarKey, year }) => ({
      code: 'calendar_year_missing' as const,
      calendar: calendarKey,
      year,
      message: `Calendar '${calendarKey}' has no holidays loaded for ${year}; deadlines in ${year} count weekends only and are provisional. Load it with PUT /api/calendars/${calendarKey}/years/${year}.`,
    }));
  };
}
