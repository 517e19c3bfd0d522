/** 0006_money: a DOA charge moves from DECIMAL yuan to BIGINT minor units with a currency, both ways, on both databases. */
import * as core from '../../platform/db/migrations/0001_core';
import * as notices from '../../platform/db/migrations/0002_notices';
import * as access from '../../platform/db/migrations/0003_access';
import * as projects from '../../platform/db/migrations/0004_projects';
import * as money from '../../platform/db/migrations/0006_money';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { MAX_MONEY_AMOUNT } from '../../domain/money';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const NOW = new Date('2026-11-30T08:00:00.000Z');

describe.each(testDatabaseKinds())('0006_money on %s', (kind) => {
  let db: TestDatabase;
  let projectId: number;

  beforeEach(async () => {
    db = await createTestDatabase(kind, { migrate: false });
    for (const migration of [core, notices, access, projects]) await migration.up(db.knex);
    const stamps = { created_at: NOW, updated_at: NOW };
    const [customerId] = await db.knex('customers').insert({ name: 'Hospital', ...stamps });
    const [contractId] = await db.knex('contracts').insert({ customer_id: customerId, contract_no: 'HT-1', kind: 'project', policy_overrides: '{}', resolved_policy: '{}', created_at: NOW });
    projectId = ((await db.knex('projects').insert({ customer_id: customerId, contract_id: contractId, contract_no: 'HT-1', name: 'P', pm_name: 'PM', pm_email: 'pm@x.test', stage: 'trial_run', ...stamps })) as number[])[0]!;
    const doa = { project_id: projectId, cause: 'transport', damage_description: 'cracked', updated_at: NOW };
    await db.knex('doa_cases').insert([
      { ...doa, serial: 'SN-1', status: 'charged', charged_amount: 12345.67 },
      { ...doa, serial: 'SN-2', status: 'returned', charged_amount: null },
    ]);
  });

  afterEach(async () => {
    await db.destroy();
  });

  const charges = async () =>
    (await db.knex('doa_cases').orderBy('serial').select('serial', 'charged_amount_minor', 'charged_currency')).map((r: Record<string, unknown>) => [r.serial, r.charged_amount_minor === null ? null : Number(r.charged_amount_minor), r.charged_currency]);

  it('turns stored yuan into CNY fen and keeps the rows’ constraints', async () => {
    await money.up(db.knex);
    expect(await charges()).toEqual([
      ['SN-1', 1_234_567, 'CNY'],
      ['SN-2', null, null],
    ]);
    expect(await db.knex.schema.hasColumn('doa_cases', 'charged_amount')).toBe(false);
    // SQLite rebuilds the table to drop a column: its checks and unique keys must survive.
    if (kind === 'sqlite') {
      const ddl = (await db.knex('sqlite_master').where({ tbl_name: 'doa_cases' }).pluck('sql')) as string[];
      expect(ddl.join('\n')).toEqual(expect.stringMatching(/doa_cases_status_check[\s\S]*doa_cases_cause_check[\s\S]*doa_cases_project_serial_unique/));
    }
    await expect(db.knex('doa_cases').insert({ project_id: projectId, serial: 'SN-3', status: 'lost', cause: 'transport', damage_description: 'x', updated_at: NOW })).rejects.toThrow();
    await expect(db.knex('doa_cases').insert({ project_id: projectId, serial: 'SN-1', status: 'returned', cause: 'transport', damage_description: 'x', updated_at: NOW })).rejects.toThrow();
  });

  it('holds the largest amount the API accepts, and the repository reads it back exactly', async () => {
    await money.up(db.knex);
    const repo = new ProjectsRepository(db.knex);
    const saved = await repo.upsertDoaCase(projectId, { damage: { description: 'cracked', cause: 'transport' }, state: { serial: 'SN-2', status: 'charged', chargedAmount: { amount: MAX_MONEY_AMOUNT, currency: 'USD' } } }, NOW);
    expect(saved.chargedAmount).toEqual({ amount: MAX_MONEY_AMOUNT, currency: 'USD' });
    expect((await repo.doaCases(projectId)).find((c) => c.serial === 'SN-1')?.chargedAmount).toEqual({ amount: 1_234_567, currency: 'CNY' });
  });

  it('rolls back to DECIMAL yuan', async () => {
    await money.up(db.knex);
    await money.down(db.knex);
    const rows = await db.knex('doa_cases').orderBy('serial').select('serial', 'charged_amount');
    expect(rows.map((r: Record<string, unknown>) => [r.serial, r.charged_amount === null ? null : Number(r.charged_amount)])).toEqual([
      ['SN-1', 12345.67],
      ['SN-2', null],
    ]);
    expect(await db.knex.schema.hasColumn('doa_cases', 'charged_currency')).toBe(false);
  });
});
