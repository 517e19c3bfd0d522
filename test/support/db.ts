import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createKnex, type DatabaseKind } from '../../platform/db/knex';
import { migrateLatest } from '../../platform/db/migrations';

/** MySQL runs when DATABASE_URL points at it (CI does); SQLite always runs. */
export function testDatabaseKinds(): DatabaseKind[] {
  return process.env.DATABASE_URL?.startsWith('mysql') ? ['sqlite', 'mysql'] : ['sqlite'];
}

/** The database the rest of the suite uses: the configured one. */
export function primaryDatabaseKind(): DatabaseKind {
  return process.env.DATABASE_URL?.startsWith('mysql') ? 'mysql' : 'sqlite';
}

export interface TestDatabase {
  kind: DatabaseKind;
  knex: Knex;
  /** DATABASE_URL for this database (undefined for SQLite) and the data dir holding the SQLite file. */
  databaseUrl: string | undefined;
  dataDir: string;
  destroy(): Promise<void>;
}

/**
 * Every test file has its own database but all share one Temporal server, and workflow ids are
 * business keys (`project-<id>`): ids starting at 1 everywhere would make files drive each other's
 * workflows. A random start per database keeps them apart.
 */
async function startIdsAtRandom(knex: Knex, kind: DatabaseKind, tables: string[]): Promise<void> {
  for (const table of tables) {
    const first = 1_000_000 + crypto.randomInt(0, 1_000_000) * 1_000;
    if (kind === 'mysql') {
      await knex.raw(`ALTER TABLE \`${table}\` AUTO_INCREMENT = ${first}`);
    } else {
      await knex('sqlite_sequence').where({ name: table }).delete();
      await knex('sqlite_sequence').insert({ name: table, seq: first - 1 });
    }
  }
}

/** A fresh, migrated database per test file, so files can run in parallel without sharing rows. */
export async function createTestDatabase(kind: DatabaseKind = primaryDatabaseKind(), options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-test-'));
  let databaseUrl: string | undefined;
  let dropDatabase = async (): Promise<void> => {};
  if (kind === 'mysql') {
    const adminUrl = process.env.DATABASE_URL;
    if (!adminUrl?.startsWith('mysql')) throw new Error('MySQL tests need DATABASE_URL=mysql://…');
    const name = `ac_test_${crypto.randomBytes(5).toString('hex')}`;
    const admin = knexFactory({ client: 'mysql2', connection: { uri: adminUrl } as Knex.MySql2ConnectionConfig });
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.destroy();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const again = knexFactory({ client: 'mysql2', connection: { uri: adminUrl } as Knex.MySql2ConnectionConfig });
      await again.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await again.destroy();
    };
  }
  const knex = createKnex({ databaseUrl, dataDir });
  const destroy = async () => {
    await knex.destroy();
    await dropDatabase();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  if (options.migrate !== false) {
    try {
      await migrateLatest(knex);
      await startIdsAtRandom(knex, kind, ['projects', 'customers', 'care_plans', 'dealer_sales', 'dealer_tasks', 'claims', 'settlements', 'tickets']);
    } catch (error) {
      await destroy();
      throw error;
    }
  }
  return {
    kind,
    knex,
    databaseUrl,
    dataDir,
    destroy,
  };
}
