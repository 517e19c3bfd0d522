/** Column and table conventions shared by the migrations, so MySQL/MariaDB and SQLite agree. */
import type { Knex } from 'knex';
import { isMysql } from '../knex';

/** Binary collation on MySQL: keys and serials compare exactly, case included, as they do on SQLite. */
export const EXACT = 'utf8mb4_bin';

/** A named table-level CHECK: MariaDB rejects names on column-level ones. */
export function oneOf(table: Knex.CreateTableBuilder, column: string, values: readonly string[], constraintName: string): void {
  table.check(`?? in (${values.map(() => '?').join(', ')})`, [column, ...values], constraintName);
}

/** Instants are stored in UTC to the millisecond, written by code rather than database defaults. */
export function instant(table: Knex.CreateTableBuilder, column: string): Knex.ColumnBuilder {
  return table.datetime(column, { precision: 3 });
}

/** MySQL only (knex rejects it elsewhere): keep tables utf8mb4 whatever the database default is. */
export function utf8mb4For(knex: Knex): (table: Knex.CreateTableBuilder) => void {
  const mysql = isMysql(knex);
  return (table) => {
    if (mysql) table.charset('utf8mb4');
  };
}
