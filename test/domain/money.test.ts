import fc from 'fast-check';
import { formatMoney, fromLegacyAmount, isCurrency, isMoney, MAX_MONEY_AMOUNT, minorDigits, money, moneyProblems, toDecimalString } from '../../domain';

describe('isCurrency', () => {
  it.each(['CNY', 'USD', 'EUR', 'JPY', 'KWD', 'HKD'])('knows %s', (code) => expect(isCurrency(code)).toBe(true));
  it.each(['cny', 'CN', 'CNYY', 'XYZ', 'RMB', '', ' CNY', 12, null, undefined])('refuses %p', (code) => expect(isCurrency(code)).toBe(false));
});

describe('minorDigits', () => {
  it('follows ISO 4217 as the runtime knows it', () => {
    expect(minorDigits('CNY')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('KWD')).toBe(3);
  });
  it('throws on an unknown currency', () => expect(() => minorDigits('XYZ')).toThrow(/unknown currency/));
});

describe('moneyProblems / money / isMoney', () => {
  it('accepts integer minor units from 0 to 2^53−1', () => {
    expect(moneyProblems({ amount: 0, currency: 'CNY' })).toEqual([]);
    expect(moneyProblems({ amount: MAX_MONEY_AMOUNT, currency: 'USD' })).toEqual([]);
    expect(money(12_800_000, 'CNY')).toEqual({ amount: 12_800_000, currency: 'CNY' });
  });
  it.each([
    [{ amount: 1.5, currency: 'CNY' }, ['amount']],
    [{ amount: -1, currency: 'CNY' }, ['amount']],
    [{ amount: MAX_MONEY_AMOUNT + 1, currency: 'CNY' }, ['amount']],
    [{ amount: '100', currency: 'CNY' }, ['amount']],
    [{ amount: Number.NaN, currency: 'CNY' }, ['amount']],
    [{ amount: 100, currency: 'cny' }, ['currency']],
    [{ amount: 100 }, ['currency']],
    [{}, ['amount', 'currency']],
  ])('names the bad part of %p', (value, fields) => {
    expect(moneyProblems(value).map((p) => p.field)).toEqual(fields);
    expect(isMoney(value)).toBe(false);
  });
  it('money() throws a RangeError naming the field', () => expect(() => money(-5, 'CNY')).toThrow(/amount must be from 0/));
  it('isMoney refuses non-objects', () => {
    expect(isMoney(128000)).toBe(false);
    expect(isMoney(null)).toBe(false);
  });
});

describe('toDecimalString', () => {
  it.each([
    [12_800_000, 'CNY', '128000.00'],
    [5, 'CNY', '0.05'],
    [0, 'CNY', '0.00'],
    [1234, 'JPY', '1234'],
    [1, 'KWD', '0.001'],
    [MAX_MONEY_AMOUNT, 'CNY', '90071992547409.91'],
  ])('%d %s → %s', (amount, currency, text) => expect(toDecimalString({ amount, currency })).toBe(text));
});

describe('formatMoney', () => {
  it('uses Intl in the recipient’s locale', () => {
    const price = { amount: 12_800_000, currency: 'CNY' };
    expect(formatMoney(price, 'zh-CN')).toBe(new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' }).format(128000));
    expect(formatMoney(price, 'en-GB')).toBe(new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'CNY' }).format(128000));
    expect(formatMoney(price, 'zh-CN')).toContain('128,000.00');
  });
  it('keeps every digit of large amounts', () => expect(formatMoney({ amount: MAX_MONEY_AMOUNT, currency: 'USD' }, 'en-US')).toBe('$90,071,992,547,409.91'));
  it('shows no minor digits for yen', () => expect(formatMoney({ amount: 1234, currency: 'JPY' }, 'en-US')).toBe('¥1,234'));
  it('round-trips any valid amount through its decimal text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MONEY_AMOUNT }), fc.constantFrom('CNY', 'JPY', 'KWD', 'EUR'), (amount, currency) => {
        const text = toDecimalString({ amount, currency });
        expect(BigInt(text.replace('.', ''))).toBe(BigInt(amount));
        expect(text.split('.')[1]?.length ?? 0).toBe(minorDigits(currency));
      }),
      { numRuns: 200 },
    );
  });
});

describe('fromLegacyAmount', () => {
  it('reads a plain number as CNY major units', () => expect(fromLegacyAmount(56000)).toEqual({ amount: 5_600_000, currency: 'CNY' }));
  it('rounds to the fen', () => expect(fromLegacyAmount(12345.675)).toEqual({ amount: 1_234_568, currency: 'CNY' }));
  it('keeps a Money', () => expect(fromLegacyAmount({ amount: 7, currency: 'USD' })).toEqual({ amount: 7, currency: 'USD' }));
  it.each([null, undefined, -1, Number.POSITIVE_INFINITY, '12', { amount: 1 }, 1e20])('is null for %p', (value) => expect(fromLegacyAmount(value)).toBeNull());
});
