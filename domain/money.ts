/**
 * Money as an integer amount of the currency's minor unit (fen, cent; yen has none) with its
 * ISO-4217 code: `{ amount: 12800000, currency: 'CNY' }` is ¥128,000.00. Integers add and compare
 * exactly; the currency says how many minor units make a major one and how to print it.
 */

export interface Money {
  /** Minor units (e.g. fen for CNY), a non-negative integer. */
  amount: number;
  /** ISO-4217 code, upper case, one the runtime's Intl knows. */
  currency: string;
}

/**
 * The largest amount we accept: exact as a JSON/JS number (2^53 − 1). The BIGINT column holds more,
 * so the number type is the binding limit.
 */
export const MAX_MONEY_AMOUNT = Number.MAX_SAFE_INTEGER;

/** What a plain number meant before amounts carried a currency: major units of CNY (DECIMAL(14,2)). */
export const LEGACY_CURRENCY = 'CNY';

const CURRENCY_CODE = /^[A-Z]{3}$/;
let knownCurrencies: Set<string> | undefined;

/** An ISO-4217 code the runtime can format (Intl.supportedValuesOf('currency')). */
export function isCurrency(code: unknown): code is string {
  if (typeof code !== 'string' || !CURRENCY_CODE.test(code)) return false;
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return knownCurrencies.has(code);
}

// Asked for every amount a page shows; making the formatter that knows it is the slow part.
const digitsOf = new Map<string, number>();

/** How many minor units the currency has after the decimal point (CNY 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  let digits = digitsOf.get(currency);
  if (digits === undefined) {
    if (!isCurrency(currency)) throw new RangeError(`unknown currency '${currency}'`);
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsOf.set(currency, digits);
  }
  return digits;
}

export interface MoneyProblem {
  /** `amount` or `currency`, relative to the money value. */
  field: 'amount' | 'currency';
  message: string;
}

/** Every problem with a would-be Money; empty when it is one. */
export function moneyProblems(value: { amount?: unknown; currency?: unknown }): MoneyProblem[] {
  const problems: MoneyProblem[] = [];
  const { amount, currency } = value;
  if (typeof amount !== 'number' || !Number.isInteger(amount)) problems.push({ field: 'amount', message: 'must be an integer number of minor units (e.g. fen: 12800000 is 128,000.00 CNY)' });
  else if (amount < 0 || amount > MAX_MONEY_AMOUNT) problems.push({ field: 'amount', message: `must be from 0 to ${MAX_MONEY_AMOUNT}` });
  if (!isCurrency(currency)) problems.push({ field: 'currency', message: `must be an ISO-4217 currency code such as CNY, got ${JSON.stringify(currency)}` });
  return problems;
}

export function isMoney(value: unknown): value is Money {
  return typeof value === 'object' && value !== null && moneyProblems(value as Record<string, unknown>).length === 0;
}

/** A Money, or a RangeError naming what is wrong. */
export function money(amount: number, currency: string): Money {
  const problems = moneyProblems({ amount, currency });
  if (problems.length > 0) throw new RangeError(problems.map((p) => `${p.field} ${p.message}`).join('; '));
  return { amount, currency };
}

/** The exact decimal text of the amount in major units: 12800000 CNY → "128000.00". */
export function toDecimalString(value: Money): string {
  const digits = minorDigits(value.currency);
  const text = String(value.amount).padStart(digits + 1, '0');
  return digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

// A formatter takes some 50 µs to make and a page lists hundreds of amounts: one per locale and currency.
const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * Formats for people with Intl in the given BCP-47 locale: `¥128,000.00` (zh-CN),
 * `CN¥128,000.00` (en-GB). The decimal string keeps every digit exact, however large.
 */
export function formatMoney(value: Money, locale: string): string {
  const decimal = toDecimalString(value);
  const key = `${locale}|${value.currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: value.currency });
    moneyFormats.set(key, format);
  }
  // Intl.NumberFormat formats decimal strings exactly (NumberFormat v3); the typings still say number.
  return format.format(decimal as unknown as number);
}

/**
 * Reads an amount stored or sent before money had a currency: a plain number of CNY major units
 * (what a running process may still hold), or a Money as it is. Null for anything else.
 */
export function fromLegacyAmount(value: unknown): Money | null {
  if (isMoney(value)) return { amount: value.amount, currency: value.currency };
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  const amount = Math.round(value * 10 ** minorDigits(LEGACY_CURRENCY));
  return amount <= MAX_MONEY_AMOUNT ? { amount, currency: LEGACY_CURRENCY } : null;
}
