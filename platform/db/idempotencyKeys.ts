import type { Knex } from 'knex';
import { isUniqueViolation } from './errors';
import { fromJson, toJson } from './mapping';

/**
 * Creates answered under a client's `Idempotency-Key`: the first request claims the key, its answer
 * is stored, and the same request again gets the same answer instead of a second create.
 */

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'answered'; statusCode: number; response: unknown }
  | { kind: 'in_progress' }
  | { kind: 'other_request' };

/**
 * A claim with no answer after this long was abandoned: its request died between claiming the key and
 * answering or releasing it (the database went away, the process was killed). The client's retry takes
 * it over instead of hearing "in progress" for ever. Far longer than any request is allowed to run.
 */
export const ABANDONED_CLAIM_MS = 120_000;

export class IdempotencyKeysRepository {
  constructor(private readonly knex: Knex) {}

  async claim(userId: number, key: string, request: string, requestHash: string, now: Date): Promise<Claim> {
    try {
      await this.knex('idempotency_keys').insert({ user_id: userId, idempotency_key: key, request, request_hash: requestHash, created_at: now });
      return { kind: 'claimed' };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const row = (await this.knex('idempotency_keys').where({ user_id: userId, idempotency_key: key }).first()) as Record<string, unknown> | undefined;
    if (!row) return this.claim(userId, key, request, requestHash, now);
    if (row.request !== request || row.request_hash !== requestHash) return { kind: 'other_request' };
    if (row.status_code === null || row.status_code === undefined) return (await this.takeOverAbandoned(userId, key, now)) ? { kind: 'claimed' } : { kind: 'in_progress' };
    return { kind: 'answered', statusCode: Number(row.status_code), response: fromJson(row.response) };
  }

  /** Takes over an unanswered claim older than ABANDONED_CLAIM_MS; of two retries at once, one wins. */
  private async takeOverAbandoned(userId: number, key: string, now: Date): Promise<boolean> {
    const taken = await this.knex('idempotency_keys')
      .where({ user_id: userId, idempotency_key: key })
      .whereNull('status_code')
      .where('created_at', '<', new Date(now.getTime() - ABANDONED_CLAIM_MS))
      .update({ created_at: now });
    return taken === 1;
  }

  async answer(userId: number, key: string, statusCode: number, response: unknown): Promise<void> {
    await this.knex('idempotency_keys').where({ user_id: userId, idempotency_key: key }).update({ status_code: statusCode, response: toJson(response ?? null) });
  }

  /** The first request failed: the key is free again, so the client's retry is a new attempt. */
  async release(userId: number, key: string): Promise<void> {
    await this.knex('idempotency_keys').where({ user_id: userId, idempotency_key: key }).whereNull('status_code').delete();
  }
}
