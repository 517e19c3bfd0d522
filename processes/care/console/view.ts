/** What the care pages share: words for kinds and statuses, the day's bounds, the step forms as the templates draw them. */
import { codeWord } from '../../../platform/console/views';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import type { Locale } from '../../../people/roles';
import type { FormState } from '../../../platform/console/forms';
import { emptyForm } from '../../../platform/console/forms';
import { isMessageKey, translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { SCORES, type CareStepForm } from './forms';

/** A care code in the page's language (`care.kind.inspection`), made readable when the catalogue has none. */
export const careWord = codeWord;

/** The end of today and of the coming week, in `timeZone` (the person's day, not UTC's). */
export function dayBounds(now: Date, timeZone: string): { endOfToday: Date; endOfWeek: Date } {
  const endOfToday = DateTime.fromJSDate(now).setZone(timeZone).endOf('day').plus({ milliseconds: 1 }).toJSDate();
  return { endOfToday, endOfWeek: new Date(Math.max(endOfToday.getTime(), now.getTime() + 7 * 86_400_000)) };
}

export interface Choice {
  value: string;
  label: string;
}

/** Which part of a form a field belongs to: the visit form groups its checklist and the signature. */
function groupOf(name: string): string | null {
  const head = name.split('.')[0]!;
  return head === 'checklist' || head === 'signature' || head === 'answers' ? head : null;
}

/**
 * The forms of one record as the templates draw them: one section per step, fields grouped in
 * fieldsets (checklist, the script's answers, signature), each with its label, choices and state.
 */
export function stepFormsView(
  locale: Locale,
  area: 'visit' | 'call' | 'plan',
  forms: CareStepForm[],
  base: string,
  sent: Record<string, FormState>,
  perRecord: { contacts?: Choice[]; engineers?: Choice[]; followUps?: Choice[]; initial?: Record<string, Record<string, string>> },
) {
  const word = (key: string) => translate(locale, key as MessageKey);
  return forms.map((form) => {
    const groups: Array<{ legend: string | null; fields: unknown[] }> = [];
    for (const field of form.fields) {
      const group = groupOf(field.name);
      const legend = group ? word(`care.group.${group}`) : null;
      const last = groups[groups.length - 1];
      const target = last && last.legend === legend && legend !== null ? last : { legend, fields: [] as unknown[] };
      if (target !== last) groups.push(target);
      const options =
        field.options === 'contacts'
          ? (perRecord.contacts ?? [])
          : field.options === 'engineers' || field.options === 'followUps'
            ? (perRecord[field.options] ?? [])
            : field.options === 'scores'
              ? SCORES.map((s) => ({ value: s, label: word(`care.score.${s}`) }))
              : Array.isArray(field.options)
                ? field.options.map((o) => ({ value: o, label: word(`care.option.${field.name}.${o}`) }))
                : null;
      const hintKey = [`care.hint.${area}.${form.step}.${field.name}`, `care.hint.${area}.${field.name}`].find(isMessageKey);
      target.fields.push({
        name: field.name,
        id: `${area}-${form.step}-${field.name}`,
        label: word(`care.field.${field.name}`),
        type: field.type,
        // A score has no sensible default: its select starts blank (the server still requires it).
        required: field.required === true && field.options !== 'scores',
        hint: hintKey ? translate(locale, hintKey as MessageKey) : null,
        options,
      });
    }
    return {
      step: form.step,
      title: word(`${area}.step.${form.step}`),
      action: `${base}/steps/${form.step}`,
      state: sent[form.step] ?? emptyForm(perRecord.initial?.[form.step] ?? {}),
      groups,
    };
  });
}

/** Customers' names and zones, and their contacts, for rows of several records at once. */
export async function customersOf(knex: Knex, ids: number[]): Promise<Map<number, { name: string; timeZone: string; address: string | null }>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = (await knex('customers').whereIn('id', wanted).select('id', 'name', 'time_zone', 'address')) as Array<{ id: number; name: string; time_zone: string; address: string | null }>;
  return new Map(rows.map((r) => [Number(r.id), { name: r.name, timeZone: r.time_zone, address: r.address }]));
}

export interface CallContact {
  id: number;
  name: string;
  role: string;
  phone: string | null;
  wrongNumber: boolean;
}

/** The contacts a call is to try, with their numbers and whether one was flagged as wrong. */
export async function contactsOf(knex: Knex, contactIds: number[]): Promise<CallContact[]> {
  if (contactIds.length === 0) return [];
  const rows = (await knex('customer_contacts').whereIn('id', contactIds).orderBy('id').select('id', 'name', 'role', 'phone', 'wrong_number_at')) as Array<{ id: number; name: string; role: string; phone: string | null; wrong_number_at: unknown }>;
  return rows.map((r) => ({ id: Number(r.id), name: r.name, role: r.role, phone: r.phone, wrongNumber: r.wrong_number_at !== null }));
}
