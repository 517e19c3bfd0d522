/**
 * The console's form kit. A page holds a FormState per form: the values to show again and the
 * problems to show beside each field. `formFromApiError` turns the API's error body
 * (`{ error: { message, details: [{ field, message }] } }`) into one, so a page that forwards a
 * form to the API shows its answer where the person typed. The template helpers in views.ts
 * (`{{#form}}`, `{{field}}`) render it, with the CSRF token in every form.
 */
import type { Locale } from '../../domain/locale';
import { toApiError } from '../http/errors';
import { errorBodyIn } from '../http/problemMessages';

export interface FormState {
  /** What the person sent, keyed by field name (the API's dotted path, e.g. `devices.0.serial`). */
  values: Record<string, string>;
  /** Problems per field, in the order they came. */
  errors: Record<string, string[]>;
  /** Problems that belong to no field of the form: shown above it. */
  problems: string[];
}

export function emptyForm(values: Record<string, string> = {}): FormState {
  return { values, errors: {}, problems: [] };
}

/** A form with one problem on one field (checks the console makes itself). */
export function formWithFieldError(values: Record<string, string>, field: string, message: string): FormState {
  return { values, errors: { [field]: [message] }, problems: [] };
}

/** A form with a problem about the whole form. */
export function formWithProblem(values: Record<string, string>, message: string): FormState {
  return { values, errors: {}, problems: [message] };
}

interface FieldDetail {
  field: string;
  message: string;
}

function isFieldDetail(value: unknown): value is FieldDetail {
  const detail = value as Partial<FieldDetail> | null;
  return typeof detail?.field === 'string' && typeof detail.message === 'string';
}

/**
 * The API's error answer as form state: every `details[]` entry with a `field` goes beside that
 * field; the message goes above the form when no detail names a field. Anything else (not an API
 * error body) becomes `fallback` above the form.
 */
export function formFromApiError(body: unknown, values: Record<string, string>, fallback: string): FormState {
  const error = (body as { error?: { message?: unknown; details?: unknown } } | null)?.error;
  if (!error || typeof error.message !== 'string') return formWithProblem(values, fallback);
  const details = Array.isArray(error.details) ? error.details.filter(isFieldDetail) : [];
  const errors: Record<string, string[]> = {};
  for (const detail of details) (errors[detail.field] ??= []).push(detail.message);
  return { values, errors, problems: details.length === 0 ? [error.message] : [] };
}

/**
 * A thrown error the API would answer with a 4xx (an ApiError, a repository's conflict, a domain
 * rule naming its field) as form state; anything else is rethrown for the console's 500 page.
 */
export function formFromError(error: unknown, values: Record<string, string>, fallback: string, locale: Locale): FormState {
  const known = toApiError(error);
  if (!known || known.status >= 500) throw error;
  return formFromApiError(errorBodyIn(known, locale), values, fallback);
}

/** The form's string fields from a urlencoded body (repeated or nested values are dropped). */
export function formValues(body: unknown, names: readonly string[]): Record<string, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(names.flatMap((name) => (typeof source[name] === 'string' ? [[name, source[name]]] : [])));
}

/**
 * The problems of forms a page no longer shows: a step refused because someone else took the record
 * further meanwhile (two people completing one visit) comes back to a page without that step's form,
 * and its answer must still be said, above the page.
 */
export function unshownProblems(sent: Record<string, FormState>, shown: readonly string[]): string[] {
  return Object.entries(sent)
    .filter(([step]) => !shown.includes(step))
    .flatMap(([, state]) => [...state.problems, ...Object.values(state.errors).flat()]);
}
