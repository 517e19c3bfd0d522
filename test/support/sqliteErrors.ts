import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';

interface BetterSqliteAddon {
  setErrorConstructor(constructor: unknown): void;
  isInitialized?: boolean;
}

/**
 * Makes better-sqlite3 throw this test file's `SqliteError`, a real `Error` of this file's realm.
 *
 * Jest runs every test file in its own realm (its own `Error`), but a native addon is loaded once per
 * process: better-sqlite3's addon is shared by every file a worker runs, and its JS registers an
 * error constructor on it only once (`if (!addon.isInitialized)`, lib/database.js). Every later file
 * then receives SQLite errors built from the first file's `SqliteError`: not `instanceof Error` here,
 * so `expect(…).rejects.toThrow()` reports "did not throw" although the statement failed (a CHECK or
 * UNIQUE violation looks accepted). WiseLibs/better-sqlite3#162, #1159. Tests only: a process
 * outside Jest has one realm.
 */
export function throwSqliteErrorsOfThisRealm(): void {
  const betterSqlite = createRequire(require.resolve('better-sqlite3/package.json'));
  const moduleRoot = path.dirname(require.resolve('better-sqlite3/package.json'));
  // The same lookup better-sqlite3 makes (lib/database.js), so the same, process-wide addon object.
  const addon = (betterSqlite('bindings') as (options: { bindings: string; module_root: string }) => BetterSqliteAddon)({
    bindings: 'better_sqlite3.node',
    module_root: moduleRoot,
  });
  addon.setErrorConstructor(Database.SqliteError);
  addon.isInitialized = true;
}
