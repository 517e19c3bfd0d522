/**
 * The people list as administration reads it (GET /api/users, the /people page): each account with
 * what it acts for, its unit, and where its latest invitation stands, filtered and paged in SQL.
 * An invitation's 'failed' comes from its mail's outbox row (people/useCases.ts sendLink keys it
 * `user-<id>/invitation/<link id>`). Also the account fields beside User: unit and dealer administrator.
 */
import type { Knex } from 'knex';
import { isMysql } from '../platform/db/knex';
import { toBool, toDate, toRequiredDate } from '../platform/db/mapping';
import type { Locale, Role } from './roles';
import { invitationState, type InvitationState } from './adminRules';

/** Whom a list may show: every account, or the staff roles, customers and dealer given. */
export type PeopleScope =
  | { kind: 'all' }
  | { kind: 'some'; staffRoles: readonly Role[]; customers: 'all' | readonly number[]; dealerId: number | null };

export interface PeopleFilter {
  role?: Role;
  /** 'none': accounts never invited (the upgrade path). */
  state?: InvitationState | 'none';
  /** The unit and every unit under it. */
  unitIds?: readonly number[];
  q?: string;
  limit: number;
  offset: number;
}

export interface PersonListing {
  id: number;
  name: string;
  email: string;
  role: Role;
  locale: Locale;
  timeZone: string | null;
  dealerId: number | null;
  customerId: number | null;
  orgUnitId: number | null;
  dealerAdmin: boolean;
  active: boolean;
  hasPassword: boolean;
  createdAt: Date;
  invitation: { state: InvitationState; expiresAt: Date } | null;
}

/** The outbox key of an invitation link's mail, built in SQL for the join. */
function mailKey(knex: Knex): string {
  return isMysql(knex) ? "CONVERT(CONCAT('user-', l.user_id, '/invitation/', l.id) USING utf8mb4) COLLATE utf8mb4_bin" : "('user-' || l.user_id || '/invitation/' || l.id)";
}

export class PeopleDirectory {
  constructor(private readonly db: Knex) {}

  private base(scope: PeopleScope) {
    const knex = this.db;
    const latest = knex('user_links').where({ purpose: 'invitation' }).groupBy('user_id').select('user_id').max({ link_id: 'id' }).as('li');
    const query = knex('users as u')
      .leftJoin(latest, 'li.user_id', 'u.id')
      .leftJoin('user_links as l', 'l.id', 'li.link_id')
      .leftJoin('notice_outbox as o', function () {
        this.on('o.idempotency_key', '=', knex.raw(mailKey(knex)));
      });
    if (scope.kind === 'some') {
      query.where((q) => {
        if (scope.staffRoles.length > 0) q.orWhereIn('u.role', scope.staffRoles as Role[]);
        if (scope.customers === 'all') q.orWhere('u.role', 'customer');
        else if (scope.customers.length > 0) q.orWhere((c) => c.where('u.role', 'customer').whereIn('u.customer_id', scope.customers as number[]));
        if (scope.dealerId !== null) q.orWhere((d) => d.where('u.role', 'dealer').where('u.dealer_id', scope.dealerId));
        // Whoever reaches nobody lists nobody.
        q.orWhereRaw('1 = 0');
      });
    }
    return query;
  }

  private filtered(scope: PeopleScope, filter: Omit<PeopleFilter, 'limit' | 'offset'>, now: Date) {
    const query = this.base(scope);
    if (filter.role) query.where('u.role', filter.role);
    if (filter.unitIds) query.whereIn('u.org_unit_id', filter.unitIds as number[]);
    const q = filter.q?.trim().toLowerCase();
    if (q) {
      // '!' escapes the wildcards: a backslash means different things in MySQL's and SQLite's literals.
      const like = `%${q.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      query.where((w) => w.whereRaw("LOWER(u.name) LIKE ? ESCAPE '!'", [like]).orWhereRaw("u.email LIKE ? ESCAPE '!'", [like]));
    }
    const mailFailed = (w: Knex.QueryBuilder) => w.where('o.status', 'failed');
    const mailNotFailed = (w: Knex.QueryBuilder) => w.whereNull('o.status').orWhereNot('o.status', 'failed');
    switch (filter.state) {
      case 'none':
        query.whereNull('l.id');
        break;
      case 'accepted':
        query.whereNotNull('l.used_at');
        break;
      case 'failed':
        query.whereNotNull('l.id').whereNull('l.used_at').where(mailFailed);
        break;
      case 'expired':
        query.whereNotNull('l.id').whereNull('l.used_at').where(mailNotFailed).where('l.expires_at', '<=', now);
        break;
      case 'sent':
        query.whereNotNull('l.id').whereNull('l.used_at').where(mailNotFailed).where('l.expires_at', '>', now);
        break;
      default:
        break;
    }
    return query;
  }

  async list(scope: PeopleScope, filter: PeopleFilter, now: Date): Promise<{ people: PersonListing[]; total: number }> {
    const counted = (await this.filtered(scope, filter, now).count({ n: 'u.id' }).first()) as { n: number | string } | undefined;
    const rows = (await this.filtered(scope, filter, now)
      .orderBy('u.name')
      .orderBy('u.id')
      .limit(filter.limit)
      .offset(filter.offset)
      .select('u.id', 'u.name', 'u.email', 'u.role', 'u.locale', 'u.time_zone', 'u.dealer_id', 'u.customer_id', 'u.org_unit_id', 'u.dealer_admin', 'u.active', 'u.created_at', 'u.password_hash', 'l.id as link_id', 'l.used_at', 'l.expires_at', 'o.status as mail_status')) as Array<Record<string, unknown>>;
    return { total: Number(counted?.n ?? 0), people: rows.map((row) => toListing(row, now)) };
  }

  /** One account as the list shows it, whoever may see it (the use case checks). */
  async get(id: number, now: Date): Promise<PersonListing | null> {
    const row = (await this.base({ kind: 'all' })
      .where('u.id', id)
      .first('u.id', 'u.name', 'u.email', 'u.role', 'u.locale', 'u.time_zone', 'u.dealer_id', 'u.customer_id', 'u.org_unit_id', 'u.dealer_admin', 'u.active', 'u.created_at', 'u.password_hash', 'l.id as link_id', 'l.used_at', 'l.expires_at', 'o.status as mail_status')) as Record<string, unknown> | undefined;
    return row ? toListing(row, now) : null;
  }

  async accountFlags(id: number): Promise<{ orgUnitId: number | null; dealerAdmin: boolean } | null> {
    const row = (await this.db('users').where({ id }).first('org_unit_id', 'dealer_admin')) as { org_unit_id: unknown; dealer_admin: unknown } | undefined;
    return row ? { orgUnitId: row.org_unit_id === null ? null : Number(row.org_unit_id), dealerAdmin: toBool(row.dealer_admin) } : null;
  }

  /** Changes an account's administered fields; a field left out stays. */
  async update(id: number, fields: Partial<{ name: string; role: Role; locale: Locale; timeZone: string | null; dealerId: number | null; customerId: number | null; orgUnitId: number | null; dealerAdmin: boolean }>): Promise<void> {
    const columns: Record<string, unknown> = {};
    if (fields.name !== undefined) columns.name = fields.name;
    if (fields.role !== undefined) columns.role = fields.role;
    if (fields.locale !== undefined) columns.locale = fields.locale;
    if (fields.timeZone !== undefined) columns.time_zone = fields.timeZone;
    if (fields.dealerId !== undefined) columns.dealer_id = fields.dealerId;
    if (fields.customerId !== undefined) columns.customer_id = fields.customerId;
    if (fields.orgUnitId !== undefined) columns.org_unit_id = fields.orgUnitId;
    if (fields.dealerAdmin !== undefined) columns.dealer_admin = fields.dealerAdmin;
    if (Object.keys(columns).length > 0) await this.db('users').where({ id }).update(columns);
  }
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toListing(row: Record<string, unknown>, now: Date): PersonListing {
  const expiresAt = toDate(row.expires_at);
  const state = row.link_id === null || row.link_id === undefined || !expiresAt ? null : invitationState({ usedAt: toDate(row.used_at), expiresAt, mailStatus: (row.mail_status as string | null) ?? null }, now);
  return {
    id: Number(row.id),
    name: row.name as string,
    email: row.email as string,
    role: row.role as Role,
    locale: row.locale as Locale,
    timeZone: (row.time_zone as string | null) ?? null,
    dealerId: num(row.dealer_id),
    customerId: num(row.customer_id),
    orgUnitId: num(row.org_unit_id),
    dealerAdmin: toBool(row.dealer_admin),
    active: toBool(row.active),
    hasPassword: Boolean(row.password_hash),
    createdAt: toRequiredDate(row.created_at),
    invitation: state && expiresAt ? { state, expiresAt } : null,
  };
}
