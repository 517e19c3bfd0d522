import type { Knex } from 'knex';
import { toRequiredDate } from '../../platform/db/mapping';
import { generateToken, hashToken } from '../../platform/tokens';

/** An engineer's calendar feed token: one live token per user, stored as its hash. */
export class CalendarFeedsRepository {
  constructor(private readonly db: Knex) {}

  /** A new token for the user; any earlier one stops working in the same transaction. */
  async issue(userId: number, now: Date = new Date()): Promise<string> {
    const token = generateToken();
    await this.db.transaction(async (trx) => {
      await trx('calendar_feed_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
      await trx('calendar_feed_tokens').insert({ user_id: userId, token_hash: hashToken(token), created_at: now });
    });
    return token;
  }

  /** Revokes the user's live token; true when there was one. */
  async revoke(userId: number, now: Date = new Date()): Promise<boolean> {
    return (await this.db('calendar_feed_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now })) > 0;
  }

  /** Whether `token` is the user's live feed token (and the user still active). */
  async admits(userId: number, token: string): Promise<boolean> {
    const row = await this.db('calendar_feed_tokens as f')
      .join('users as u', 'u.id', 'f.user_id')
      .where({ 'f.user_id': userId, 'f.token_hash': hashToken(token), 'u.active': true })
      .whereNull('f.revoked_at')
      .first('f.id');
    return row !== undefined;
  }
}

/** An open visit as a calendar shows it. */
export interface FeedVisit {
  id: number;
  planId: number;
  kind: string;
  dueAt: Date;
  windowStart: Date;
  windowEnd: Date;
  updatedAt: Date;
  customerName: string;
  timeZone: string;
  address: string | null;
}

/** The visits assigned to the user that are still to be done, soonest first. */
export async function assignedOpenVisits(db: Knex, userId: number): Promise<FeedVisit[]> {
  const rows = (await db('care_visits as v')
    .join('customers as c', 'c.id', 'v.customer_id')
    .join('care_plans as p', 'p.id', 'v.plan_id')
    .leftJoin('sites as s', 's.id', 'p.site_id')
    .where({ 'v.assignee_user_id': userId, 'v.status': 'due' })
    .orderBy([{ column: 'v.due_at' }, { column: 'v.id' }])
    .select('v.id', 'v.plan_id', 'v.kind', 'v.due_at', 'v.window_start', 'v.window_end', 'v.updated_at', 'c.name as customer_name', 'c.time_zone', 'c.address as customer_address', 's.address as site_address')) as Record<string, unknown>[];
  return rows.map((row) => ({
    id: Number(row.id),
    planId: Number(row.plan_id),
    kind: String(row.kind),
    dueAt: toRequiredDate(row.due_at),
    windowStart: toRequiredDate(row.window_start),
    windowEnd: toRequiredDate(row.window_end),
    updatedAt: toRequiredDate(row.updated_at),
    customerName: String(row.customer_name),
    timeZone: String(row.time_zone),
    address: (row.site_address ?? row.customer_address ?? null) as string | null,
  }));
}
