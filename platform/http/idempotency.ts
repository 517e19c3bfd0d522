/**
 * `Idempotency-Key`: a client that may send the same request twice (a retry after a lost answer, a
 * double click) names it, and the second one changes nothing. Steps pass the key to Temporal as the
 * update's id (the engine answers a repeated update with the first one's result); creates store their
 * answer under the key and answer the same again.
 */
import crypto from 'node:crypto';
import type { Request } from 'express';
import { IdempotencyKeysRepository } from '../db/idempotencyKeys';
import type { User } from '../../domain/people';
import { conflict, idempotencyKeyReused, validationFailed } from './errors';
import { words } from '../../domain/words';
import type { ApiDeps } from './module';
import { z } from './zod';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Printable ASCII, as the IETF draft and common APIs use (a UUID fits). */
const KEY = /^[\x21-\x7e]{1,128}$/;

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().optional().openapi({
    description: 'A unique key per intended request (e.g. a UUID). Sending the same request again with the same key changes nothing and answers as the first time.',
  }),
});

/** The request's key, or undefined; a malformed key is a 400 naming the header. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get(IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (!KEY.test(key)) throw validationFailed([{ field: IDEMPOTENCY_HEADER, message: 'must be 1–128 printable ASCII characters, e.g. a UUID' }]);
  return key;
}

/** The Temporal update id for a step: one per user and key, so two users' keys never collide. */
export function updateIdFor(user: User, key: string | undefined): string | undefined {
  return key === undefined ? undefined : `idem:${user.id}:${key}`;
}

export interface StoredReply {
  status: number;
  body?: unknown;
}

/**
 * Runs a create once per (user, key): the same request again gets the stored answer; the same key with
 * another request is refused (422); a concurrent duplicate is told to retry (409). Failures free the key.
 */
export async function oncePerKey<T extends StoredReply>(deps: ApiDeps, user: User, key: string | undefined, req: Request, create: () => Promise<T>): Promise<T | StoredReply> {
  if (key === undefined) return create();
  const keys = new IdempotencyKeysRepository(deps.knex);
  const request = `${req.method} ${req.baseUrl}${req.path}`.slice(0, 191);
  const hash = crypto.createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
  const claim = await keys.claim(user.id, key, request, hash, new Date());
  if (claim.kind === 'answered') return { status: claim.statusCode, body: claim.response };
  if (claim.kind === 'other_request') throw idempotencyKeyReused(`${IDEMPOTENCY_HEADER} ${key} was used for a different request`);
  if (claim.kind === 'in_progress') throw conflict(words('api.idempotency.inProgress', { header: IDEMPOTENCY_HEADER, key }));
  try {
    const reply = await create();
    await keys.answer(user.id, key, reply.status, reply.body);
    return reply;
  } catch (error) {
    await keys.release(user.id, key);
    throw error;
  }
}
