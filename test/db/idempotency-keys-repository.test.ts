import { ABANDONED_CLAIM_MS, IdempotencyKeysRepository } from '../../platform/db/idempotencyKeys';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const T0 = new Date('2026-05-04T02:00:00.000Z');
const after = (ms: number) => new Date(T0.getTime() + ms);

describe.each(testDatabaseKinds())('idempotency keys on %s', (kind) => {
  let db: TestDatabase;
  let keys: IdempotencyKeysRepository;
  let userId: number;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    keys = new IdempotencyKeysRepository(db.knex);
    userId = (await new UsersRepository(db.knex).create({ name: 'Zhang Wei', email: 'pm@keys.test', role: 'project_manager' })).id;
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('claims once, answers the same request again, refuses another request under the key', async () => {
    expect(await keys.claim(userId, 'k-1', 'POST /api/projects', 'h1', T0)).toEqual({ kind: 'claimed' });
    expect(await keys.claim(userId, 'k-1', 'POST /api/projects', 'h1', after(1000))).toEqual({ kind: 'in_progress' });
    await keys.answer(userId, 'k-1', 201, { id: 7 });
    expect(await keys.claim(userId, 'k-1', 'POST /api/projects', 'h1', after(2000))).toEqual({ kind: 'answered', statusCode: 201, response: { id: 7 } });
    expect(await keys.claim(userId, 'k-1', 'POST /api/projects', 'h2', after(3000))).toEqual({ kind: 'other_request' });
  });

  it('a claim its request abandoned (no answer, no release) is taken over by a retry once it is stale, by one retry only', async () => {
    expect(await keys.claim(userId, 'k-2', 'POST /api/tickets', 'h', T0)).toEqual({ kind: 'claimed' });
    expect(await keys.claim(userId, 'k-2', 'POST /api/tickets', 'h', after(ABANDONED_CLAIM_MS - 1000))).toEqual({ kind: 'in_progress' });
    const late = after(ABANDONED_CLAIM_MS + 1000);
    const [first, second] = await Promise.all([keys.claim(userId, 'k-2', 'POST /api/tickets', 'h', late), keys.claim(userId, 'k-2', 'POST /api/tickets', 'h', late)]);
    expect([first.kind, second.kind].sort()).toEqual(['claimed', 'in_progress']);
    // The new claim is fresh: a third retry right after hears it is in progress.
    expect(await keys.claim(userId, 'k-2', 'POST /api/tickets', 'h', after(ABANDONED_CLAIM_MS + 2000))).toEqual({ kind: 'in_progress' });
    // An answered key is never taken over, however old.
    await keys.answer(userId, 'k-2', 201, { id: 9 });
    expect(await keys.claim(userId, 'k-2', 'POST /api/tickets', 'h', after(10 * ABANDONED_CLAIM_MS))).toEqual({ kind: 'answered', statusCode: 201, response: { id: 9 } });
  });
});
