import type { Knex } from 'knex';
import { ConflictError, isUniqueViolation } from '../platform/db/errors';
import { insertedId, toRequiredDate } from '../platform/db/mapping';
import { words } from '../domain/words';

/** A dealer: the organisation dealer users act for, with the terms its settlement needs. */
export interface Dealer {
  id: number;
  name: string;
  region: string | null;
  /** The account its warranty write-offs are deducted from. */
  receivablesAccount: string | null;
  contactEmail: string | null;
  /** The language of its notices (the write-off notice). */
  locale: string;
  createdAt: Date;
}

export interface NewDealer {
  name: string;
  region?: string;
  receivablesAccount?: string;
  contactEmail?: string;
  locale?: string;
}

interface DealerRow {
  id: number;
  name: string;
  region?: string | null;
  receivables_account?: string | null;
  contact_email?: string | null;
  locale?: string;
  created_at: unknown;
}

const toDealer = (row: DealerRow): Dealer => ({
  id: Number(row.id),
  name: row.name,
  region: row.region ?? null,
  receivablesAccount: row.receivables_account ?? null,
  contactEmail: row.contact_email ?? null,
  locale: row.locale ?? 'zh-CN',
  createdAt: toRequiredDate(row.created_at),
});

export class DealersRepository {
  constructor(private readonly db: Knex) {}

  async create(input: string | NewDealer, now: Date = new Date()): Promise<Dealer> {
    const dealer = typeof input === 'string' ? { name: input } : input;
    const name = dealer.name;
    try {
      const id = insertedId(
        await this.db('dealers').insert({
          name: name.trim(),
          region: dealer.region ?? null,
          receivables_account: dealer.receivablesAccount ?? null,
          contact_email: dealer.contactEmail ?? null,
          locale: dealer.locale ?? 'zh-CN',
          created_at: now,
        }),
      );
      return (await this.get(id))!;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(words('installedBase.dealerNameTaken', { name: name.trim() }), { field: 'name' }, { cause: error });
      throw error;
    }
  }

  async get(id: number): Promise<Dealer | null> {
    const row = await this.db<DealerRow>('dealers').where({ id }).first();
    return row ? toDealer(row) : null;
  }
}
