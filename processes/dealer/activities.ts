import { StepRefused } from './records';
import { SalesRepository } from './sales/repository';
import { TasksRepository } from './tasks/repository';
import { ClaimsRepository } from './claims/repository';
import { SettlementRepository } from './settlement/repository';
import { PartsPlansRepository } from './partsPlans/repository';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { UsersRepository } from '../../people/repository';
import { ApplicationFailure } from '@temporalio/common';
import { ALL_ROWS, type Role } from '../../domain/access';
import { DEFAULT_POLICY, mergePolicy, type PolicyOverride } from '../../domain/policy';
import { label } from '../../platform/notices';
import { dealerProcessPolicy, type PartsPlanInput } from './messages';
import type { Actor } from '../../platform/workflowKit/steps';
import type { Person } from '../delivery/messages';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';

export interface FreezeSettlementsInput {
  period: string;
  dealerId?: number;
}

export interface RecordWarrantyCardInput {
  saleId: number;
  cardDate: string;
  card: Record<string, unknown>;
  warrantyEndsOn: string;
  timeZone: string;
  at: string;
  actor: Actor;
}

/** A repository refusal is the step's answer (409), not something to retry. */
async function asStep<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    // Its words go along (as rejectStep's do): the API says the refusal in the reader's language.
    if (error instanceof StepRefused) throw ApplicationFailure.create({ type: 'StepRejected', message: error.message, nonRetryable: true, details: [{ words: error.words }] });
    throw error;
  }
}

/**
 * Dealer activities. Each is idempotent by the database's unique keys or by writing only what
 * differs: run twice (the Schedule firing twice, Temporal retrying after a worker kill) it changes,
 * freezes and posts nothing twice.
 */
export function createDealerActivities(deps: ActivityDeps) {
  const sales = new SalesRepository(deps.knex);
  const tasks = new TasksRepository(deps.knex);
  const claims = new ClaimsRepository(deps.knex);
  const statements = new SettlementRepository(deps.knex);
  const users = new UsersRepository(deps.knex);
  const policy = async () => mergePolicy(DEFAULT_POLICY, (await new PolicyLayersRepository(deps.knex).get('template', 'default'))?.override as PolicyOverride | undefined);
  return {
    /** One statement per dealer (and currency) with approved, unsettled lines: the period's statement ids. */
    async freezeSettlements(input: FreezeSettlementsInput): Promise<number[]> {
      return statements.runSettlement(input.period, (await policy()).dealer, deps.now(), input.dealerId);
    },
    /** Posts a confirmed statement to the dealer's receivables ledger, once: the entry's id. */
    async postSettlementToLedger(input: { settlementId: number }): Promise<number> {
      return (await statements.postToLedger(input.settlementId, deps.now())).id;
    },

    /** A card in time, whole: the sale's warranty and the device registered with its dates. */
    async recordWarrantyCard(input: RecordWarrantyCardInput): Promise<{ deviceId: number }> {
      return asStep(() => sales.recordCardInTime(input.saleId, input.cardDate, input.card, input.warrantyEndsOn, input.timeZone, deps.now()));
    },
    /** No card by the deadline: warranty not recognised, the reason kept in the company's language. */
    async expireWarrantyCard(input: { saleId: number; reasonKey: string }): Promise<boolean> {
      return sales.expireCard(input.saleId, label(input.reasonKey, 'zh-CN'));
    },

    /** The dealer arranged a task (visit time and plan): the arrangement deadline is met. */
    async recordTaskArrangement(input: { taskId: number; visitAt: string; arrangement: string; at: string }): Promise<void> {
      await asStep(() => tasks.arrangeTask(input.taskId, new Date(input.visitAt), input.arrangement, ALL_ROWS, new Date(input.at)));
    },
    /** The sales clerk checked the arranged task: the check deadline is met. */
    async recordTaskCheck(input: { taskId: number; note: string; at: string }): Promise<void> {
      await asStep(() => tasks.checkTask(input.taskId, input.note, new Date(input.at)));
    },

    /** What a claim's timers wait on (status, send-back, parts awaited). */
    async claimTimerFacts(input: { claimId: number }) {
      return claims.claimTimerFacts(input.claimId);
    },
    /** The old parts' return date passed: the lines whose part is missing (and their labour) are lost. */
    async applyClaimPartsDeadline(input: { claimId: number }): Promise<number[]> {
      const claim = await claims.claim(input.claimId, ALL_ROWS);
      if (!claim?.partsDueOn) return [];
      // Called once the due day has ended: judge the lines as of the day after it.
      const dayAfter = new Date(Date.parse(`${claim.partsDueOn}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      return claims.applyPartsDeadline(input.claimId, dayAfter);
    },
    /** The resubmission window closed: the lines still sent back are rejected. */
    async closeResubmitWindow(input: { claimId: number; within: string }): Promise<number[]> {
      return claims.closeResubmitWindow(input.claimId, input.within, deps.now());
    },

    /**
     * Opens every dealer's parts plan for each season ahead (once per dealer and season): the plans
     * whose process has not started yet, as their processes' inputs.
     */
    async openPartsPlans(): Promise<PartsPlanInput[]> {
      const terms = await policy();
      const now = deps.now();
      const today = now.toLocaleDateString('sv-SE', { timeZone: terms.dealer.settlementTimeZone });
      const plans = await new PartsPlansRepository(deps.knex).openDue(terms.dealer, today, now);
      return plans.map((p) => ({ planId: p.id, dealerId: p.dealerId, seasonStart: p.seasonStart, dueOn: p.dueOn, dueAt: p.dueAt.toISOString(), remindAt: p.remindAt.toISOString(), policy: dealerProcessPolicy(terms) }));
    },
    /** The dealer's parts plan, whole; the same plan again changes nothing. */
    async recordPartsPlan(input: { planId: number; lines: Array<{ partNo: string; quantity: number }>; note: string | null; submittedBy: number; at: string }): Promise<void> {
      await asStep(() => new PartsPlansRepository(deps.knex).submit(input.planId, input.lines, input.note, input.submittedBy, new Date(input.at)));
    },

    /** A statement's status (review, sent, confirmed, disputed). */
    async settlementStatus(input: { settlementId: number }): Promise<string> {
      return (await statements.settlement(input.settlementId, ALL_ROWS))?.status ?? 'missing';
    },

    /** Who hears for a dealer: its contact address, else its active users; in the dealer's language. */
    async dealerPeople(input: { dealerId: number }): Promise<Person[]> {
      const dealer = (await deps.knex('dealers').where({ id: input.dealerId }).first('name', 'contact_email', 'locale')) as { name: string; contact_email: string | null; locale: string } | undefined;
      if (!dealer) return [];
      const locale = dealer.locale === 'en' ? 'en' : 'zh-CN';
      if (dealer.contact_email) return [{ name: dealer.name, email: dealer.contact_email, locale }];
      const rows = (await deps.knex('users').where({ dealer_id: input.dealerId, active: true, role: 'dealer' }).orderBy('id').select('name', 'email', 'locale')) as Array<{ name: string; email: string; locale: string | null }>;
      return rows.map((u) => ({ name: u.name, email: u.email, locale: u.locale === 'en' ? 'en' : 'zh-CN' }));
    },
    /** Dealers' names, in the order asked (an unknown dealer answers an empty name). */
    async dealerNames(input: { dealerIds: number[] }): Promise<string[]> {
      const rows = (await deps.knex('dealers').whereIn('id', input.dealerIds).select('id', 'name')) as Array<{ id: number; name: string }>;
      return input.dealerIds.map((id) => rows.find((r) => Number(r.id) === id)?.name ?? '');
    },
    /** The active users of a role (leadership, sales clerks, finance); the administrators when it has none. */
    async activeUsersWithRole(input: { role: Role }): Promise<{ people: Person[]; sentToAdmins: boolean }> {
      for (const role of [input.role, 'admin'] as Role[]) {
        const found = await users.listActiveWithRole(role);
        if (found.length > 0) return { people: found.map((u) => ({ name: u.name, email: u.email, locale: u.locale })), sentToAdmins: role !== input.role };
      }
      return { people: [], sentToAdmins: false };
    },
  };
}
