/**
 * The dealer-warranty step forms of the console: each form's fields, and how the strings a form sends
 * become the API command's body (numbers, lists of ids, money from "200.00", dates and times). The
 * API's own schemas then judge the body, and their problems are put back beside the form's fields.
 */
import { lineCurrency, type ClaimLineInput } from '../claims/rules';
import type { MessageKey } from '../../../platform/i18n/catalogue';

export type FieldType = 'text' | 'number' | 'date' | 'datetime-local' | 'textarea' | 'select' | 'month';

export interface FormField {
  name: string;
  type?: FieldType;
  required?: boolean;
  /** For a select: the values offered (labels: `dealer.option.<value>`). */
  options?: readonly string[];
  hint?: MessageKey;
}

export interface DealerForm {
  id: string;
  fields: FormField[];
  /** The API body from the form's values. */
  body(values: Record<string, string>): Record<string, unknown>;
}

/** "200.00" (or "200") in major units → minor units; anything else is passed on for the API to refuse. */
export function minorUnits(text: string): number | string {
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text.trim());
  return match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : text;
}

const wholeNumber = (text: string): number | string => (/^-?\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : text);

/** "3, 5 7" → [3, 5, 7]; a token that is no number is passed on for the API to refuse. */
export function numberList(text: string): Array<number | string> {
  return text
    .split(/[\s,，]+/)
    .filter((token) => token !== '')
    .map(wholeNumber);
}

/** "1.5" hours → 150 hundredths. */
function hundredths(text: string): number | string {
  const minor = minorUnits(text);
  return typeof minor === 'number' ? minor : text;
}

/** A `datetime-local` value (the console's zone, Shanghai) as an instant the API reads. */
const shanghaiInstant = (text: string): string => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text.trim()) ? `${text.trim()}:00+08:00` : text);

const money = (text: string, currency: string) => ({ amount: minorUnits(text), currency });
const optional = (name: string, value: string | undefined): Record<string, string> => (value?.trim() ? { [name]: value.trim() } : {});
const currencyField: FormField = { name: 'currency', required: true, hint: 'dealer.hint.currency' };
const moneyField = (name: string, required = false): FormField => ({ name, required, hint: 'dealer.hint.money' });

/** "P-100 4" per line (part number, quantity) → plan lines. */
function planLines(text: string): Array<{ partNo: string; quantity: number | string }> {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [partNo = '', quantity = ''] = line.split(/\s+/);
      return { partNo, quantity: wholeNumber(quantity) };
    });
}

export const FORMS = {
  run: { id: 'run', fields: [{ name: 'period', required: true, hint: 'dealer.hint.period' }], body: (v) => ({ period: v.period?.trim() ?? '' }) },
  review: {
    id: 'review',
    fields: [{ name: 'holdLineIds', hint: 'dealer.hint.lineIds' }, { name: 'answer', type: 'textarea', hint: 'dealer.hint.answer' }],
    body: (v) => ({ holdLineIds: numberList(v.holdLineIds ?? ''), ...optional('answer', v.answer) }),
  },
  confirm: { id: 'confirm', fields: [{ name: 'version', type: 'number', required: true }], body: (v) => ({ version: wholeNumber(v.version ?? '') }) },
  dispute: {
    id: 'dispute',
    fields: [{ name: 'reason', type: 'textarea', required: true }, { name: 'claimLineIds', hint: 'dealer.hint.lineIds' }],
    body: (v) => ({ reason: v.reason ?? '', claimLineIds: numberList(v.claimLineIds ?? '') }),
  },
  card: {
    id: 'card',
    fields: [{ name: 'cardDate', type: 'date', required: true }, { name: 'customerPhone' }, { name: 'customerAddress' }],
    body: (v) => ({ cardDate: v.cardDate ?? '', ...optional('customerPhone', v.customerPhone), ...optional('customerAddress', v.customerAddress) }),
  },
  claim: {
    id: 'claim',
    fields: [
      { name: 'deviceSerial', required: true },
      { name: 'faultCode', required: true },
      { name: 'repairDate', type: 'date', required: true },
      { name: 'workDone', type: 'textarea', required: true },
      { name: 'signatureRef' },
      { name: 'partNo' },
      { name: 'partQuantity', type: 'number' },
      moneyField('partUnitPrice'),
      { name: 'labourOperation' },
      { name: 'labourHours', hint: 'dealer.hint.hours' },
      moneyField('labourRate'),
      moneyField('travel'),
      moneyField('otherAmount'),
      { name: 'otherDescription' },
      currencyField,
    ],
    body(v) {
      const cur = v.currency?.trim() || 'CNY';
      const lines: unknown[] = [];
      if (v.partNo?.trim()) lines.push({ kind: 'part', partNo: v.partNo.trim(), quantity: wholeNumber(v.partQuantity ?? ''), unitPrice: money(v.partUnitPrice ?? '', cur) });
      if (v.labourOperation?.trim()) {
        lines.push({ kind: 'labour', operation: v.labourOperation.trim(), hundredthsOfHour: hundredths(v.labourHours ?? ''), rate: money(v.labourRate ?? '', cur), ...(lines.length > 0 ? { partLineNo: 1 } : {}) });
      }
      if (v.travel?.trim()) lines.push({ kind: 'travel', amount: money(v.travel, cur) });
      if (v.otherAmount?.trim()) lines.push({ kind: 'other', amount: money(v.otherAmount, cur), description: v.otherDescription?.trim() ?? '' });
      return { deviceSerial: v.deviceSerial?.trim() ?? '', faultCode: v.faultCode?.trim() ?? '', repairDate: v.repairDate ?? '', workDone: v.workDone ?? '', ...optional('signatureRef', v.signatureRef), lines };
    },
  },
  'parts-received': {
    id: 'parts-received',
    fields: [{ name: 'lineNos', required: true, hint: 'dealer.hint.lineNos' }, { name: 'receivedOn', type: 'date', required: true }],
    body: (v) => ({ lineNos: numberList(v.lineNos ?? ''), receivedOn: v.receivedOn ?? '' }),
  },
  appraisal: {
    id: 'appraisal',
    fields: [{ name: 'lineNo', type: 'number', required: true }, { name: 'appraisal', type: 'select', required: true, options: ['quality_fault', 'not_quality_fault', 'usable', 'scrap'] }],
    body: (v) => ({ appraisals: [{ lineNo: wholeNumber(v.lineNo ?? ''), appraisal: v.appraisal ?? '' }] }),
  },
  audit: { id: 'audit', fields: [{ name: 'note', type: 'textarea', required: true }], body: (v) => ({ note: v.note ?? '' }) },
  decision: {
    id: 'decision',
    fields: [
      { name: 'lineNo', type: 'number', required: true },
      { name: 'kind', type: 'select', required: true, options: ['approve', 'approve_part', 'reject', 'send_back'] },
      moneyField('amount'),
      { name: 'reason', type: 'textarea' },
      currencyField,
    ],
    body(v) {
      const kind = v.kind ?? '';
      const decision: Record<string, unknown> = { lineNo: wholeNumber(v.lineNo ?? ''), kind };
      if (kind === 'approve_part') decision.amount = money(v.amount ?? '', v.currency?.trim() || 'CNY');
      if (kind === 'reject' || kind === 'send_back') decision.reason = v.reason ?? '';
      return { decisions: [decision] };
    },
  },
  resubmit: {
    id: 'resubmit',
    fields: [{ name: 'lineNo', type: 'number', required: true }, moneyField('amount', true), { name: 'partQuantity', type: 'number' }, { name: 'labourHours', hint: 'dealer.hint.hours' }, { name: 'otherDescription' }],
    // The amended line is built from the claim's own line (its kind): see amendedLine.
    body: (v) => ({ lineNo: wholeNumber(v.lineNo ?? ''), amount: v.amount ?? '', partQuantity: v.partQuantity ?? '', labourHours: v.labourHours ?? '', otherDescription: v.otherDescription ?? '' }),
  },
  arrange: {
    id: 'arrange',
    fields: [{ name: 'visitAt', type: 'datetime-local', required: true }, { name: 'arrangement', type: 'textarea', required: true }],
    body: (v) => ({ visitAt: shanghaiInstant(v.visitAt ?? ''), arrangement: v.arrangement ?? '' }),
  },
  check: { id: 'check', fields: [{ name: 'note', type: 'textarea', required: true }], body: (v) => ({ note: v.note ?? '' }) },
  plan: {
    id: 'plan',
    fields: [{ name: 'seasonStart', type: 'date', required: true }, { name: 'planLines', type: 'textarea', required: true, hint: 'dealer.hint.planLines' }, { name: 'note', type: 'textarea' }],
    body: (v) => ({ seasonStart: v.seasonStart ?? '', lines: planLines(v.planLines ?? ''), ...optional('note', v.note) }),
  },
} satisfies Record<string, DealerForm>;

export type FormId = keyof typeof FORMS;

/**
 * The dealer's amendment of one line sent back, as the API's resubmit body: the line keeps its kind;
 * `amount` is a part's unit price, labour's rate, or travel's or another cost's amount; a part may
 * change its quantity, labour its hours, another cost its description.
 */
export function amendedLine(current: ClaimLineInput, form: Record<string, string>): Record<string, unknown> {
  const money = (text: string) => ({ amount: minorUnits(text), currency: lineCurrency(current) });
  const amount = form.amount ?? '';
  switch (current.kind) {
    case 'part':
      return { kind: 'part', partNo: current.partNo, quantity: form.partQuantity?.trim() ? wholeNumber(form.partQuantity) : current.quantity, unitPrice: money(amount) };
    case 'labour':
      return { kind: 'labour', operation: current.operation, hundredthsOfHour: form.labourHours?.trim() ? hundredths(form.labourHours) : current.hundredthsOfHour, rate: money(amount), ...(current.partLineNo !== undefined ? { partLineNo: current.partLineNo } : {}) };
    case 'travel':
      return { kind: 'travel', amount: money(amount) };
    case 'other':
      return { kind: 'other', amount: money(amount), description: form.otherDescription?.trim() || current.description };
  }
}

/**
 * The form field an API problem belongs to: the field itself, else the form field its path starts
 * with or stands for (`lines.0.quantity` → planLines on the plan form, `decisions.0.amount` → amount);
 * a problem with no such field is shown above the form.
 */
export function formFieldOf(form: DealerForm, apiField: string): string {
  const names = form.fields.map((f) => f.name);
  if (names.includes(apiField)) return apiField;
  const segments = apiField.split('.');
  const head = segments[0] ?? apiField;
  if (names.includes(head)) return head;
  if (form.id === 'plan' && head === 'lines') return 'planLines';
  const leaf = [...segments].reverse().find((s) => names.includes(s));
  if (leaf) return leaf;
  if (head === 'appraisals' || head === 'decisions') return segments.length > 2 ? (segments[2] === 'appraisal' ? 'appraisal' : 'lineNo') : 'lineNo';
  return apiField;
}
