import type { Knex } from 'knex';
import { ConflictError, isUniqueViolation } from '../errors';
import { insertedId, toRequiredDate } from '../mapping';

/** A dealer: the organisation dealer users act for. Minimal for now; the dealer processes add their terms. */
export interface Dealer {
  id: number;
  name: string;
  createdAt: Date;
}

interface DealerRow {
  id: number;
  name: string;
  created_at: unknown;
}

const toDealer = (row: DealerRow): Dealer => ({ id: Number(row.id), name: row.name, createdAt: toRequiredDate(row.created_at) });

export class DealersRepository {
  constructor(private readonly db: Knex) {}

  async create(name: string, now: Date = new Date()): Promise<Dealer> {
    try {
      const id = insertedId(await this.db('dealers').insert({ name: name.trim(), created_at: now }));
      return (await this.get(id))!;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A dealer named ${name.trim()} already exists`, { field: 'name' }, { cause: error });
      throw error;
    }
  }

  async get(id: number): Promise<Dealer | null> {
    const row = await this.db<DealerRow>('dealers').where({ id }).first();
    return row ? toDealer(row) : null;
  }
}
