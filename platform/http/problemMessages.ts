/**
 * What is wrong with a field, in the reader's language. zod's own checks (required, too short, not a
 * number, not one of the values, an unknown field) are worded from the catalogue, and so is a message a
 * schema gives itself as a catalogue key; any other is kept as written. The schemas parse with `PROBLEM_ERROR_MAP`, which marks the issues
 * zod worded, so the two can be told apart whatever zod's own words are.
 */
import type { Request } from 'express';
import type { z } from 'zod';
import { resolveLocale, type Locale } from '../../domain/locale';
import { isMessageKey, say, translate, type MessageKey } from '../i18n/catalogue';
import { validationFailed, type ApiError, type ErrorBody, type FieldProblem } from './errors';

const ZOD_WORDED = '\u0000zod';

/** Per-parse error map (lower precedence than a schema's own message): marks what zod would word. */
export const PROBLEM_ERROR_MAP: z.core.$ZodErrorMap = () => ZOD_WORDED;

/** Parse options that let `problemMessage` word zod's own checks. */
// reportInput: an issue keeps the value it judged, so a value of the wrong type is told apart from a
// missing one (the API's answer carries only the field and the words, never the input).
export const PROBLEM_PARSE = { error: PROBLEM_ERROR_MAP, reportInput: true } as const;

type Issue = z.core.$ZodIssue;

const TYPE_KEYS: Partial<Record<string, MessageKey>> = {
  string: 'problem.type.string',
  number: 'problem.type.number',
  int: 'problem.type.int',
  boolean: 'problem.type.boolean',
  object: 'problem.type.object',
  array: 'problem.type.array',
  date: 'problem.type.date',
};

function sizeKey(origin: string, big: boolean, inclusive: boolean): MessageKey | undefined {
  const edge = big ? (inclusive ? 'atMost' : 'below') : inclusive ? 'atLeast' : 'above';
  if (origin === 'string') return big ? 'problem.size.string.atMost' : 'problem.size.string.atLeast';
  if (origin === 'array' || origin === 'set') return big ? 'problem.size.array.atMost' : 'problem.size.array.atLeast';
  if (origin === 'number' || origin === 'int' || origin === 'bigint') return `problem.size.number.${edge}` as MessageKey;
  if (origin === 'date') return big ? 'problem.size.date.atMost' : 'problem.size.date.atLeast';
  return undefined;
}

/** The words for one issue; undefined when the catalogue has none (the caller keeps zod's). */
function catalogueWords(issue: Issue, locale: Locale): string | undefined {
  const t = (key: MessageKey, values?: Record<string, string | number>) => translate(locale, key, values);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return t('problem.required');
      const key = TYPE_KEYS[issue.expected];
      return key ? t(key) : undefined;
    }
    case 'too_small':
    case 'too_big': {
      const big = issue.code === 'too_big';
      const limit = Number(big ? issue.maximum : issue.minimum);
      if (issue.origin === 'string' && !big && limit === 1) return t('problem.empty');
      const key = sizeKey(issue.origin, big, issue.inclusive !== false);
      return key ? t(key, { limit: issue.origin === 'date' ? new Date(limit).toISOString() : limit }) : undefined;
    }
    case 'invalid_format':
      return issue.format === 'email' ? t('problem.format.email') : t('problem.format');
    case 'invalid_value':
      return t('problem.oneOf', { values: issue.values.map((value) => JSON.stringify(value)).join(', ') });
    case 'unrecognized_keys':
      return t('problem.unknownField');
    case 'invalid_union':
      return t('problem.invalid');
    default:
      return undefined;
  }
}

/**
 * The issue's message in `locale`: zod's own checks from the catalogue; a schema's own message that is
 * a catalogue key (`message: 'people.problem.dealerRequired'`) said in `locale`, any other as written.
 */
export function problemMessage(issue: Issue, locale: Locale): string {
  if (issue.code === 'unrecognized_keys') return translate(locale, 'problem.unknownField');
  if (issue.message !== ZOD_WORDED) return isMessageKey(issue.message) ? translate(locale, issue.message) : issue.message;
  return catalogueWords(issue, locale) ?? translate(locale, 'problem.invalid');
}

/**
 * The language a request's problems are told in: the Accept-Language header when it names one of
 * ours, else the signed-in person's language, else English.
 */
export function readerLocale(req: Request, user?: { locale?: Locale } | null): Locale {
  // In the header's order of preference; '*' (what fetch sends by default) names no language.
  const named = req.headers['accept-language'] ? req.acceptsLanguages().find((tag) => /^(zh|en)(-|$)/i.test(tag)) : undefined;
  if (named) return resolveLocale(named);
  return user?.locale ?? 'en';
}

/** A 400 naming every bad field, its summary in `locale`. */
export function invalidFields(problems: FieldProblem[], locale: Locale): ApiError {
  return validationFailed(problems, translate(locale, 'problem.summary', { fields: problems.map((problem) => problem.field).join(', ') }));
}

/** `devices.0.serial`; an empty key reads `""` so every problem names a field. */
const fieldName = (path: readonly PropertyKey[]) => path.map((key) => (String(key) === '' ? '""' : String(key))).join('.');

/**
 * Each issue as a problem naming its field, in `locale`. Parse with `PROBLEM_PARSE` for zod's own
 * checks to be worded from the catalogue (problemMessages.ts); a schema's own message is kept.
 */
export function problemsOf(error: z.ZodError, location: string, locale: Locale = 'en'): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    const field = fieldName(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: fieldName([...issue.path, key]), message: problemMessage(issue, locale) }));
    }
    return [{ field: field || location, message: problemMessage(issue, locale) }];
  });
}

/** `schema`'s output for `body`, or a 400 naming every bad field in `locale` (a use case's or a form's own check). */
export function parseOrRefuse<S extends z.ZodType>(schema: S, body: unknown, locale: Locale, location = 'body'): z.output<S> {
  const result = schema.safeParse(body, PROBLEM_PARSE);
  if (!result.success) throw invalidFields(problemsOf(result.error, location, locale), locale);
  return result.data;
}

/**
 * An error's answer in the reader's language: an error carrying words is said from the catalogue, and
 * so is a field problem that repeats its message; one without words answers as written.
 */
export function errorBodyIn(error: ApiError, locale: Locale): ErrorBody {
  if (!error.words) return error.body;
  const message = say(locale, error.words, error.message);
  const details = Array.isArray(error.details)
    ? error.details.map((detail: unknown) => {
        const problem = detail as Partial<FieldProblem> | null;
        return problem && typeof problem === 'object' && problem.message === error.message ? { ...problem, message } : detail;
      })
    : error.details;
  return { error: { code: error.code, message, details } };
}
