import type { Knex } from 'knex';

// Placeholder until this migration is written; see db/migrations/index.ts.
export async function up(_knex: Knex): Promise<void> {}
export async function down(_knex: Knex): Promise<void> {}
