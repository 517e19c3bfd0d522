import { DealerWarrantyRepository } from '../db/repositories/dealerWarranty';
import { PolicyLayersRepository } from '../db/repositories/policyLayers';
import { DEFAULT_POLICY, mergePolicy, type PolicyOverride } from '../domain/policy';
import type { ActivityDeps } from './deps';

export interface FreezeSettlementsInput {
  period: string;
  dealerId?: number;
}

/**
 * Dealer settlement activities. Each is idempotent by the database's unique keys: run twice (the
 * Schedule firing twice, Temporal retrying after a worker kill) it freezes and posts nothing twice.
 */
export function createDealerActivities(deps: ActivityDeps) {
  const repo = new DealerWarrantyRepository(deps.knex);
  const policy = async () => mergePolicy(DEFAULT_POLICY, (await new PolicyLayersRepository(deps.knex).get('template', 'default'))?.override as PolicyOverride | undefined);
  return {
    /** One statement per dealer (and currency) with approved, unsettled lines: the period's statement ids. */
    async freezeSettlements(input: FreezeSettlementsInput): Promise<number[]> {
      return repo.runSettlement(input.period, (await policy()).dealer, deps.now(), input.dealerId);
    },
    /** Posts a confirmed statement to the dealer's receivables ledger, once: the entry's id. */
    async postSettlementToLedger(input: { settlementId: number }): Promise<number> {
      return (await repo.postToLedger(input.settlementId, deps.now())).id;
    },
  };
}
