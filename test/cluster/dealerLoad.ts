/**
 * A dealer settlement driven through the API during a fault: a dealer registered, a sale and its
 * warranty card, a claim, the clerk's approval, finance's settlement run and review, and the dealer's
 * confirmation, which posts the statement's total to the ledger. Every request is retried under its
 * own Idempotency-Key until answered 2xx, as a client does when the system is in trouble, and what
 * was answered 2xx is remembered so that the end of each fault can check it is all there, once.
 */
import crypto from 'node:crypto';
import { createKnex } from '../../platform/db/knex';
import { DealersRepository } from '../../installedBase/dealers';
import { UsersRepository } from '../../people/repository';
import { periodOf } from '../../processes/dealer/settlement/rules';
import type { Answer, Json } from '../support/projectHarness';

export type Call = (method: string, path: string, body?: unknown, token?: string, headers?: Record<string, string>) => Promise<Answer>;

/** What the API answered 2xx to, for one dealer. */
export interface SettledDealer {
  dealerId: number;
  saleId: number;
  claimId: number;
  settlementId: number;
  /** The total confirmed, in minor units (the ledger entry is its negative). */
  total: number;
}

export interface NewDealer {
  dealerId: number;
  token: string;
}

export interface DealerLoad {
  /** A dealer and its user, registered in the database before the fault (an administrator's setup, not the load). */
  newDealer(): Promise<NewDealer>;
  /**
   * The dealer's settlement from its sale to its confirmation; resolves once the confirmation is
   * answered 2xx. `confirmWhen` holds the confirmation back, so that a test can send it into a fault.
   */
  settle(dealer: NewDealer, options?: { confirmWhen?: Promise<void>; timeoutMs?: number }): Promise<SettledDealer>;
  /** Resolves once `count` settlements are reviewed and hold their confirmation back. */
  untilWaitingToConfirm(count: number, timeoutMs?: number): Promise<void>;
  settled: SettledDealer[];
}

const daysAgo = (days: number): string => new Date(Date.now() - days * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const cny = (amount: number) => ({ amount, currency: 'CNY' });

/** The clerk and finance users, and the dealer policy the load needs (no audit sample: one step fewer to drive). */
export async function prepareDealerLoad(databaseUrl: string, dataDir: string, call: Call, adminToken: string): Promise<DealerLoad> {
  const knex = createKnex({ databaseUrl, dataDir });
  let clerk: string;
  let finance: string;
  try {
    const users = new UsersRepository(knex);
    clerk = await users.issueToken((await users.create({ name: 'Clerk Liu', email: 'clerk@cluster.test', role: 'sales_clerk' })).id, 'cluster test');
    finance = await users.issueToken((await users.create({ name: 'Finance Chen', email: 'finance@cluster.test', role: 'finance' })).id, 'cluster test');
  } finally {
    await knex.destroy();
  }
  const policy = await call('PUT', '/api/policy-layers/template/default', { policy: { dealer: { auditSampleRate: 0 } } }, adminToken);
  if (policy.status !== 200 && policy.status !== 201) throw new Error(`PUT the default template's dealer policy: ${policy.status} ${JSON.stringify(policy.body)}`);

  /** One request, retried under one Idempotency-Key until 2xx; a 4xx (other than "still being answered") is a refusal and fails. */
  const until2xx = async (method: string, path: string, body: unknown, token: string, deadline: number): Promise<Json> => {
    const key = crypto.randomUUID();
    let last: Answer | undefined;
    while (Date.now() < deadline) {
      last = await call(method, path, body, token, { 'Idempotency-Key': key });
      if (last.status >= 200 && last.status < 300) return last.body as Json;
      const stillAnswering = last.status === 409 && /still being answered/.test(JSON.stringify(last.body));
      if (last.status >= 400 && last.status < 500 && !stillAnswering) throw new Error(`${method} ${path}: ${last.status} ${JSON.stringify(last.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`${method} ${path}: no 2xx before the deadline (last: ${last?.status} ${JSON.stringify(last?.body)})`);
  };

  const settled: SettledDealer[] = [];
  let waitingToConfirm = 0;
  return {
    settled,
    async untilWaitingToConfirm(count, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (waitingToConfirm < count) {
        if (Date.now() > deadline) throw new Error(`${waitingToConfirm} of ${count} settlements reached their confirmation within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async newDealer() {
      const tag = crypto.randomUUID().slice(0, 8);
      const db = createKnex({ databaseUrl, dataDir });
      try {
        const dealer = await new DealersRepository(db).create({ name: `Dealer ${tag}`, contactEmail: `finance@dealer-${tag}.test`, locale: 'en' });
        const users = new UsersRepository(db);
        const user = await users.create({ name: `dealer-${tag}`, email: `dealer-${tag}@cluster.test`, role: 'dealer', dealerId: dealer.id });
        return { dealerId: dealer.id, token: await users.issueToken(user.id, 'cluster test') };
      } finally {
        await db.destroy();
      }
    },
    async settle({ dealerId, token }, { confirmWhen, timeoutMs = 300_000 } = {}) {
      let deadline = Date.now() + timeoutMs;
      const tag = crypto.randomUUID().slice(0, 8);
      const serial = `SN-${tag}`;
      const sale = await until2xx('POST', '/api/dealer-sales', { deviceSerial: serial, model: 'DR-7000', saleDate: daysAgo(10), customerName: 'Zhang San' }, token, deadline);
      await until2xx('POST', `/api/dealer-sales/${sale.id}/card`, { cardDate: daysAgo(5), customerPhone: '13800000000' }, token, deadline);
      const lines = [{ kind: 'travel', amount: cny(30_000) }, { kind: 'other', amount: cny(1_999), description: 'sealant' }];
      const claim = await until2xx('POST', '/api/claims', { deviceSerial: serial, faultCode: 'E42', repairDate: daysAgo(5), workDone: 'Replaced the pump', signatureRef: 'sig-1', lines }, token, deadline);
      if (claim.status !== 'in_review') throw new Error(`claim ${claim.id} is ${claim.status} (${JSON.stringify(claim.claimCodes)})`);
      await until2xx('POST', `/api/claims/${claim.id}/decision`, { decisions: [{ lineNo: 1, kind: 'approve' }, { lineNo: 2, kind: 'approve' }] }, clerk, deadline);
      const period = periodOf(new Date(), 'Asia/Shanghai');
      const run = await until2xx('POST', '/api/settlements/run', { period, dealerId }, finance, deadline);
      const statement = (run.settlements as Json[]).find((s) => s.dealerId === dealerId);
      if (!statement) throw new Error(`the settlement run of ${period} made no statement for dealer ${dealerId}`);
      const reviewed = await until2xx('POST', `/api/settlements/${statement.id}/review`, { holdLineIds: [] }, finance, deadline);
      if (confirmWhen) {
        waitingToConfirm += 1;
        await confirmWhen;
        waitingToConfirm -= 1;
        deadline = Date.now() + timeoutMs;
      }
      const confirmed = await until2xx('POST', `/api/settlements/${statement.id}/confirm`, { version: reviewed.version }, token, deadline);
      const done = { dealerId, saleId: sale.id, claimId: claim.id, settlementId: statement.id, total: confirmed.total.amount };
      settled.push(done);
      return done;
    },
  };
}

/** A promise the test resolves when it chooses: `open()` lets the held request go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * The ledger after a fault: exactly one entry per confirmed statement (the negative of its total), none
 * for a statement not confirmed, and every statement, claim and sale answered 2xx still on record.
 */
export async function expectLedgerOncePerConfirmedStatement(databaseUrl: string, dataDir: string, load: DealerLoad): Promise<void> {
  const knex = createKnex({ databaseUrl, dataDir });
  try {
    const statements = (await knex('settlements').select('id', 'status', 'total_minor')) as Array<{ id: number; status: string; total_minor: number | string }>;
    const entries = (await knex('ledger_entries').select('settlement_id', 'amount_minor')) as Array<{ settlement_id: number; amount_minor: number | string }>;
    const entriesOf = (id: number) => entries.filter((e) => Number(e.settlement_id) === Number(id));
    for (const s of statements) {
      const posted = entriesOf(s.id).map((e) => Number(e.amount_minor));
      expect({ statement: s.id, status: s.status, posted }).toEqual({ statement: s.id, status: s.status, posted: s.status === 'confirmed' ? [-Number(s.total_minor)] : [] });
    }
    expect(entries.filter((e) => !statements.some((s) => Number(s.id) === Number(e.settlement_id)))).toEqual([]);
    for (const d of load.settled) {
      const statement = statements.find((s) => Number(s.id) === d.settlementId);
      expect({ settlement: d.settlementId, status: statement?.status, posted: entriesOf(d.settlementId).map((e) => Number(e.amount_minor)) }).toEqual({ settlement: d.settlementId, status: 'confirmed', posted: [-d.total] });
      const claimLines = (await knex('claim_lines').where({ claim_id: d.claimId }).select('status')) as Array<{ status: string }>;
      expect({ claim: d.claimId, lines: claimLines.map((l) => l.status) }).toEqual({ claim: d.claimId, lines: ['approved', 'approved'] });
      expect(await knex('dealer_sales').where({ id: d.saleId, dealer_id: d.dealerId }).first('id')).toBeDefined();
    }
  } finally {
    await knex.destroy();
  }
}
