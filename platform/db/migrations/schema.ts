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

/** The end (exclusive) of the parenthesised group opening at `open` in `sql`. */
function closingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i += 1) {
    if (sql[i] === '(') depth += 1;
    else if (sql[i] === ')' && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced parentheses in ${sql}`);
}

/**
 * Replaces the values of a named `oneOf` CHECK. MySQL/MariaDB drop and add the constraint.
 * SQLite cannot alter a CHECK, so the table is rebuilt from its own DDL with the new CHECK (the
 * documented 12-step way): run it in a migration with `config = { transaction: false }`, since
 * foreign keys must be off while the table is swapped, and that pragma is ignored in a transaction.
 */
export async function replaceOneOf(knex: Knex, tableName: string, column: string, values: readonly string[], constraintName: string): Promise<void> {
  const check = knex.raw(`?? in (${values.map(() => '?').join(', ')})`, [column, ...values]).toQuery();
  if (isMysql(knex)) {
    await knex.transaction(async (trx) => {
      await trx.raw('ALTER TABLE ?? DROP CONSTRAINT ??', [tableName, constraintName]);
      await trx.raw(`ALTER TABLE ?? ADD CONSTRAINT ?? CHECK (${check})`, [tableName, constraintName]);
    });
    return;
  }
  const marker = new RegExp(`constraint\\s+[\`"]?${constraintName}[\`"]?\\s+check\\s*\\(`, 'i');
  await rebuildSqliteTable(knex, tableName, (sql) => {
    const found = marker.exec(sql);
    if (!found) throw new Error(`${tableName} has no CHECK ${constraintName}`);
    const open = found.index + found[0].length - 1;
    return `${sql.slice(0, found.index)}constraint \`${constraintName}\` check (${check})${sql.slice(closingParen(sql, open))}`;
  });
}

/**
 * SQLite cannot alter a column or a CHECK: the table is rebuilt from its own DDL, changed by `edit`
 * (the documented 12-step way), with its indexes and its id sequence, foreign keys checked after.
 * Run it in a migration with `config = { transaction: false }`: foreign keys must be off while the
 * table is swapped, and that pragma is ignored in a transaction.
 */
export async function rebuildSqliteTable(knex: Knex, tableName: string, edit: (sql: string) => string): Promise<void> {
  const temporary = `${tableName}__rebuilt`;
  const { sql } = (await knex('sqlite_master').where({ type: 'table', name: tableName }).first('sql')) as { sql: string };
  const rebuilt = edit(sql).replace(/^create table\s+[`"]?\w+[`"]?/i, `CREATE TABLE \`${temporary}\``);
  const indexes = (await knex('sqlite_master').where({ type: 'index', tbl_name: tableName }).whereNotNull('sql').pluck('sql')) as string[];
  const sequence = (await knex('sqlite_sequence').where({ name: tableName }).first('seq')) as { seq: number } | undefined;
  await knex.raw('PRAGMA foreign_keys = OFF');
  try {
    await knex.transaction(async (trx) => {
      await trx.raw(rebuilt);
      await trx.raw('INSERT INTO ?? SELECT * FROM ??', [temporary, tableName]);
      await trx.schema.dropTable(tableName);
      await trx.raw('ALTER TABLE ?? RENAME TO ??', [temporary, tableName]);
      for (const index of indexes) await trx.raw(index);
      if (sequence) await trx('sqlite_sequence').where({ name: tableName }).update({ seq: sequence.seq });
      const broken = (await trx.raw('PRAGMA foreign_key_check')) as unknown[];
      if (broken.length > 0) throw new Error(`rebuilding ${tableName} broke foreign keys: ${JSON.stringify(broken)}`);
    });
  } finally {
    await knex.raw('PRAGMA foreign_keys = ON');
  }
}
