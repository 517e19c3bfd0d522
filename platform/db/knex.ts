import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';

export type DatabaseKind = 'mysql' | 'sqlite';

export interface DatabaseOptions {
  /** `mysql://user:pass@host:port/db`; unset → embedded SQLite file in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
}

export function databaseKind(databaseUrl: string | undefined): DatabaseKind {
  return databaseUrl ? 'mysql' : 'sqlite';
}

export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'aftercare.sqlite');
}

export function createKnex(options: DatabaseOptions): Knex {
  if (options.databaseUrl) {
    return knexFactory({
      client: 'mysql2',
      // Dates are stored and read as UTC so every process agrees whatever its TZ.
      connection: { uri: options.databaseUrl, timezone: 'Z', supportBigNumbers: true, charset: 'utf8mb4' } as Knex.MySql2ConnectionConfig,
      pool: { min: 0, max: 10 },
    });
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: sqliteFile(options.dataDir) },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
        // WAL lets the API read while the worker writes; busy_timeout rides out short write locks.
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
  });
}

export function isMysql(knex: Knex): boolean {
  return knex.client.config.client === 'mysql2';
}
