/**
 * The console's catalogue of words: every key in both languages, each text a valid ICU message with
 * the same arguments in zh-CN as in English, and plurals chosen by number.
 */
import { parse } from '@formatjs/icu-messageformat-parser';
import { catalog, translate, type MessageKey } from '../../platform/i18n/catalogue';
import { messageArguments } from '../../platform/i18n/icu';

const en = catalog('en');
const zh = catalog('zh-CN');
const keys = Object.keys(en) as MessageKey[];

describe('the catalogue of words', () => {
  it('has every key in both languages', () => {
    expect(Object.keys(zh).sort()).toEqual([...keys].sort());
    expect(keys.length).toBeGreaterThan(800);
  });

  it('holds only valid ICU messages, with the same arguments in zh-CN as in English', () => {
    const mismatched: string[] = [];
    const invalid: string[] = [];
    for (const key of keys) {
      try {
        const [english, chinese] = [messageArguments(parse(en[key], { ignoreTag: true })), messageArguments(parse(zh[key], { ignoreTag: true }))];
        if (JSON.stringify(english) !== JSON.stringify(chinese)) mismatched.push(`${key}: en ${english.join(',')} / zh-CN ${chinese.join(',')}`);
      } catch (error) {
        invalid.push(`${key}: ${(error as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
    expect(mismatched).toEqual([]);
  });

  it('the argument check is live: it tells apart messages whose arguments differ', () => {
    expect(messageArguments(parse('{a} of {b}'))).toEqual(['a', 'b']);
    expect(messageArguments(parse('{n, plural, one {# of {total}} other {# of {total}}}'))).toEqual(['n', 'total']);
    expect(messageArguments(parse('{a}'))).not.toEqual(messageArguments(parse('{b}')));
  });

  it('fills arguments, and chooses the plural form by number', () => {
    expect(translate('en', 'home.more', { shown: 20, count: 1234 })).toBe('Showing 20 of 1234.');
    expect(translate('en', 'ticket.link.returnCallsHidden', { count: 1 })).toMatch(/^1 return call after/);
    expect(translate('en', 'ticket.link.returnCallsHidden', { count: 3 })).toMatch(/^3 return calls after/);
    expect(translate('zh-CN', 'ticket.link.returnCallsHidden', { count: 3 })).toBe('关闭后有 3 个回访，在您无权查看的关怀计划上');
  });

  it('shows an argument it was not given as its name, never failing the page', () => {
    expect(translate('en', 'dealer.claim.title', { id: 7 })).toBe('Claim #7 · {device}');
  });
});
