/**
 * Every project step as a form: which fields it has (as the API names them, dotted), how a posted
 * form becomes the API's JSON body, and in which stage it is offered. The body is then judged by
 * the API's own schema and sent as the API's own workflow update (console/pages/projectSteps.ts).
 */
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import * as s from '../useCases/schemas';
import { DOA_DAMAGE_CAUSES, type ProjectStage } from '../rules';
import {
  cancelUpdate,
  doaReceivedUpdate,
  doaReturnedUpdate,
  doaShippedUpdate,
  finalAcceptanceUpdate,
  handoverUpdate,
  initialAcceptanceUpdate,
  installationCompleteUpdate,
  kickoffUpdate,
  resolveTrialIssueUpdate,
  trialIssueUpdate,
  trialReportUpdate,
  unboxingUpdate,
  weeklyReportUpdate,
} from '../messages';

export type InputType = 'text' | 'textarea' | 'date' | 'number' | 'checkbox' | 'select' | 'signers';

/** A `signers` column is one name input per party; the filled ones become the API's signatures. */
export const SIGNING_PARTIES = ['customer', 'company'] as const;

/** One input; `options` for selects: codes whose words are `option.<code>` messages. */
export interface InputSpec {
  name: string;
  type: InputType;
  options?: readonly string[];
  required?: boolean;
}

/** A field: one input, a list of plain values (`acceptanceItems.0`…), or a table of rows of inputs. */
export type FieldSpec = InputSpec | { name: string; type: 'list'; rows: number } | { name: string; type: 'rows'; rows: number; columns: InputSpec[] };

// Each update is typed by its own payload; the page only forwards it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyUpdate = UpdateDefinition<any, [any]>;

export interface StepForm {
  /** The API path's last part: POST /api/projects/:id/<path> (or …/doa/:serial/<path>). */
  path: string;
  schema: z.ZodType;
  update: AnyUpdate;
  fields: FieldSpec[];
  /** Stages the step is offered in; the workflow decides in the end. */
  stages: readonly ProjectStage[] | 'open';
  /** A DOA step runs on the case's workflow, chosen by `serial`; a trial issue's resolution names `issueId`. */
  target?: 'doa' | 'issue';
}

const SIGNATURES: FieldSpec = { name: 'signatures', type: 'rows', rows: 2, columns: [{ name: 'name', type: 'text' }, { name: 'party', type: 'select', options: ['customer', 'company'] }] };
const TEST_RECORDS: FieldSpec = { name: 'testRecords', type: 'rows', rows: 5, columns: [{ name: 'name', type: 'text' }, { name: 'passed', type: 'checkbox' }, { name: 'signatures', type: 'signers' }] };
const ISSUES = (name: string): FieldSpec => ({ name, type: 'rows', rows: 3, columns: [{ name: 'title', type: 'text' }, { name: 'description', type: 'textarea' }] });
const OPEN_STAGES: readonly ProjectStage[] = ['awaiting_kickoff', 'awaiting_unboxing', 'installing', 'initial_acceptance', 'trial_run', 'final_acceptance', 'handover'];

export const STEP_FORMS = {
  kickoff: {
    path: 'kickoff', schema: s.KickoffBody, update: kickoffUpdate, stages: ['awaiting_kickoff'],
    fields: [{ name: 'meetingDate', type: 'date', required: true }, { name: 'plan', type: 'textarea' }, { name: 'acceptanceItems', type: 'list', rows: 5 }, { name: 'completionCriteria', type: 'textarea' }],
  },
  unboxing: {
    path: 'unboxing', schema: s.UnboxingBody, update: unboxingUpdate, stages: ['awaiting_unboxing'],
    fields: [
      { name: 'items', type: 'rows', rows: 0, columns: [{ name: 'serial', type: 'text' }, { name: 'condition', type: 'select', options: ['ok', 'damaged'], required: true }, { name: 'damage.description', type: 'textarea' }, { name: 'damage.cause', type: 'select', options: DOA_DAMAGE_CAUSES }] },
      SIGNATURES,
    ],
  },
  'weekly-reports': { path: 'weekly-reports', schema: s.WeeklyReportBody, update: weeklyReportUpdate, stages: ['installing'], fields: [{ name: 'summary', type: 'textarea' }, TEST_RECORDS] },
  'installation-complete': { path: 'installation-complete', schema: s.InstallationCompleteBody, update: installationCompleteUpdate, stages: ['installing'], fields: [TEST_RECORDS] },
  'initial-acceptance': {
    path: 'initial-acceptance', schema: s.InitialAcceptanceBody, update: initialAcceptanceUpdate, stages: ['initial_acceptance'],
    fields: [{ name: 'items', type: 'rows', rows: 5, columns: [{ name: 'name', type: 'text' }, { name: 'passed', type: 'checkbox' }, { name: 'signedBy', type: 'text' }] }, ISSUES('leftoverIssues'), SIGNATURES],
  },
  'trial-issues': { path: 'trial-issues', schema: s.TrialIssueBody, update: trialIssueUpdate, stages: ['trial_run'], fields: [{ name: 'title', type: 'text' }, { name: 'description', type: 'textarea' }] },
  'resolve-issue': { path: 'resolve', schema: s.ResolveIssueBody, update: resolveTrialIssueUpdate, stages: ['trial_run', 'final_acceptance'], target: 'issue', fields: [{ name: 'resolution', type: 'textarea' }] },
  'trial-report': { path: 'trial-report', schema: s.TrialReportBody, update: trialReportUpdate, stages: ['trial_run'], fields: [{ name: 'summary', type: 'textarea' }] },
  'final-acceptance': {
    path: 'final-acceptance', schema: s.FinalAcceptanceBody, update: finalAcceptanceUpdate, stages: ['final_acceptance'],
    fields: [
      { name: 'passed', type: 'checkbox' },
      { name: 'scores.hardware', type: 'number' },
      { name: 'scores.software', type: 'number' },
      { name: 'scores.documents', type: 'number' },
      { name: 'scores.satisfaction', type: 'number' },
      ISSUES('issues'),
      SIGNATURES,
    ],
  },
  handover: { path: 'handover', schema: s.HandoverBody, update: handoverUpdate, stages: ['handover'], fields: [{ name: 'documents', type: 'rows', rows: 5, columns: [{ name: 'name', type: 'text' }, { name: 'delivered', type: 'checkbox' }] }, SIGNATURES] },
  cancel: { path: 'cancel', schema: s.CancelBody, update: cancelUpdate, stages: OPEN_STAGES, fields: [{ name: 'reason', type: 'textarea', required: true }] },
  'doa-shipped': { path: 'shipped', schema: s.DoaShippedBody, update: doaShippedUpdate, stages: 'open', target: 'doa', fields: [{ name: 'replacementSerial', type: 'text' }] },
  'doa-received': { path: 'received', schema: s.DoaReceivedBody, update: doaReceivedUpdate, stages: 'open', target: 'doa', fields: [] },
  'doa-returned': { path: 'returned', schema: s.DoaReturnedBody, update: doaReturnedUpdate, stages: 'open', target: 'doa', fields: [{ name: 'acceptable', type: 'checkbox' }, { name: 'note', type: 'textarea' }] },
} satisfies Record<string, StepForm>;

export type StepName = keyof typeof STEP_FORMS;
export const STEP_NAMES = Object.keys(STEP_FORMS) as StepName[];

export function isStepName(value: unknown): value is StepName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(STEP_FORMS, value);
}

export function offeredIn(step: StepForm, stage: ProjectStage): boolean {
  return step.stages === 'open' ? OPEN_STAGES.includes(stage) : step.stages.includes(stage);
}

/** Every form field name a step may post, rows numbered 0…rows-1 (`signatures.1.party`). */
export function fieldNames(step: StepForm, rowsOf: (field: FieldSpec) => number): string[] {
  return step.fields.flatMap((field) => {
    if (field.type === 'list') return Array.from({ length: rowsOf(field) }, (_, i) => `${field.name}.${i}`);
    if (field.type === 'rows') return Array.from({ length: rowsOf(field) }, (_, i) => field.columns.flatMap((c) => inputNames(c, `${field.name}.${i}.${c.name}`))).flat();
    return [field.name];
  });
}

/** The form names of one input: a `signers` input has one per party (`….signatures.customer`). */
export function inputNames(input: InputSpec, name: string): string[] {
  return input.type === 'signers' ? SIGNING_PARTIES.map((party) => `${name}.${party}`) : [name];
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]!] = value;
}

/** A posted value as the API's type: '' is absent, a checkbox is a boolean, a number a number. */
function typed(input: InputSpec, raw: string | undefined): unknown {
  if (input.type === 'checkbox') return raw === 'true';
  if (input.type === 'signers') return undefined;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (input.type === 'number') return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  return raw;
}

export interface FormBody {
  body: Record<string, unknown>;
  /** Kept rows' positions in the form, per table (`signatures` → [0, 1]): empty rows are left out of the body. */
  rowsKept: Record<string, number[]>;
}

/**
 * The JSON body the API takes, from the posted form. Empty list entries and table rows whose text
 * inputs are all empty are left out; a row's nested object (`damage`) is left out when all of it is empty.
 */
export function formToBody(step: StepForm, values: Record<string, string>, rowsOf: (field: FieldSpec) => number): FormBody {
  const body: Record<string, unknown> = {};
  const rowsKept: Record<string, number[]> = {};
  for (const field of step.fields) {
    if (field.type === 'list') {
      const items = Array.from({ length: rowsOf(field) }, (_, i) => values[`${field.name}.${i}`]?.trim() ?? '');
      const kept = items.flatMap((item, i) => (item === '' ? [] : [i]));
      rowsKept[field.name] = kept;
      if (kept.length > 0) body[field.name] = kept.map((i) => items[i]);
    } else if (field.type === 'rows') {
      const rows: Record<string, unknown>[] = [];
      const kept: number[] = [];
      for (let i = 0; i < rowsOf(field); i += 1) {
        const texts = field.columns.filter((c) => c.type !== 'checkbox' && c.type !== 'select' && c.type !== 'signers');
        if (texts.every((c) => (values[`${field.name}.${i}.${c.name}`] ?? '').trim() === '')) continue;
        const row: Record<string, unknown> = {};
        for (const column of field.columns) {
          if (column.type === 'signers') {
            const base = `${field.name}.${i}.${column.name}`;
            row[column.name] = SIGNING_PARTIES.flatMap((party) => ((values[`${base}.${party}`] ?? '').trim() === '' ? [] : [{ name: values[`${base}.${party}`]!.trim(), party }]));
            continue;
          }
          const value = typed(column, values[`${field.name}.${i}.${column.name}`]);
          if (value !== undefined) setPath(row, column.name, value);
        }
        rows.push(row);
        kept.push(i);
      }
      rowsKept[field.name] = kept;
      if (rows.length > 0) body[field.name] = rows;
    } else {
      const value = typed(field, values[field.name]);
      if (value !== undefined) setPath(body, field.name, value);
    }
  }
  return { body, rowsKept };
}

/** An API field name (`signatures.0.name`, body rows) as the form's (`signatures.1.name`, the row shown). */
export function formFieldOf(apiField: string, rowsKept: Record<string, number[]>): string {
  const match = /^([^.]+)\.(\d+)(\..*)?$/.exec(apiField);
  if (!match) return apiField;
  const shown = rowsKept[match[1]!]?.[Number(match[2])];
  return shown === undefined ? apiField : `${match[1]}.${shown}${match[3] ?? ''}`;
}
