import { ConflictError } from '../../platform/db/errors';
import { DomainError } from '../../domain/errors';
import { isWords, storedWords, words, wordsAsText } from '../../domain/words';
import { say, translate } from '../../platform/i18n/catalogue';
import { toApiError } from '../../platform/http/errors';
import { errorBodyIn } from '../../platform/http/problemMessages';
import { formFromError } from '../../platform/console/forms';
import { localizeContext } from '../../platform/notices/labels';

describe('words: a key and its arguments, said in the reader’s language', () => {
  it('says known words in each language and fills every argument', () => {
    expect(say('en', words('problem.summary', { fields: 'serial' }))).toBe('Invalid serial');
    expect(say('zh-CN', words('problem.summary', { fields: 'serial' }))).toBe('以下字段无效：serial');
    expect(say('en', words('problem.summary', { fields: null }))).toBe('Invalid ');
  });

  it('falls back to the stored sentence for unknown keys, missing arguments and rows without words', () => {
    expect(say('zh-CN', null, 'kickoff held')).toBe('kickoff held');
    expect(say('zh-CN', words('no.such.key'), 'as stored')).toBe('as stored');
    expect(say('zh-CN', words('no.such.key'))).toBe('no.such.key');
    expect(say('zh-CN', words('problem.summary'), 'as stored')).toBe('as stored');
    // Without a fallback a missing argument shows as its name, like translate().
    expect(say('en', words('problem.summary'))).toBe(translate('en', 'problem.summary'));
  });

  it('reads words back from a stored column and refuses damaged ones', () => {
    expect(storedWords('{"key":"a.b","params":{"n":1}}')).toEqual({ key: 'a.b', params: { n: 1 } });
    expect(storedWords({ key: 'a.b' })).toEqual({ key: 'a.b' });
    expect(storedWords(null)).toBeNull();
    expect(storedWords('not json')).toBeNull();
    expect(storedWords('{"key":""}')).toBeNull();
    expect(storedWords({ key: 'a', params: [1] })).toBeNull();
    expect(isWords({ key: 'x', params: { a: null } })).toBe(true);
    expect(wordsAsText(words('a.b', { n: 1 }))).toBe('a.b {"n":1}');
    expect(wordsAsText(words('a.b'))).toBe('a.b');
  });

  it('answers an error that carries words in the reader’s language, its field problem too', () => {
    const refused = toApiError(new ConflictError(words('problem.summary', { fields: 'x' })))!;
    expect(refused.status).toBe(409);
    expect(errorBodyIn(refused, 'zh-CN').error.message).toBe('以下字段无效：x');
    expect(errorBodyIn(refused, 'en').error.message).toBe('Invalid x');
    const invalid = toApiError(new DomainError(words('problem.summary', { fields: 'y' }), 'y'))!;
    expect(errorBodyIn(invalid, 'zh-CN').error).toEqual({ code: 'validation_failed', message: '以下字段无效：y', details: [{ field: 'y', message: '以下字段无效：y' }] });
    expect(formFromError(new DomainError(words('problem.summary', { fields: 'y' }), 'y'), {}, 'fallback', 'zh-CN').errors).toEqual({ y: ['以下字段无效：y'] });
    // An error written as a sentence answers as written.
    const plain = toApiError(new ConflictError('not now'))!;
    expect(errorBodyIn(plain, 'zh-CN')).toEqual(plain.body);
  });

  it('says a notice context’s `<name>Words` in the recipient’s language, beside `<name>Key` labels', () => {
    const context = { missedWords: words('deadline.ticket.backupUnit', { ticket: 7 }), missedKeyless: 'as is', whatKey: 'weekly_report' };
    expect(localizeContext(context, 'zh-CN')).toMatchObject({ missed: '工单 7：备用机到场', what: '工程周报', missedKeyless: 'as is' });
    expect(localizeContext(context, 'en')).toMatchObject({ missed: 'ticket 7: backup unit on site', what: 'the weekly installation report' });
  });
});
