import type { Knex } from 'knex';
import { fromJson, toJson, toRequiredDate } from '../../platform/db/mapping';

/** A JSON object holding (part of) a service policy; its shape is the policy module's concern. */
export type PolicyDocument = Record<string, unknown>;

/** Layers applied over the defaults, in this order, before a contract's own overrides (PRODUCT §2). */
export type PolicyScope = 'template' | 'model' | 'customer_class';

export interface PolicyLayer {
  scope: PolicyScope;
  /** Template name, product model or customer class, depending on the scope. */
  key: string;
  override: PolicyDocument;
  updatedAt: Date;
}

interface PolicyLayerRow {
  scope: PolicyScope;
  layer_key: string;
  override: unknown;
  updated_at: unknown;
}

function toPolicyLayer(row: PolicyLayerRow): PolicyLayer {
  return {
    scope: row.scope,
    key: row.layer_key,
    override: fromJson<PolicyDocument>(row.override),
    updatedAt: toRequiredDate(row.updated_at),
  };
}

export class PolicyLayersRepository {
  constructor(private readonly db: Knex) {}

  /** Creates or replaces the layer for (scope, key). */
  async put(scope: PolicyScope, key: string, override: PolicyDocument, now: Date = new Date()): Promise<PolicyLayer> {
    await this.db('policy_layers')
      .insert({ scope, layer_key: key, override: toJson(override), updated_at: now })
      .onConflict(['scope', 'layer_key'])
      .merge(['override', 'updated_at']);
    // Echo what a read returns: the override as it survives a JSON round trip.
    return { scope, key, override: fromJson<PolicyDocument>(toJson(override)), updatedAt: now };
  }

  async get(scope: PolicyScope, key: string): Promise<PolicyLayer | null> {
    const row = (await this.db('policy_layers').where({ scope, layer_key: key }).first()) as PolicyLayerRow | undefined;
    return row ? toPolicyLayer(row) : null;
  }

  async list(): Promise<PolicyLayer[]> {
    const rows = (await this.db('policy_layers').orderBy([{ column: 'scope' }, { column: 'layer_key' }])) as PolicyLayerRow[];
    return rows.map(toPolicyLayer);
  }
}
