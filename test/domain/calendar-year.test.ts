import { CN_STATUTORY_YEARS, calendarYearProblems as problemsWithWords } from '../../domain';
import { say } from '../../platform/i18n/catalogue';

/** The problems as fields and English messages; their words are held to the same below. */
const calendarYearProblems = (...args: Parameters<typeof problemsWithWords>) => problemsWithWords(...args).map(({ field, message }) => ({ field, message }));

const WEEKEND = [6, 7];
const cn2026 = { holidays: [...CN_STATUTORY_YEARS[2026]!.holidays], makeupWorkdays: [...CN_STATUTORY_YEARS[2026]!.makeupWorkdays] };

describe('calendarYearProblems', () => {
  it('accepts the published 2026 PRC calendar and an empty year', () => {
    expect(calendarYearProblems(2026, cn2026, WEEKEND)).toEqual([]);
    expect(calendarYearProblems(2027, { holidays: [], makeupWorkdays: [] }, WEEKEND)).toEqual([]);
  });

  it('names every date that is not a real date', () => {
    expect(calendarYearProblems(2026, { holidays: ['2026-01-01', '2026-02-30', '2026-1-5', 'soon'], makeupWorkdays: ['2026-13-01'] }, WEEKEND)).toEqual([
      { field: 'holidays.1', message: "'2026-02-30' is not a real date YYYY-MM-DD" },
      { field: 'holidays.2', message: "'2026-1-5' is not a real date YYYY-MM-DD" },
      { field: 'holidays.3', message: "'soon' is not a real date YYYY-MM-DD" },
      { field: 'makeupWorkdays.0', message: "'2026-13-01' is not a real date YYYY-MM-DD" },
    ]);
  });

  it('names a date of another year', () => {
    expect(calendarYearProblems(2027, { holidays: ['2027-01-01', '2026-12-31'], makeupWorkdays: ['2028-01-08'] }, WEEKEND)).toEqual([
      { field: 'holidays.1', message: '2026-12-31 is not in 2027' },
      { field: 'makeupWorkdays.0', message: '2028-01-08 is not in 2027' },
    ]);
  });

  it('names a date listed twice', () => {
    expect(calendarYearProblems(2027, { holidays: ['2027-01-01', '2027-01-01'], makeupWorkdays: [] }, WEEKEND)).toEqual([{ field: 'holidays.1', message: '2027-01-01 is listed twice' }]);
  });

  it('names a day that is both off and worked, once', () => {
    expect(calendarYearProblems(2026, { holidays: ['2026-02-14'], makeupWorkdays: ['2026-02-14', '2026-02-14'] }, WEEKEND)).toEqual([
      { field: 'makeupWorkdays.1', message: '2026-02-14 is listed twice' },
      { field: 'makeupWorkdays.0', message: '2026-02-14 cannot be both a holiday and a make-up working day' },
    ]);
  });

  it('names a make-up working day that is not a weekend day of the calendar', () => {
    expect(calendarYearProblems(2026, { holidays: [], makeupWorkdays: ['2026-02-16', '2026-02-14'] }, WEEKEND)).toEqual([
      { field: 'makeupWorkdays.0', message: '2026-02-16 is a Monday, a working day already; a make-up working day must be a weekend day' },
    ]);
    // With Friday and Saturday off, a Friday may be worked and a Sunday may not.
    expect(calendarYearProblems(2026, { holidays: [], makeupWorkdays: ['2026-02-13', '2026-02-15'] }, [5, 6])).toEqual([
      { field: 'makeupWorkdays.1', message: '2026-02-15 is a Sunday, a working day already; a make-up working day must be a weekend day' },
    ]);
  });

  it('accepts a holiday on a weekend (a three-day break includes the weekend)', () => {
    expect(calendarYearProblems(2026, { holidays: ['2026-01-03'], makeupWorkdays: [] }, WEEKEND)).toEqual([]);
  });

  it.each([1999, 2101, 2026.5, Number.NaN])('refuses the year %p', (year) => {
    expect(calendarYearProblems(year, { holidays: ['2026-01-01'], makeupWorkdays: [] }, WEEKEND)).toEqual([{ field: 'year', message: expect.stringMatching(/^must be a year 2000–2100/) }]);
  });

  it('says each problem in words: in English as its message, in Chinese too', () => {
    const problems = [
      ...problemsWithWords(1999, { holidays: [], makeupWorkdays: [] }, WEEKEND),
      ...problemsWithWords(2027, { holidays: ['2027-01-01', '2027-02-30', '2026-12-31', '2027-01-01', '2027-01-30'], makeupWorkdays: ['2027-01-30', '2027-01-29'] }, WEEKEND),
    ];
    expect(problems.map((p) => p.words.key)).toEqual(['calendarYear.badYear', 'calendarYear.notADate', 'calendarYear.otherYear', 'calendarYear.twice', 'calendarYear.holidayAndWorkday', 'calendarYear.weekdayWorkday']);
    for (const problem of problems) expect(say('en', problem.words)).toBe(problem.message);
    expect(problems.map((p) => say('zh-CN', p.words))).toEqual([
      '年份应在 2000–2100 之间，收到 1999',
      '“2027-02-30”不是有效日期（YYYY-MM-DD）',
      '2026-12-31 不在 2027 年内',
      '2027-01-01 重复列出',
      '2027-01-30 不能既是节假日又是调休上班日',
      '2027-01-29 是星期五，本就是工作日；调休上班日必须是周末',
    ]);
  });
});
