/**
 * Organisational units as stored (migration 0035): regions and teams under an optional parent. The
 * rules (no cycles, which kind under which) are people/unitRules.ts; people/units.ts applies them.
 * Pass a transaction as `db` to make several calls atomic.
 */
import type { Knex } from 'knex';
import { insertedId, toRequiredDate } from '../platform/db/mapping';
import type { OrgUnitKind } from './unitRules';

export interface OrgUnit {
  id: number;
  name: string;
  kind: OrgUnitKind;
  parentId: number | null;
  createdAt: Date;
}

interface OrgUnitRow {
  id: number;
  name: string;
  kind: OrgUnitKind;
  parent_id: number | null;
  created_at: unknown;
}

const toUnit = (row: OrgUnitRow): OrgUnit => ({ id: Number(row.id), name: row.name, kind: row.kind, parentId: row.parent_id === null ? null : Number(row.parent_id), createdAt: toRequiredDate(row.created_at) });

export class OrgUnitsRepository {
  constructor(private readonly db: Knex) {}

  async list(): Promise<OrgUnit[]> {
    return ((await this.db('org_units').orderBy('id')) as OrgUnitRow[]).map(toUnit);
  }

  async get(id: number): Promise<OrgUnit | null> {
    const row = (await this.db('org_units').where({ id }).first()) as OrgUnitRow | undefined;
    return row ? toUnit(row) : null;
  }

  /** Throws the database's unique violation when a sibling has the name (the use case words it). */
  async create(input: { name: string; kind: OrgUnitKind; parentId: number | null }, now: Date): Promise<OrgUnit> {
    const id = insertedId(await this.db('org_units').insert({ name: input.name, kind: input.kind, parent_id: input.parentId, parent_key: input.parentId ?? 0, created_at: now }));
    return (await this.get(id))!;
  }

  async rename(id: number, name: string): Promise<void> {
    await this.db('org_units').where({ id }).update({ name });
  }

  async move(id: number, parentId: number | null): Promise<void> {
    await this.db('org_units').where({ id }).update({ parent_id: parentId, parent_key: parentId ?? 0 });
  }
}
