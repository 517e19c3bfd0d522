/** What a profile form may hold (pure): a name, a language the console speaks, an IANA time zone or none. */
import { isTimeZone } from '../domain/calendar';
import { LOCALES } from '../domain/locale';

export interface ProfileInput {
  name: string;
  locale: string;
  timeZone: string;
}

export type ProfileProblem = { field: 'name' | 'locale' | 'timeZone'; problem: 'empty' | 'tooLong' | 'unknown' };

/** The problems of a profile form (pure), each naming its field; none when it is good. */
export function profileProblems(input: ProfileInput): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const name = input.name.trim();
  if (name === '') problems.push({ field: 'name', problem: 'empty' });
  else if (name.length > 191) problems.push({ field: 'name', problem: 'tooLong' });
  if (!(LOCALES as readonly string[]).includes(input.locale)) problems.push({ field: 'locale', problem: 'unknown' });
  if (input.timeZone.trim() !== '' && (input.timeZone.length > 64 || !isTimeZone(input.timeZone.trim()))) problems.push({ field: 'timeZone', problem: 'unknown' });
  return problems;
}
