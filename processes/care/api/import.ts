/**
 * `POST /api/care-plans/import`: a manufacturer adopting Aftercare brings its equipment in the field
 * as CSV, one row per device. Rows of the same customer, site, start date and warranty end make one
 * plan. Every row is checked first; any bad row is a 400 naming the row and the field, and nothing is
 * imported. A device already on an active plan is skipped, so importing the same file again changes
 * nothing.
 */
import { parse } from 'csv-parse/sync';
import type { User } from '../../../people/repository';
import { rolesReaching } from '../../../domain/access';
import { validationFailed, type FieldProblem } from '../../../platform/http/errors';
import { COLUMN, DateSchema, line, prose } from '../../../platform/http/fields';
import { oncePerKey } from '../../../platform/http/idempotency';
import type { ApiDeps } from '../../../platform/http/module';
import { defineRoute } from '../../../platform/http/route';
import { problemsOf } from '../../../platform/http/problemMessages';
import type { StartAttempt } from '../../../platform/temporal/processStarts';
import { z } from '../../../platform/http/zod';
import { preparePlan, startPreparedPlan, type CreateCarePlanInput } from '../useCases/plans';
import { readerLocale } from '../../../platform/http/problemMessages';
import { say } from '../../../platform/i18n/catalogue';
import { words, type WordValue } from '../../../domain/words';
import type { Locale } from '../../../domain/locale';

export const CSV_COLUMNS = ['customerId', 'siteId', 'serial', 'model', 'startDate', 'warrantyEndsOn'] as const;
const REQUIRED_COLUMNS = ['customerId', 'serial', 'startDate'] as const;

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
    csv: prose(900_000).openapi({ description: `CSV text with a header row: ${CSV_COLUMNS.join(',')}; one row per device (UTF-8, comma-separated, quotes as RFC 4180)` }),
  })
  .openapi('ImportCarePlans');

const ImportResultSchema = z
  .object({
    started: z.array(z.object({ planId: z.number(), rows: z.array(z.number()) })).openapi({ description: 'Plans started, with their rows (1 = the first row after the header)' }),
    skipped: z.array(z.object({ row: z.number(), serial: z.string(), planId: z.number() })).openapi({ description: 'Devices already on an active plan' }),
  })
  .openapi('CarePlanImport');

type ImportResult = z.infer<typeof ImportResultSchema>;

interface CsvRow {
  /** 1 = the first row after the header. */
  no: number;
  data: z.output<typeof RowSchema>;
}

/** The rows that read well, and the problems naming each bad row (`rows.3.startDate`). */
function readRows(csv: string, locale: Locale): { rows: CsvRow[]; problems: FieldProblem[] } {
  const told = (key: string, params: Record<string, WordValue> = {}) => say(locale, words(key, params));
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (error) {
    const lineNo = (error as { lines?: number }).lines;
    return { rows: [], problems: [{ field: lineNo ? `csv.line.${lineNo}` : 'csv', message: told('refusal.care.import.unreadable', { why: (error as Error).message }) }] };
  }
  if (records.length === 0) return { rows: [], problems: [{ field: 'csv', message: told('refusal.care.import.noRows', { columns: CSV_COLUMNS.join(',') }) }] };
  const missing = REQUIRED_COLUMNS.filter((c) => !(c in records[0]!));
  if (missing.length > 0) return { rows: [], problems: missing.map((c) => ({ field: `csv.${c}`, message: told('refusal.care.import.noColumn', { column: c }) })) };
  const rows: CsvRow[] = [];
  const problems: FieldProblem[] = [];
  const seen = new Map<string, number>();
  records.forEach((record, i) => {
    const no = i + 1;
    const result = RowSchema.safeParse(record);
    if (!result.success) {
      problems.push(...problemsOf(result.error, 'row', locale).map((p) => ({ field: `rows.${no}.${p.field}`, message: told('refusal.care.import.row', { row: no, problem: p.message }) })));
      return;
    }
    const first = seen.get(result.data.serial);
    if (first !== undefined) problems.push({ field: `rows.${no}.serial`, message: told('refusal.care.import.row', { row: no, problem: told('refusal.care.import.serialOnRow', { serial: result.data.serial, first }) }) });
    else seen.set(result.data.serial, no);
    rows.push({ no, data: result.data });
  });
  return { rows, problems };
}

/** Checks every row (its form, then against the records), then starts one plan per group of rows; see the module comment. */
export async function importCarePlans(deps: ApiDeps, csv: string, locale: Locale = 'en'): Promise<ImportResult> {
  const { rows, problems } = readRows(csv, locale);
  const groups = new Map<string, CsvRow[]>();
  for (const row of rows) {
    const d = row.data;
    const key = [d.customerId, d.siteId ?? '', d.startDate, d.warrantyEndsOn ?? ''].join('|');
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const prepared = [];
  for (const group of groups.values()) {
    const first = group[0]!.data;
    const input: CreateCarePlanInput = { customerId: first.customerId, siteId: first.siteId, startDate: first.startDate, warrantyEndsOn: first.warrantyEndsOn, devices: group.map((r) => ({ serial: r.data.serial, model: r.data.model })) };
    // A device's fields are named by its row: devices.2.model → rows.<its row>.model; the plan's by its first row.
    const fieldOf = (name: string) => {
      const device = /^devices\.(\d+)\.(\w+)$/.exec(name);
      return device ? `rows.${group[Number(device[1])]!.no}.${device[2]}` : `rows.${group[0]!.no}.${name}`;
    };
    const checked = await preparePlan(deps.knex, input, fieldOf, locale);
    problems.push(...checked.problems.map((p) => ({ ...p, message: say(locale, words('refusal.care.import.row', { row: p.field.split('.')[1] ?? '', problem: p.message })) })));
    if (checked.prepared) prepared.push({ group, plan: checked.prepared });
  }
  if (problems.length > 0) throw validationFailed(problems, say(locale, words('refusal.care.import.problems', { count: problems.length })));

  const result: ImportResult = { started: [], skipped: [] };
  // One failed start (the engine down) leaves the other plans' starts to the reconciler, not each its own wait.
  const attempt: StartAttempt = { tryNow: true };
  for (const { group, plan } of prepared) {
    const coveredSerials = new Set(plan.covered.map((c) => c.serial));
    for (const c of plan.covered) result.skipped.push({ row: group[c.index]!.no, serial: c.serial, planId: c.planId });
    const existing = plan.existing.filter((d) => !coveredSerials.has(d.serial));
    if (existing.length === 0 && plan.added.length === 0) continue;
    const started = await startPreparedPlan(deps, { ...plan, existing, covered: [] }, attempt);
    result.started.push({ planId: started.id, rows: group.filter((r) => !coveredSerials.has(r.data.serial)).map((r) => r.no) });
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
    errors: { 503: 'No process engine configured; nothing was imported' },
  },
  async ({ body, deps, user, req, res, idempotencyKey }) => {
    res.locals.audit = { entityType: 'care_plan_import', entityId: (user as User).id };
    return (await oncePerKey(deps, user, idempotencyKey, req, async () => ({ status: 200 as const, body: await importCarePlans(deps, body.csv, readerLocale(req, user)) }))) as { status: 200; body: ImportResult };
  },
);
