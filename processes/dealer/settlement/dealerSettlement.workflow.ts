/**
 * The settlement run of one period (PRODUCT §P5): a Temporal Schedule starts it once per
 * `dealer.settlementPeriod` (or finance starts it on demand) and it freezes one statement per
 * dealer with approved, unsettled lines. Firing twice for the same period is harmless: the
 * activity's unique keys make the second run answer the first run's statements.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createDealerActivities } from '../activities';
import { periodOf } from './rules';
import { noticeActivities } from '../../../platform/workflowKit/notify';

type Activities = ReturnType<typeof createDealerActivities>;

const { freezeSettlements } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface DealerSettlementRunInput {
  /** The month to settle, YYYY-MM; by default the month before the one the run starts in. */
  period?: string;
  timeZone: string;
  dealerId?: number;
}

export interface DealerSettlementRunResult {
  period: string;
  settlementIds: number[];
}

/** The month before `at`'s month in `timeZone` (a run on 1 December settles November). */
export function previousPeriod(at: Date, timeZone: string): string {
  const [year, month] = periodOf(at, timeZone).split('-').map(Number) as [number, number];
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

export async function dealerSettlementRun(input: DealerSettlementRunInput): Promise<DealerSettlementRunResult> {
  // Workflow time is deterministic (the start time on replay); a Schedule's run starts at its fire time.
  const period = input.period ?? previousPeriod(workflowInfo().startTime, input.timeZone);
  const settlementIds = await freezeSettlements({ period, ...(input.dealerId !== undefined ? { dealerId: input.dealerId } : {}) });
  return { period, settlementIds };
}

export interface WriteOffNoticeInput {
  settlementId: number;
  version: number;
  to: { email: string; name?: string };
  locale: 'zh-CN' | 'en';
  context: Record<string, unknown>;
}

/**
 * Sends the write-off notice (三包费用核销通知) of one statement version to the dealer, once:
 * the workflow id and the notice's idempotency key both name the statement and its version.
 */
export async function dealerWriteOffNotice(input: WriteOffNoticeInput): Promise<{ status: 'sent' | 'failed' }> {
  const outcome = await noticeActivities().sendNotice({
    idempotencyKey: `settlement-${input.settlementId}:v${input.version}:write-off`,
    template: 'dealer-writeoff',
    locale: input.locale,
    to: input.to,
    context: input.context,
  });
  return { status: outcome.status === 'sent' ? 'sent' : 'failed' };
}
