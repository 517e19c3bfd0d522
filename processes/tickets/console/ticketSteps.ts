/**
 * Every ticket step as a console form: its fields, and how the strings a form sends become the
 * API's body (numbers, Money from "200.00" and a currency, a checkbox, one part line). The API's own
 * schema then judges the body, and its problems are put back beside the form's fields.
 */
import type { MessageKey } from '../../../platform/i18n/catalogue';

type FieldType = 'text' | 'number' | 'checkbox';
export interface StepField {
  name: string;
  type?: FieldType;
  required?: boolean;
  hint?: MessageKey;
}

const money = (name: string, required = true): StepField => ({ name, required, hint: 'ticket.hint.money' });
const part: StepField[] = [{ name: 'partNumber' }, { name: 'partQuantity', type: 'number' }, money('partUnitCost', false)];
const currency: StepField = { name: 'currency', required: true, hint: 'ticket.hint.currency' };

/** In the order a ticket usually takes them. */
export const STEP_FORMS: { step: string; fields: StepField[] }[] = [
  { step: 'assign', fields: [{ name: 'engineerUserId', type: 'number', required: true, hint: 'ticket.hint.engineer' }] },
  { step: 'acknowledge', fields: [] },
  { step: 'quote', fields: [{ name: 'labourMinutes', type: 'number', required: true }, money('labourRate'), money('travel'), ...part, currency, { name: 'note' }] },
  { step: 'quote-accepted', fields: [] },
  { step: 'quote-refused', fields: [] },
  { step: 'arrive', fields: [] },
  { step: 'hold', fields: [{ name: 'reason', required: true, hint: 'ticket.hint.holdReason' }, { name: 'note' }] },
  { step: 'resume', fields: [] },
  { step: 'level', fields: [{ name: 'level', type: 'number', required: true }, { name: 'levelReason', required: true }] },
  {
    step: 'resolve',
    fields: [{ name: 'diagnosis', required: true }, { name: 'workDone', required: true }, { name: 'qualityFault', type: 'checkbox' }, { name: 'labourMinutes', type: 'number', required: true }, money('labourRate'), money('travel'), ...part, currency, { name: 'customerSignature' }],
  },
  { step: 'backup-unit', fields: [{ name: 'serial', required: true }] },
  { step: 'factory-repair', fields: [{ name: 'action', required: true, hint: 'ticket.hint.factoryAction' }] },
  { step: 'replace', fields: [{ name: 'serial', required: true }] },
  // A complaint closes with its root cause and resolution; a repair's close takes none of these.
  { step: 'close', fields: [{ name: 'rootCause' }, { name: 'resolution' }, { name: 'category', hint: 'ticket.hint.category' }] },
  { step: 'survey', fields: [{ name: 'score', type: 'number', required: true }, { name: 'comment' }, { name: 'notSatisfied', type: 'checkbox' }] },
  { step: 'reopen', fields: [{ name: 'reopenReason', required: true }] },
];

/** "200.00" (or "200") in major units → minor units; anything else is passed on for the API to refuse. */
function minorUnits(text: string): number | string {
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text.trim());
  return match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : text;
}

const wholeNumber = (text: string): number | string => (/^-?\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : text);

/** Form fields whose API name differs (the API's `reason` of level and reopen, a part's fields). */
const API_NAMES: Record<string, string> = { levelReason: 'reason', reopenReason: 'reason' };

/** The API body of a step from the form's values. */
export function stepBody(fields: StepField[], values: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const cur = values.currency?.trim() || 'CNY';
  for (const field of fields) {
    const value = values[field.name] ?? '';
    if (field.name === 'currency' || field.name.startsWith('part')) continue;
    if (field.type === 'checkbox') body[field.name] = value !== '';
    else if (field.hint === 'ticket.hint.money') body[field.name] = { amount: minorUnits(value), currency: cur };
    else if (value.trim() === '' && !field.required) continue;
    else body[API_NAMES[field.name] ?? field.name] = field.type === 'number' ? wholeNumber(value) : value.trim();
  }
  // survey's "not satisfied" is sent only when ticked.
  if (body.notSatisfied === false) delete body.notSatisfied;
  if (fields.some((f) => f.name === 'partNumber')) {
    body.parts = values.partNumber?.trim() ? [{ partNumber: values.partNumber.trim(), quantity: wholeNumber(values.partQuantity ?? ''), unitCost: { amount: minorUnits(values.partUnitCost ?? ''), currency: cur } }] : [];
  }
  return body;
}

/** The form field an API problem belongs to (`labourRate.amount` → labourRate, `parts.0.quantity` → partQuantity). */
export function formFieldOf(step: string, apiField: string): string {
  const [head, index, leaf] = apiField.split('.');
  if (head === 'parts' && index !== undefined) return leaf === 'quantity' ? 'partQuantity' : leaf === 'unitCost' ? 'partUnitCost' : 'partNumber';
  if (head === 'reason' && step === 'level') return 'levelReason';
  if (head === 'reason' && step === 'reopen') return 'reopenReason';
  return head ?? apiField;
}
