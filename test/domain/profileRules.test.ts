import { profileProblems } from '../../people/profileRules';

describe('profile rules', () => {
  it('takes a name, a known language and an IANA time zone or none', () => {
    expect(profileProblems({ name: '林晓', locale: 'zh-CN', timeZone: 'Asia/Shanghai' })).toEqual([]);
    expect(profileProblems({ name: 'Lin', locale: 'en', timeZone: '' })).toEqual([]);
  });

  it('names every bad field at once', () => {
    expect(profileProblems({ name: '  ', locale: 'fr', timeZone: 'UTC+8' })).toEqual([
      { field: 'name', problem: 'empty' },
      { field: 'locale', problem: 'unknown' },
      { field: 'timeZone', problem: 'unknown' },
    ]);
    expect(profileProblems({ name: 'x'.repeat(192), locale: 'en', timeZone: 'Beijing' })).toEqual([
      { field: 'name', problem: 'tooLong' },
      { field: 'timeZone', problem: 'unknown' },
    ]);
  });
});
