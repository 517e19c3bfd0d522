import { isMoney, formatMoney as formatMoneyIn } from '../../domain/money';
import type { Locale } from '../../domain/locale';

/** Pure formatting used by the template helpers `date`, `duration` and `money`. */

export type DateStyle = 'datetime' | 'date';

// en-GB gives the day-month-year order ("23 Nov 2026, 14:05") that reads unambiguously worldwide.
const INTL_LOCALE: Record<Locale, string> = { 'zh-CN': 'zh-CN', en: 'en-GB' };
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Formats an instant in the recipient's time zone: `2026年11月23日 14:05` / `23 Nov 2026, 14:05`.
 * A date-only string ('2026-11-23') is a calendar date, not an instant, so it is never shifted by
 * a time zone and is printed without a time.
 */
export function formatDate(value: unknown, locale: Locale, timeZone: string, style: DateStyle = 'datetime'): string {
  const dateOnly = typeof value === 'string' && DATE_ONLY.test(value);
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new Error(`date: expected an ISO date or Date, got ${JSON.stringify(value)}`);
  const withTime = style === 'datetime' && !dateOnly;
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], {
    timeZone: dateOnly ? 'UTC' : timeZone,
    year: 'numeric',
    month: locale === 'zh-CN' ? 'long' : 'short',
    day: 'numeric',
    ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
  }).format(date);
}

type Unit = 'years' | 'months' | 'weeks' | 'days' | 'hours' | 'minutes' | 'seconds';

const ISO_DURATION =
  /^P(?:(?<years>\d+(?:[.,]\d+)?)Y)?(?:(?<months>\d+(?:[.,]\d+)?)M)?(?:(?<weeks>\d+(?:[.,]\d+)?)W)?(?:(?<days>\d+(?:[.,]\d+)?)D)?(?:T(?:(?<hours>\d+(?:[.,]\d+)?)H)?(?:(?<minutes>\d+(?:[.,]\d+)?)M)?(?:(?<seconds>\d+(?:[.,]\d+)?)S)?)?$/;

const UNIT_NAMES: Record<Locale, Record<Unit, (n: string, one: boolean) => string>> = {
  en: {
    years: (n, one) => `${n} ${one ? 'year' : 'years'}`,
    months: (n, one) => `${n} ${one ? 'month' : 'months'}`,
    weeks: (n, one) => `${n} ${one ? 'week' : 'weeks'}`,
    days: (n, one) => `${n} ${one ? 'day' : 'days'}`,
    hours: (n, one) => `${n} ${one ? 'hour' : 'hours'}`,
    minutes: (n, one) => `${n} ${one ? 'minute' : 'minutes'}`,
    seconds: (n, one) => `${n} ${one ? 'second' : 'seconds'}`,
  },
  'zh-CN': {
    years: (n) => `${n}年`,
    months: (n) => `${n}个月`,
    weeks: (n) => `${n}周`,
    days: (n) => `${n}天`,
    hours: (n) => `${n}小时`,
    minutes: (n) => `${n}分钟`,
    seconds: (n) => `${n}秒`,
  },
};

/** Reads an ISO-8601 duration as words: P3M → "3 months" / "3个月", P1Y2M → "1 year 2 months" / "1年2个月". */
export function formatDuration(value: unknown, locale: Locale): string {
  const match = typeof value === 'string' ? ISO_DURATION.exec(value.trim().toUpperCase()) : null;
  const groups = match?.groups ?? {};
  const units = (Object.keys(UNIT_NAMES.en) as Unit[]).filter((unit) => groups[unit] !== undefined);
  if (!match || units.length === 0) throw new Error(`duration: expected an ISO-8601 duration like P3M or PT4H, got ${JSON.stringify(value)}`);
  const parts = units.map((unit) => {
    const amount = String(Number(groups[unit]!.replace(',', '.')));
    return UNIT_NAMES[locale][unit](amount, amount === '1');
  });
  return parts.join(locale === 'zh-CN' ? '' : ' ');
}

/** Formats a Money ({amount in minor units, currency}) with Intl in the recipient's locale: ¥128,000.00 / CN¥128,000.00. */
export function formatMoney(value: unknown, locale: Locale): string {
  if (!isMoney(value)) throw new Error(`money: expected {amount: integer minor units, currency: ISO-4217 code}, got ${JSON.stringify(value)}`);
  return formatMoneyIn(value, INTL_LOCALE[locale]);
}
