/**
 * The few SQL expressions and result shapes MySQL/MariaDB and SQLite differ in, for repositories
 * that write raw SQL (the KPIs and the figures they sum). Instants are DATETIME(3) on MySQL and
 * epoch milliseconds on SQLite.
 */
import type { Knex } from 'knex';
import { isMysql } from './knex';

type Row = Record<string, unknown>;

/** Seconds from instant `a` to instant `b`, as an SQL expression. */
export function secondsBetween(knex: Knex, a: string, b: string): string {
  return isMysql(knex) ? `(TIMESTAMPDIFF(MICROSECOND, ${a}, ${b}) / 1000000)` : `((${b} - ${a}) / 1000.0)`;
}

/** The rows of `knex.raw(…)`: mysql2 answers [rows, fields], better-sqlite3 the rows. */
export async function rawRows(knex: Knex, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  const result = (await knex.raw(sql, bindings as Knex.RawBinding[])) as unknown;
  return (isMysql(knex) ? (result as [Row[]])[0] : (result as Row[])) ?? [];
}
