import { DeadlinesRepository, type ReadableRecords } from '../../schedule/deadlines/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const MINUTE = 60_000;

describe.each(testDatabaseKinds())('open deadlines of several record types on %s', (kind) => {
  let db: TestDatabase;
  let deadlines: DeadlinesRepository;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    deadlines = new DeadlinesRepository(db.knex);
    // Three kinds of record, due times interleaved, two of each kind due at the same instant (the id breaks the tie).
    const types = ['project', 'ticket', 'care_plan'];
    for (let i = 0; i < 30; i += 1) {
      const recordType = types[i % 3]!;
      await deadlines.open({ workflowId: `wf-${i}`, key: `k-${i}`, recordType, recordId: 1000 + i, kind: 'test', description: `d${i}`, dueAt: new Date(NOW.getTime() + Math.floor(i / 2) * MINUTE) }, NOW);
    }
    await deadlines.close('wf-4', 'k-4', 'met', NOW);
  });

  afterAll(async () => {
    await db.destroy();
  });

  // Each kind listed apart and merged (listOpen with several readable kinds) must page exactly as one list of them all.
  const all = (recordType: string, table: string): ReadableRecords => ({ recordType, table, columns: {}, scope: { kind: 'all' } });
  const readable = [all('project', 'projects'), all('ticket', 'tickets'), all('care_plan', 'care_plans'), { ...all('claim', 'claims'), scope: { kind: 'none' } } as ReadableRecords];
  const keys = (rows: Array<{ key: string }>) => rows.map((d) => d.key);

  it.each([
    { latestFirst: false, offset: 0, limit: 7 },
    { latestFirst: false, offset: 5, limit: 10 },
    { latestFirst: true, offset: 0, limit: 4 },
    { latestFirst: true, offset: 9, limit: 25 },
    { latestFirst: false, offset: 12, limit: 3 },
    { latestFirst: false, offset: 0, limit: 500, dueBefore: new Date(NOW.getTime() + 6 * MINUTE) },
  ])('merge each kind in due order, then id: %o', async (page) => {
    const merged = await deadlines.listOpen({ ...page, readable });
    const single = await deadlines.listOpen(page);
    expect(keys(merged)).toEqual(keys(single));
    expect(merged.length).toBeGreaterThan(0);
    expect(keys(merged)).not.toContain('k-4');
  });

  it('keeps only the kinds whose scope admits them', async () => {
    const onlyTickets = await deadlines.listOpen({ readable: [all('ticket', 'tickets'), { ...all('project', 'projects'), scope: { kind: 'none' } }] });
    expect(new Set(onlyTickets.map((d) => d.recordType))).toEqual(new Set(['ticket']));
    const twoKinds = await deadlines.listOpen({ readable: [all('ticket', 'tickets'), all('care_plan', 'care_plans')] });
    expect(twoKinds).toHaveLength(19); // ten of each, less the met k-4 (a ticket's)
    expect(new Set(twoKinds.map((d) => d.recordType))).toEqual(new Set(['ticket', 'care_plan']));
  });
});
