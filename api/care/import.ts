/**
 * `POST /api/care-plans/import`: a manufacturer adopting Aftercare brings its equipment in the field
 * as CSV, one row per device. Rows of the same customer, site, start date and warranty end make one
 * plan. Every row is checked first; any bad row is a 400 naming the row and the field, and nothing is
 * imported. A device already on an active plan is skipped, so importing the same file again changes
 * nothing.
 */
import { parse } from 'csv-parse/sync';
import type { User } from '../../db/repositories/users';
import { rolesReaching } from '../../domain/access';
import { validationFailed, type FieldProblem } from '../errors';
import { COLUMN, DateSchema, line } from '../fields';
import { oncePerKey } from '../idempotency';
import type { ApiDeps } from '../module';
import { defineRoute, problemsOf } from '../route';
import { z } from '../zod';
import { preparePlan, startPreparedPlan, type CreateCarePlanInput } from './plans';

export const CSV_COLUMNS = ['customerId', 'siteId', 'serial', 'model', 'startDate', 'warrantyEndsOn'] as const;

const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** One CSV row: ids as text, dates as YYYY-MM-DD; siteId, model (for a registered device) and warrantyEndsOn may be empty. */
const RowSchema = z.strictObject({
  customerId: z.coerce.number().int().min(1).max(4_294_967_295),
  siteId: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(4_294_967_295).optional()),
  serial: line(COLUMN.key),
  model: z.preprocess(blankToUndefined, line().optional()),
  startDate: DateSchema,
  warrantyEndsOn: z.preprocess(blankToUndefined, DateSchema.optional()),
});

export const ImportBody = z
  .strictObject({
    csv: z
      .string()
      .min(1)
      .max(900_000)
      .openapi({ description: `CSV text with a header row: ${CSV_COLUMNS.join(',')}; one row per device (UTF-8, comma-separated, quotes as RFC 4180)` }),
  })
  .openapi('ImportCarePlans');

const ImportResultSchema = z
  .object({
    started: z.array(z.object({ planId: z.number(), rows: z.array(z.number()) })).openapi({ description: 'Plans started, with their rows (1 = the first row after the header)' }),
    skipped: z.array(z.object({ row: z.number(), serial: z.string(), planId: z.number() })).openapi({ description: 'Devices already on an active plan' }),
  })
  .openapi('CarePlanImport');

type ImportResult = z.infer<typeof ImportResultSchema>;

/** The rows as records, or the problems naming each bad row (`rows.3.startDate`). */
function readRows(csv: string): { rows: z.output<typeof RowSchema>[]; problems: FieldProblem[] } {
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (error) {
    const lineNo = (error as { lines?: number }).lines;
    return { rows: [], problems: [{ field: lineNo ? `csv.line.${lineNo}` : 'csv', message: `not readable as CSV: ${(error as Error).message}` }] };
  }
  if (records.length === 0) return { rows: [], problems: [{ field: 'csv', message: `no rows after the header (${CSV_COLUMNS.join(',')})` }] };
  const missing = CSV_COLUMNS.filter((c) => c !== 'siteId' && c !== 'model' && c !== 'warrantyEndsOn' && !(c in records[0]!));
  if (missing.length > 0) return { rows: [], problems: missing.map((c) => ({ field: `csv.${c}`, message: `the header has no column ${c}` })) };
  const rows: z.output<typeof RowSchema>[] = [];
  const problems: FieldProblem[] = [];
  records.forEach((record, i) => {
    const result = RowSchema.safeParse(record);
    if (result.success) rows.push(result.data);
    else problems.push(...problemsOf(result.error, 'row').map((p) => ({ field: `rows.${i + 1}.${p.field}`, message: `row ${i + 1}: ${p.message}` })));
  });
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const first = seen.get(row.serial);
    if (first !== undefined) problems.push({ field: `rows.${i + 1}.serial`, message: `row ${i + 1}: serial ${row.serial} is on row ${first} too` });
    else seen.set(row.serial, i + 1);
  });
  return { rows, problems };
}

/** Checks every row against the records, then starts one plan per group of rows; see the module comment. */
export async function importCarePlans(deps: ApiDeps, csv: string): Promise<ImportResult> {
  const { rows, problems } = readRows(csv);
  if (problems.length > 0) throw validationFailed(problems, `${problems.length} problem(s) in the file; nothing was imported`);
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = [row.customerId, row.siteId ?? '', row.startDate, row.warrantyEndsOn ?? ''].join('|');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const prepared = [];
  for (const indexes of groups.values()) {
    const first = rows[indexes[0]!]!;
    const input: CreateCarePlanInput = { customerId: first.customerId, siteId: first.siteId, startDate: first.startDate, warrantyEndsOn: first.warrantyEndsOn, devices: indexes.map((i) => ({ serial: rows[i]!.serial, model: rows[i]!.model })) };
    // A device's fields are named by its row: devices.2.model → rows.<row>.model.
    const fieldOf = (name: string) => {
      const device = /^devices\.(\d+)\.(\w+)$/.exec(name);
      return device ? `rows.${indexes[Number(device[1])]! + 1}.${device[2]}` : `rows.${indexes[0]! + 1}.${name}`;
    };
    const checked = await preparePlan(deps.knex, input, fieldOf);
    problems.push(...checked.problems.map((p) => ({ ...p, message: `${p.field.split('.').slice(0, 2).join(' ')}: ${p.message}` })));
    if (checked.prepared) prepared.push({ indexes, plan: checked.prepared });
  }
  if (problems.length > 0) throw validationFailed(problems, `${problems.length} problem(s) in the file; nothing was imported`);

  const result: ImportResult = { started: [], skipped: [] };
  for (const { indexes, plan } of prepared) {
    const coveredSerials = new Set(plan.covered.map((c) => c.serial));
    for (const c of plan.covered) result.skipped.push({ row: indexes[c.index]! + 1, serial: c.serial, planId: c.planId });
    const existing = plan.existing.filter((d) => !coveredSerials.has(d.serial));
    if (existing.length === 0 && plan.added.length === 0) continue;
    const started = await startPreparedPlan(deps, { ...plan, existing, covered: [] });
    result.started.push({ planId: started.id, rows: indexes.filter((i) => !coveredSerials.has(rows[i]!.serial)).map((i) => i + 1) });
  }
  return result;
}

export const importCarePlansRoute = defineRoute(
  {
    method: 'post',
    path: '/care-plans/import',
    roles: rolesReaching('care_plan', 'act'),
    access: { rule: 'collection', resource: 'care_plan', action: 'act' },
    summary: 'Import equipment in the field from CSV (one row per device): one plan per customer, site, start date and warranty end',
    description: `Columns: ${CSV_COLUMNS.join(', ')}. Every row is checked first: any problem is a 400 naming \`rows.<n>.<column>\` and nothing is imported. Devices already on an active plan are skipped, so the same file again imports nothing new.`,
    tags: ['asset care'],
    body: ImportBody,
    idempotent: true,
    responses: { 200: { description: 'Imported', body: ImportResultSchema } },
    errors: { 503: 'The process engine is not reachable; plans started before it went are kept (importing the file again finishes the rest)' },
  },
  async ({ body, deps, user, req, res, idempotencyKey }) => {
    res.locals.audit = { entityType: 'care_plan_import', entityId: (user as User).id };
    return (await oncePerKey(deps, user, idempotencyKey, req, async () => ({ status: 200 as const, body: await importCarePlans(deps, body.csv) }))) as { status: 200; body: ImportResult };
  },
);
