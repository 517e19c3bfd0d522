/**
 * Each KPI query on a fixture with hand-worked figures (test/support/kpiFixture.ts), on every
 * database the suite runs: the rate's counts, the filters, and nothing counted → null (not NaN, not 0).
 */
import { KpisRepository, type KpiFilter } from '../../reports/kpis/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';
import { KPI_NOW, MARCH, seedKpiFixture, type KpiFixture } from '../support/kpiFixture';

describe.each(testDatabaseKinds())('KPI queries on %s', (kind) => {
  let db: TestDatabase;
  let kpis: KpisRepository;
  let fixture: KpiFixture;
  const empty: KpiFilter = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-02-01T00:00:00Z') };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    kpis = new KpisRepository(db.knex);
    fixture = await seedKpiFixture(db.knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('on-time response: respond and on-site clocks stopped before breach / stopped or breached', async () => {
    // Met on time: t1 respond, t1 on site (a warning is not a breach), t2 on site, t3 and t4 respond.
    // Late: t2 respond (breached, then met). t5's respond clock still runs (warned, not breached): not yet due.
    expect(await kpis.onTimeResponse(MARCH)).toEqual({ value: 5 / 6, numerator: 5, denominator: 6 });
    expect(await kpis.onTimeResponse({ ...MARCH, dealerId: fixture.north })).toEqual({ value: 3 / 4, numerator: 3, denominator: 4 });
  });

  it('on-time repair: resolve clocks, a reopened ticket’s second clock counted on its own', async () => {
    // On time: t1, t3 (first round), t4. Late: t2 (breached again, then met), t3's second round (open, breached).
    expect(await kpis.onTimeRepair(MARCH)).toEqual({ value: 3 / 5, numerator: 3, denominator: 5 });
    expect(await kpis.onTimeRepair({ ...MARCH, model: 'CT-200' })).toEqual({ value: 1 / 2, numerator: 1, denominator: 2 });
  });

  it('first-time fix: not reopened, one visit, no repeat repair', async () => {
    // t1 only: t2 had two visits, t3 was reopened, t4 has a repeat repair (t5); t5 is not resolved.
    expect(await kpis.firstTimeFix(MARCH)).toEqual({ value: 1 / 4, numerator: 1, denominator: 4 });
    expect(await kpis.firstTimeFix({ ...MARCH, region: 'South' })).toEqual({ value: 0, numerator: 0, denominator: 1 });
    expect(await kpis.firstTimeFix({ ...MARCH, dealerId: fixture.north })).toEqual({ value: 1 / 2, numerator: 1, denominator: 2 });
  });

  it('parts accuracy: resolved repairs never held for parts (a hold for the customer does not count)', async () => {
    expect(await kpis.partsAccuracy(MARCH)).toEqual({ value: 3 / 4, numerator: 3, denominator: 4 });
    expect(await kpis.partsAccuracy({ ...MARCH, model: 'CT-200' })).toEqual({ value: 1, numerator: 1, denominator: 1 });
  });

  it('satisfaction: the mean of every survey answer, the low one that reopened included', async () => {
    // 5 (t1), 4 (t2), 2 and 4 (t3); t8's 1 is February's; a reopen without a survey has no score.
    expect(await kpis.satisfaction(MARCH)).toEqual({ value: 3.75, count: 4 });
    expect(await kpis.satisfaction({ ...MARCH, dealerId: fixture.south })).toEqual({ value: 3, count: 2 });
  });

  it('complaints and their closure time', async () => {
    expect(await kpis.complaints(MARCH)).toBe(2);
    expect(await kpis.complaints({ ...MARCH, dealerId: fixture.north })).toBe(1);
    expect(await kpis.complaintClosureHours(MARCH)).toEqual({ value: 6, count: 1 });
  });

  it('overdue visits and calls: still due after their window closed; no dealer or model to filter by', async () => {
    expect(await kpis.overdueVisits(MARCH, KPI_NOW)).toBe(1);
    expect(await kpis.overdueCalls(MARCH, KPI_NOW)).toBe(1);
    // Before the visit's window closed it is not overdue yet.
    expect(await kpis.overdueVisits(MARCH, new Date('2026-03-11T00:00:00Z'))).toBe(0);
    expect(await kpis.overdueVisits({ ...MARCH, dealerId: fixture.north }, KPI_NOW)).toBeNull();
    expect(await kpis.overdueCalls({ ...MARCH, model: 'DR-7000' }, KPI_NOW)).toBeNull();
  });

  it('claim approval: lines approved (partly or wholly) / lines decided in the period', async () => {
    expect(await kpis.claimApproval(MARCH)).toEqual({ value: 3 / 4, numerator: 3, denominator: 4 });
    expect(await kpis.claimApproval({ ...MARCH, dealerId: fixture.north })).toEqual({ value: 2 / 3, numerator: 2, denominator: 3 });
    expect(await kpis.claimApproval({ ...MARCH, model: 'CT-200' })).toEqual({ value: 1, numerator: 1, denominator: 1 });
  });

  it('days to settle: submission to the ledger deduction, per claim, posted in the period', async () => {
    // North's statement posted 22 March settles a claim of 20 February (30 days) and one of 10 February (40 days);
    // South's posts in April.
    expect(await kpis.daysToSettle(MARCH)).toEqual({ value: 35, count: 2 });
    expect(await kpis.daysToSettle({ ...MARCH, dealerId: fixture.south })).toEqual({ value: null, count: 0 });
  });

  it('per dealer: approval and days to settle side by side', async () => {
    expect(await kpis.perDealer(MARCH)).toEqual([
      { dealerId: fixture.north, dealer: 'North Dealer', region: 'North', approval: { value: 2 / 3, numerator: 2, denominator: 3 }, daysToSettle: { value: 35, count: 2 } },
      { dealerId: fixture.south, dealer: 'South Dealer', region: 'South', approval: { value: 1, numerator: 1, denominator: 1 }, daysToSettle: { value: null, count: 0 } },
    ]);
    expect((await kpis.perDealer({ ...MARCH, region: 'South' })).map((d) => d.dealer)).toEqual(['South Dealer']);
  });

  it('per engineer: the staff appraisal over the repairs each resolved', async () => {
    expect(await kpis.perEngineer(MARCH)).toEqual([
      { userId: fixture.li, engineer: 'Engineer Li', resolved: 2, onTimeRepair: { value: 1 / 2, numerator: 1, denominator: 2 }, firstTimeFix: { value: 1 / 2, numerator: 1, denominator: 2 }, partsAccuracy: { value: 1 / 2, numerator: 1, denominator: 2 }, satisfaction: { value: 4.5, count: 2 } },
      { userId: fixture.wang, engineer: 'Engineer Wang', resolved: 2, onTimeRepair: { value: 2 / 3, numerator: 2, denominator: 3 }, firstTimeFix: { value: 0, numerator: 0, denominator: 2 }, partsAccuracy: { value: 1, numerator: 2, denominator: 2 }, satisfaction: { value: 3, count: 2 } },
    ]);
  });

  it('a period without records: every rate and mean is null, every count 0, no rows', async () => {
    const none = { value: null, numerator: 0, denominator: 0 };
    expect(await kpis.onTimeResponse(empty)).toEqual(none);
    expect(await kpis.onTimeRepair(empty)).toEqual(none);
    expect(await kpis.firstTimeFix(empty)).toEqual(none);
    expect(await kpis.partsAccuracy(empty)).toEqual(none);
    expect(await kpis.claimApproval(empty)).toEqual(none);
    expect(await kpis.satisfaction(empty)).toEqual({ value: null, count: 0 });
    expect(await kpis.complaintClosureHours(empty)).toEqual({ value: null, count: 0 });
    expect(await kpis.daysToSettle(empty)).toEqual({ value: null, count: 0 });
    expect(await kpis.complaints(empty)).toBe(0);
    expect(await kpis.overdueVisits(empty, KPI_NOW)).toBe(0);
    expect(await kpis.perDealer(empty)).toEqual([]);
    expect(await kpis.perEngineer(empty)).toEqual([]);
  });
});
