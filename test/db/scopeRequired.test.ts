/**
 * A repository read without an access scope used to answer every row (issue #20). The scope is now
 * required by the types (the `@ts-expect-error` lines below are checked by `tsc --noEmit`: each
 * must stay an error), every row is the explicit `ALL_ROWS`, and the SQL filter of a given scope is
 * unchanged.
 */
import knexFactory, { type Knex } from 'knex';
import { ALL_ROWS, type Scope } from '../../domain/access';
import { whereInScope } from '../../platform/db/scope';
import { ProjectsRepository } from '../../processes/delivery/repository';
import { TicketsRepository } from '../../processes/tickets/repository';
import { CareRepository } from '../../processes/care/repository';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { PartsPlansRepository } from '../../processes/dealer/partsPlans/repository';

/** Never called: only compiled. Each call leaves the scope out, which must not type-check. */
export function callsWithoutAScope(knex: Knex): unknown[] {
  const dealer = new DealerWarrantyRepository(knex);
  return [
    // @ts-expect-error a scope is required
    whereInScope(knex('claims'), undefined, { dealer: 'dealer_id' }),
    // @ts-expect-error a scope is required
    new ProjectsRepository(knex).list({}),
    // @ts-expect-error a scope is required
    new ProjectsRepository(knex).list(),
    // @ts-expect-error a scope is required
    new TicketsRepository(knex).list({ status: ['open'] }),
    // @ts-expect-error a scope is required
    new CareRepository(knex).listVisits({ now: new Date() }),
    // @ts-expect-error a scope is required
    new CareRepository(knex).listCalls({ now: new Date() }),
    // @ts-expect-error a scope is required
    new CareRepository(knex).listPlans({}),
    // @ts-expect-error a scope is required
    dealer.claim(1),
    // @ts-expect-error a scope is required
    dealer.sale(1),
    // @ts-expect-error a scope is required
    dealer.task(1),
    // @ts-expect-error a scope is required
    dealer.settlement(1),
    // @ts-expect-error a scope is required
    new PartsPlansRepository(knex).ofSeason(1, '2026-03-01'),
  ];
}

describe('whereInScope', () => {
  let knex: Knex;
  const ids = async (scope: Scope) => ((await whereInScope(knex('rows').orderBy('id'), scope, { dealer: 'dealer_id', customer: 'customer_id' }).select('id')) as { id: number }[]).map((r) => r.id);

  beforeAll(async () => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await knex.schema.createTable('rows', (t) => {
      t.integer('id').primary();
      t.integer('dealer_id').nullable();
      t.integer('customer_id').nullable();
    });
    await knex('rows').insert([
      { id: 1, dealer_id: 7, customer_id: null },
      { id: 2, dealer_id: 8, customer_id: 3 },
      { id: 3, dealer_id: null, customer_id: 3 },
    ]);
  });

  afterAll(async () => {
    await knex.destroy();
  });

  it('answers every row for ALL_ROWS, said at the call site', async () => {
    expect(ALL_ROWS).toEqual({ kind: 'all' });
    expect(Object.isFrozen(ALL_ROWS)).toBe(true);
    expect(await ids(ALL_ROWS)).toEqual([1, 2, 3]);
  });

  it('narrows as before for every other scope', async () => {
    expect(await ids({ kind: 'dealer', dealerId: 7 })).toEqual([1]);
    expect(await ids({ kind: 'customer', customerId: 3 })).toEqual([2, 3]);
    expect(await ids({ kind: 'none' })).toEqual([]);
    // A scope whose column the table lacks admits no row.
    expect(await ids({ kind: 'manager', userId: 1 })).toEqual([]);
  });

  it('refuses a scope left out by an untyped caller instead of answering every row', () => {
    expect(() => whereInScope(knex('rows'), undefined as unknown as Scope, { dealer: 'dealer_id' })).toThrow(/scope is required/);
  });
});
