/**
 * Run by test/db/sqlite-errors.test.ts, two such files in one Jest process: whichever runs second
 * must still see SQLite refuse the row as a thrown Error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKnex } from '../../../platform/db/knex';

it('refuses a row that breaks a CHECK or a UNIQUE key, with an Error', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-realm-'));
  const knex = createKnex({ dataDir });
  try {
    await knex.schema.createTable('things', (table) => {
      table.string('name').notNullable();
      table.unique(['name'], { indexName: 'things_name_unique' });
      table.check('?? in (?, ?)', ['name', 'a', 'b'], 'things_name_check');
    });
    await knex('things').insert({ name: 'a' });
    await expect(knex('things').insert({ name: 'z' })).rejects.toThrow(/things_name_check/);
    await expect(knex('things').insert({ name: 'a' })).rejects.toThrow(/UNIQUE constraint failed/);
    expect(await knex('things').pluck('name')).toEqual(['a']);
  } finally {
    await knex.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
