/**
 * `npm run migrate`: runs the migration chain on DATABASE_URL (or the embedded SQLite store in
 * AFTERCARE_DATA_DIR) and exits. The entry points migrate at start too; this is for an administrator
 * migrating ahead of a release, or as a privileged user once (see docs/operations.md, Migrations).
 */
import { ConfigError, loadConfig } from '../platform/config/config';
import { createKnex } from '../platform/db/knex';
import { migrateLatest } from '../platform/db/migrations';

async function main(): Promise<void> {
  const config = loadConfig();
  const knex = createKnex({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateLatest(knex);
    console.log(applied.length > 0 ? `[aftercare] migrated: ${applied.join(', ')}` : '[aftercare] the database is up to date');
  } finally {
    await knex.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
