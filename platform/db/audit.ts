import type { Knex } from 'knex';
import { fromJson, insertedId, toJson, toRequiredDate } from './mapping';

export type AuditDetails = Record<string, unknown>;

export interface AuditEntry {
  id: number;
  at: Date;
  actorUserId: number | null;
  actorRole: string | null;
  /** What was asked, e.g. `POST /api/users` (the route pattern, not the concrete URL). */
  action: string;
  entityType: string | null;
  entityId: string | null;
  requestId: string;
  statusCode: number;
  details: AuditDetails;
}

export interface NewAuditEntry {
  at?: Date;
  actorUserId?: number | null;
  actorRole?: string | null;
  action: string;
  entityType?: string | null;
  entityId?: string | number | null;
  requestId: string;
  statusCode: number;
  details?: AuditDetails;
}

export interface AuditFilter {
  entityType?: string;
  entityId?: string | number;
  limit: number;
}

interface AuditRow {
  id: number;
  at: unknown;
  actor_user_id: number | null;
  actor_role: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  request_id: string;
  status_code: number;
  details: unknown;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    at: toRequiredDate(row.at),
    actorUserId: row.actor_user_id === null ? null : Number(row.actor_user_id),
    actorRole: row.actor_role,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    requestId: row.request_id,
    statusCode: Number(row.status_code),
    details: fromJson<AuditDetails | null>(row.details) ?? {},
  };
}

/** The audit trail: append-only, newest first when read. */
export class AuditRepository {
  constructor(private readonly db: Knex) {}

  async record(entry: NewAuditEntry): Promise<AuditEntry> {
    const row = {
      at: entry.at ?? new Date(),
      actor_user_id: entry.actorUserId ?? null,
      actor_role: entry.actorRole ?? null,
      action: entry.action,
      entity_type: entry.entityType ?? null,
      entity_id: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
      request_id: entry.requestId,
      status_code: entry.statusCode,
      details: toJson(entry.details ?? {}),
    };
    const id = insertedId(await this.db('audit_log').insert(row));
    return toEntry({ id, ...row });
  }

  async list(filter: AuditFilter): Promise<AuditEntry[]> {
    const query = this.db<AuditRow>('audit_log').orderBy('id', 'desc').limit(filter.limit);
    if (filter.entityType !== undefined) query.where('entity_type', filter.entityType);
    if (filter.entityId !== undefined) query.where('entity_id', String(filter.entityId));
    return (await query).map(toEntry);
  }
}
