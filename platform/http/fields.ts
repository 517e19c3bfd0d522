/**
 * Field schemas for request bodies: each accepts only what the rest of the system can use. A value
 * the database column cannot hold, the mailer cannot address or the notices cannot render is a 400
 * naming the field, before anything is written or started.
 */
import addressparser from 'nodemailer/lib/addressparser';
import { isTimeZone } from '../../domain/calendar';
import { isCurrency, MAX_MONEY_AMOUNT } from '../../domain/money';
import { ROLES } from '../../domain/access';
import { LOCALES } from '../../domain/locale';
import { z } from './zod';

/** `increments()` ids are INT UNSIGNED on MySQL. */
export const MAX_ID = 4_294_967_295;

/** Column widths of db/migrations, named by what they hold. */
export const COLUMN = { key: 191, name: 191, email: 191, longText: 500, timeZone: 64, phone: 64, role: 32, text: 60_000 } as const;

// Control characters break e-mail headers and one-line fields; tab and line breaks are fine in prose.
// eslint-disable-next-line no-control-regex
const CONTROL_IN_LINE = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_IN_PROSE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** No lone surrogate halves: MySQL cannot store them as utf8mb4 and would silently alter the text. */
const isWellFormed = (value: string) => (value as string & { isWellFormed(): boolean }).isWellFormed();

function guarded(schema: z.ZodString, control: RegExp) {
  return schema
    .refine(isWellFormed, 'must be valid Unicode text (no unpaired surrogates)')
    .refine((value) => !control.test(value), control === CONTROL_IN_LINE ? 'must be one line without control characters' : 'must not contain control characters');
}

/** A required one-line string (a name, a key, a serial): trimmed, 1 to `max` characters. */
export const line = (max: number = COLUMN.name) => guarded(z.string().trim().min(1).max(max), CONTROL_IN_LINE);

/** An optional one-line string that may be empty. */
export const optionalLine = (max: number = COLUMN.name) => guarded(z.string().trim().max(max), CONTROL_IN_LINE);

/** Required prose (a plan, a summary): trimmed, 1 to `max` characters, line breaks allowed. */
export const prose = (max = 2000) => guarded(z.string().trim().min(1).max(max), CONTROL_IN_PROSE);

/** Optional prose that may be empty. */
export const optionalProse = (max = 2000) => guarded(z.string().trim().max(max), CONTROL_IN_PROSE);

/** Whether nodemailer reads the text as exactly this one address (it would otherwise mail someone else, or no one). */
export function isMailerAddress(value: string): boolean {
  try {
    const parsed = addressparser(value, { flatten: true });
    return parsed.length === 1 && parsed[0]!.address === value && parsed[0]!.name === '';
  } catch {
    return false;
  }
}

// abort: one problem per address, not the same one told twice.
export const EmailSchema = z
  .email({ abort: true })
  .max(COLUMN.email, { abort: true })
  .refine(isMailerAddress, 'must be a single plain e-mail address the mailer can send to')
  .openapi({ example: 'wang.fang@hospital.example' });

export const TimeZoneSchema = z
  .string()
  .max(COLUMN.timeZone, { abort: true })
  .refine((zone) => isTimeZone(zone), { error: (issue) => `must be an IANA time zone such as Asia/Shanghai, got ${JSON.stringify(issue.input)}` })
  .openapi({ example: 'Asia/Shanghai' });

/** A real calendar date, `YYYY-MM-DD` (no 2026-02-30), between years 1900 and 9999. */
export const DateSchema = z.iso
  .date({ error: 'must be a real date as YYYY-MM-DD', abort: true })
  .refine((text) => text >= '1900-01-01', 'must be in 1900 or later')
  .openapi({ example: '2026-11-24' });

/** A real instant with its offset, e.g. 2026-11-24T09:30:00+08:00. */
export const InstantSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with its offset, e.g. 2026-11-24T09:30:00+08:00', abort: true })
  .refine((text) => {
    const time = Date.parse(text);
    return Number.isFinite(time) && time >= Date.UTC(1900, 0, 1) && time < Date.UTC(10000, 0, 1);
  }, 'must be a real instant between 1900 and 9999')
  .openapi({ example: '2026-11-24T09:30:00+08:00' });

/** Row ids: positive integers within INT UNSIGNED. */
export const IdSchema = z.number().int().min(1).max(MAX_ID);

export const MONEY_FORM = '{"amount": <integer minor units>, "currency": "<ISO-4217 code>"}, e.g. {"amount": 12800000, "currency": "CNY"} for ¥128,000.00';

export const MoneySchema = z
  .strictObject(
    {
      amount: z
        .number({ error: 'must be an integer number of minor units (fen for CNY)' })
        .int('must be an integer number of minor units (fen for CNY), not a decimal')
        .min(0)
        .max(MAX_MONEY_AMOUNT)
        .openapi({ description: 'Minor units of the currency (fen for CNY, none for JPY)', example: 12_800_000 }),
      currency: z
        .string()
        .refine(isCurrency, { error: (issue) => `must be an ISO-4217 currency code such as CNY, got ${JSON.stringify(issue.input)}` })
        .openapi({ description: 'ISO-4217 code', example: 'CNY' }),
    },
    { error: (issue) => (typeof issue.input === 'number' ? `money is an object now: ${MONEY_FORM}` : `must be money: ${MONEY_FORM}`) },
  )
  .openapi('Money', { description: `An amount of money in the currency’s minor units: ${MONEY_FORM}` });

/** A role of PRODUCT §1 (domain/access.ts lists them). */
export const RoleSchema = z.enum(ROLES).openapi('Role');

/** A language Aftercare speaks (domain/locale.ts). */
export const LocaleSchema = z.enum(LOCALES).openapi('Locale');
