/**
 * Every step on a care visit or a return call as a console form: its fields (named by the step
 * body's path, e.g. `checklist.earthing`, so a problem the process names lands beside its field),
 * the console's own checks of what a browser sends, and the step body made from the strings.
 */
import { DateTime } from 'luxon';
import { validationFailed, type FieldProblem } from '../../../platform/http/errors';

export type CareFieldType = 'text' | 'textarea' | 'checkbox' | 'select' | 'datetime-local' | 'number';

export interface CareField {
  name: string;
  type: CareFieldType;
  required?: boolean;
  /** A select's choices: fixed codes (labelled `care.option.<name>.<code>`), or filled per record (contacts, engineers). */
  options?: readonly string[] | 'contacts' | 'engineers' | 'scores' | 'followUps';
  /** A number's bounds (whole numbers only). */
  min?: number;
  max?: number;
  /** Lines of a textarea become a list. */
  list?: boolean;
}

export interface CareStepForm {
  step: string;
  fields: CareField[];
}

export const OPERATING_STATES = ['normal', 'attention', 'down'] as const;

const reason: CareField = { name: 'reason', type: 'textarea', required: true };
const dueAt: CareField = { name: 'dueAt', type: 'datetime-local', required: true };

/** The steps on a visit, in the order an engineer meets them. */
export const VISIT_FORMS: CareStepForm[] = [
  {
    step: 'complete',
    fields: [
      { name: 'checklist.earthing', type: 'checkbox' },
      { name: 'checklist.dustRemoval', type: 'checkbox' },
      { name: 'checklist.operatingState', type: 'select', required: true, options: OPERATING_STATES },
      { name: 'checklist.customerFeedback', type: 'textarea' },
      { name: 'checklist.fixesDone', type: 'textarea' },
      { name: 'findings', type: 'textarea', list: true },
      { name: 'openItems', type: 'textarea', list: true },
      { name: 'signature.name', type: 'text', required: true },
      { name: 'signature.signedAt', type: 'datetime-local' },
    ],
  },
  { step: 'reschedule', fields: [dueAt, reason] },
  { step: 'skip', fields: [reason] },
  { step: 'assign', fields: [{ name: 'engineerUserId', type: 'select', required: true, options: 'engineers' }] },
  { step: 'cancel', fields: [reason] },
];

/** The outcomes of a return call: reached (the script's answers), no answer, wrong number, another time. */
export const CALL_FORMS: CareStepForm[] = [
  {
    step: 'complete',
    fields: [
      { name: 'contactId', type: 'select', options: 'contacts' },
      { name: 'answers.usage', type: 'textarea', required: true },
      { name: 'answers.mastery', type: 'textarea', required: true },
      { name: 'answers.problems', type: 'textarea' },
      { name: 'unsolvedProblem', type: 'checkbox' },
      { name: 'satisfaction', type: 'select', required: true, options: 'scores' },
      { name: 'answers.suggestions', type: 'textarea' },
    ],
  },
  { step: 'no-answer', fields: [{ name: 'contactId', type: 'select', options: 'contacts' }, { name: 'note', type: 'textarea' }] },
  { step: 'wrong-number', fields: [{ name: 'contactId', type: 'select', required: true, options: 'contacts' }, { name: 'note', type: 'textarea' }] },
  { step: 'reschedule', fields: [dueAt, reason] },
];

export const SCORES = ['1', '2', '3', '4', '5'] as const;

/** A `datetime-local` value read in `timeZone`, as an ISO instant; null when it is not one. */
export function instantIn(text: string, timeZone: string): string | null {
  const parsed = DateTime.fromISO(text.trim(), { zone: timeZone });
  return parsed.isValid ? parsed.toUTC().toISO() : null;
}

/** An instant as a `datetime-local` value in `timeZone` (to fill a form). */
export function localInput(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toFormat("yyyy-LL-dd'T'HH:mm");
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) {
    target[head!] = value;
    return;
  }
  const inner = (target[head!] ??= {}) as Record<string, unknown>;
  setPath(inner, rest.join('.'), value);
}

export interface BodyOptions {
  /** The record's zone: date-time fields are read in it. */
  timeZone: string;
  /** The choices a per-record select may take (contact ids, engineer ids). */
  choices?: { contacts?: number[]; engineers?: number[]; followUps?: number[] };
  /** What each problem says, in the page's language. */
  words: { required: string; notInstant: string; notChoice: string; notNumber?: string };
}

/**
 * The step body from the form's strings, or a 400 naming each field at fault (nothing is sent on).
 * Checkboxes are booleans, list textareas one item a line, date-times instants, ids numbers.
 */
export function careStepBody(form: CareStepForm, values: Record<string, string>, options: BodyOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const field of form.fields) {
    const raw = (values[field.name] ?? '').trim();
    if (field.type === 'checkbox') {
      setPath(body, field.name, raw !== '');
      continue;
    }
    if (raw === '') {
      if (field.required) problems.push({ field: field.name, message: options.words.required });
      else if (field.list) setPath(body, field.name, []);
      continue;
    }
    if (field.type === 'datetime-local') {
      const instant = instantIn(raw, options.timeZone);
      if (instant) setPath(body, field.name, instant);
      else problems.push({ field: field.name, message: options.words.notInstant });
    } else if (field.type === 'number') {
      const number = Number(raw);
      if (/^\d{1,6}$/.test(raw) && number >= (field.min ?? 0) && number <= (field.max ?? Number.MAX_SAFE_INTEGER)) setPath(body, field.name, number);
      else problems.push({ field: field.name, message: options.words.notNumber ?? options.words.notChoice });
    } else if (field.list) {
      setPath(body, field.name, raw.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ''));
    } else if (field.options === 'contacts' || field.options === 'engineers' || field.options === 'scores' || field.options === 'followUps') {
      const allowed = field.options === 'scores' ? SCORES.map(Number) : (options.choices?.[field.options] ?? []);
      const number = Number(raw);
      if (/^\d{1,15}$/.test(raw) && allowed.includes(number)) setPath(body, field.name, number);
      else problems.push({ field: field.name, message: options.words.notChoice });
    } else if (Array.isArray(field.options) && !field.options.includes(raw)) {
      problems.push({ field: field.name, message: options.words.notChoice });
    } else {
      setPath(body, field.name, raw);
    }
  }
  if (problems.length > 0) throw validationFailed(problems);
  return body;
}
