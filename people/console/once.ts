/**
 * A console form posted twice (a double click, a reload) does its work once: the form carries a
 * one-time key (`_once`), the first post claims it and stores where it led, a second post with the
 * same key is sent to the same place. Built on the API's idempotency keys (platform/db/idempotencyKeys.ts).
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { IdempotencyKeysRepository } from '../../platform/db/idempotencyKeys';
import type { User } from '../repository';

export const ONCE_FIELD = '_once';

export const newOnceKey = (): string => crypto.randomUUID();

export type OnceResult = { kind: 'done'; location: string } | { kind: 'repeat'; location: string } | { kind: 'busy' };

/** Runs `work` once per (user, key); `work` answers where to go. A failure frees the key, so the corrected form posts afresh. */
export async function once(knex: Knex, user: User, key: string | undefined, request: string, work: () => Promise<string>): Promise<OnceResult> {
  if (!key || key.length > 100) return { kind: 'done', location: await work() };
  const keys = new IdempotencyKeysRepository(knex);
  const claim = await keys.claim(user.id, `console:${key}`, request.slice(0, 191), 'console', new Date());
  if (claim.kind === 'answered') return { kind: 'repeat', location: String((claim.response as { location?: unknown } | null)?.location ?? '/people') };
  if (claim.kind !== 'claimed') return { kind: 'busy' };
  try {
    const location = await work();
    await keys.answer(user.id, `console:${key}`, 303, { location });
    return { kind: 'done', location };
  } catch (error) {
    await keys.release(user.id, `console:${key}`);
    throw error;
  }
}
