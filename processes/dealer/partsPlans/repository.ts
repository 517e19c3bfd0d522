import type { Knex } from 'knex';
import { words } from '../../../domain/words';
import type { Scope } from '../../../domain/access';
import { partsPlanClock, partsPlanDueDates, type PartsPlanLine } from './rules';
import { partsPlanWorkflowId } from '../rules';
import type { ServicePolicy } from '../../../domain/policy';
import { NotFoundError, isUniqueViolation } from '../../../platform/db/errors';
import { fromJson, toDate, toJson, toRequiredDate } from '../../../platform/db/mapping';
import { whereInScope } from '../../../platform/db/scope';
import { StepRefused } from '../records';

/** One dealer's parts plan for one sales season (PRODUCT §P5.7). */
export interface PartsPlan {
  id: number;
  dealerId: number;
  /** The first day of the season, `YYYY-MM-DD`. */
  seasonStart: string;
  /** The plan is due by the end of this day (`dealer.partsPlanLead` before the season). */
  dueOn: string;
  dueAt: Date;
  remindAt: Date;
  status: 'open' | 'submitted';
  lines: PartsPlanLine[];
  note: string | null;
  submittedAt: Date | null;
}

type Row = Record<string, unknown>;

const toPlan = (row: Row): PartsPlan => ({
  id: Number(row.id),
  dealerId: Number(row.dealer_id),
  seasonStart: String(row.season_start),
  dueOn: String(row.due_on),
  dueAt: toRequiredDate(row.due_at),
  remindAt: toRequiredDate(row.remind_at),
  status: row.status as PartsPlan['status'],
  lines: row.lines === null || row.lines === undefined ? [] : fromJson<PartsPlanLine[]>(row.lines),
  note: (row.note as string | null) ?? null,
  submittedAt: toDate(row.submitted_at),
});

const sameLines = (a: readonly PartsPlanLine[], b: readonly PartsPlanLine[]): boolean => JSON.stringify(a) === JSON.stringify(b);

export class PartsPlansRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Opens each dealer's plan for each season ahead (`partsPlanDueDates` of `today`), once: the
   * (dealer, season) key makes a second run find the first run's plan. Answers the open plans whose
   * process has not started yet (no deadline row under its workflow id), oldest first.
   */
  async openDue(policy: ServicePolicy['dealer'], today: string, now: Date): Promise<PartsPlan[]> {
    const seasons = partsPlanDueDates(policy.salesSeasons, policy.partsPlanLead, today);
    const dealers = ((await this.db('dealers').select('id').orderBy('id')) as Row[]).map((r) => Number(r.id));
    for (const dealerId of dealers) {
      for (const season of seasons) {
        if (await this.db('parts_plans').where({ dealer_id: dealerId, season_start: season.seasonStart }).first('id')) continue;
        const clock = partsPlanClock(season.dueOn, now, policy, policy.settlementTimeZone);
        try {
          await this.db('parts_plans').insert({ dealer_id: dealerId, season_start: season.seasonStart, due_on: season.dueOn, due_at: clock.dueAt, remind_at: clock.remindAt, status: 'open', created_at: now });
        } catch (error) {
          // Another run opened it a moment ago.
          if (!isUniqueViolation(error)) throw error;
        }
      }
    }
    const open = ((await this.db('parts_plans').where({ status: 'open' }).where('season_start', '>', today).orderBy('id')) as Row[]).map(toPlan);
    const started = new Set(((await this.db('deadlines').where('workflow_id', 'like', 'parts-plan-%').distinct('workflow_id')) as Row[]).map((r) => String(r.workflow_id)));
    return open.filter((plan) => !started.has(partsPlanWorkflowId(plan.id)));
  }

  async get(id: number): Promise<PartsPlan | null> {
    const row = (await this.db('parts_plans').where({ id }).first()) as Row | undefined;
    return row ? toPlan(row) : null;
  }

  /** A dealer's plan of one season, within the caller's scope. */
  async ofSeason(dealerId: number, seasonStart: string, scope: Scope): Promise<PartsPlan | null> {
    const row = (await whereInScope(this.db('parts_plans').where({ dealer_id: dealerId, season_start: seasonStart }), scope, { dealer: 'dealer_id' }).first()) as Row | undefined;
    return row ? toPlan(row) : null;
  }

  /** Plans the caller may read (a dealer: its own), optionally one dealer's, soonest due first. */
  async list(scope: Scope, dealerId?: number): Promise<PartsPlan[]> {
    let query = whereInScope(this.db('parts_plans').orderBy([{ column: 'due_at' }, { column: 'id' }]), scope, { dealer: 'dealer_id' });
    if (dealerId !== undefined) query = query.where({ dealer_id: dealerId });
    return ((await query.limit(500)) as Row[]).map(toPlan);
  }

  /**
   * The dealer's plan, recorded whole. The same lines again (a retried recording) change nothing;
   * other lines on a submitted plan are refused.
   */
  async submit(id: number, lines: PartsPlanLine[], note: string | null, submittedBy: number, at: Date): Promise<PartsPlan> {
    await this.db.transaction(async (trx) => {
      const row = (await trx('parts_plans').where({ id }).forUpdate().first()) as Row | undefined;
      if (!row) throw new NotFoundError(words('refusal.dealer.noPartsPlan', { planId: id }));
      const plan = toPlan(row);
      if (plan.status === 'submitted') {
        if (sameLines(plan.lines, lines)) return;
        throw new StepRefused(words('refusal.dealer.planSubmitted', { seasonStart: plan.seasonStart }));
      }
      await trx('parts_plans').where({ id }).update({ status: 'submitted', lines: toJson(lines), note, submitted_at: at, submitted_by: submittedBy });
    });
    return (await this.get(id))!;
  }
}
