/** Small helpers the console's pages share: reading path and query values, names and zones of records. */
import type { Knex } from 'knex';
import { LOCALES, type Locale } from '../../domain/locale';

/** Rows per page of a list. */
export const PAGE_SIZE = 50;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** A path on this site to return to: `/…` but never `//host…` (that would leave the site). */
export function localPath(value: unknown, fallback: string): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : fallback;
}

/** A positive integer from a path or query value, else null. */
export function positiveInt(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,15}$/.test(value)) return null;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : null;
}

/** Each customer's time zone: a record's times are shown in its customer's zone. */
export async function customerTimeZones(knex: Knex, customerIds: number[]): Promise<Map<number, string>> {
  if (customerIds.length === 0) return new Map();
  const rows = (await knex('customers').whereIn('id', [...new Set(customerIds)]).select('id', 'time_zone')) as Array<{ id: number; time_zone: string }>;
  return new Map(rows.map((row) => [Number(row.id), row.time_zone]));
}

/** The names of customers or users by id. */
export async function namesOf(knex: Knex, table: 'customers' | 'users', ids: (number | null)[]): Promise<Map<number, string>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = (await knex(table).whereIn('id', wanted).select('id', 'name')) as Array<{ id: number; name: string }>;
  return new Map(rows.map((row) => [Number(row.id), row.name]));
}

/** The CSV and XLSX downloads of a list with the page's filter (console/pages/exports.ts). */
export function exportLinks(list: string, query: string): { csv: string; xlsx: string } {
  const suffix = query ? `?${query}` : '';
  return { csv: `/exports/${list}.csv${suffix}`, xlsx: `/exports/${list}.xlsx${suffix}` };
}

/** The 4xx status of an error that carries one (body-parser's), else null. */
export function clientErrorStatus(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}
