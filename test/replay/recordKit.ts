/**
 * What the recorders of the ticket, care and dealer scenarios share: the project harness serving
 * every API module, the people who take the steps, and checked calls. Policies are in seconds, as in
 * the integration tests that drive the same processes (tickets, ticketLinks, carePlan, dealerProcesses,
 * dealerPartsPlans).
 */
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import type { Role } from '../../domain/access';
import type { Json, ProjectHarness } from '../support/projectHarness';

/** Which fixture (scenario name) holds which workflow id. */
export type Recorded = Record<string, string>;

export interface Person {
  id: number;
  token: string;
  email: string;
  name: string;
}

export interface RecordKit {
  h: ProjectHarness;
  people: Record<string, Person>;
  /** Creates a user of `role` (once per key); dealers' people name their dealer. */
  person(key: string, role: Role, extra?: { dealerId?: number; customerId?: number }): Promise<Person>;
  /** A call that must answer 200 or 201: its body. */
  ok(method: string, path: string, token: string, body?: unknown): Promise<Json>;
  poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs?: number): Promise<T>;
  waitForMail(keyPrefix: string, count?: number): Promise<void>;
  adminToken: string;
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`recording histories: ${message}`);
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

export async function recordKit(h: ProjectHarness): Promise<RecordKit> {
  const users = new UsersRepository(h.system.db.knex);
  const adminToken = generateToken();
  await users.ensureAdmin(adminToken);
  const people: Record<string, Person> = {};
  let key = 0;
  const poll = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`recording histories: timed out waiting for ${what}`);
      await sleep(200);
    }
  };
  return {
    h,
    people,
    adminToken,
    poll,
    async person(name, role, extra = {}) {
      if (people[name]) return people[name];
      const email = `${name.toLowerCase()}.replay@maker.test`;
      const user = await users.create({ name, email, role, locale: 'en', ...extra });
      people[name] = { id: user.id, token: await users.issueToken(user.id, 'test'), email, name };
      return people[name];
    },
    async ok(method, path, token, body) {
      const answer = await h.call(method, path, body, token, { 'Idempotency-Key': `replay-${++key}` });
      check(answer.status === 200 || answer.status === 201, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    async waitForMail(keyPrefix, count = 1) {
      await poll(`${count} mail(s) ${keyPrefix}`, () => (h.mails((m) => Boolean(m.idempotencyKey?.startsWith(keyPrefix))).length >= count ? true : undefined));
    },
  };
}
