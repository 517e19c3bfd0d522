/**
 * Dealer settlement (PRODUCT §P5): finance runs a period's statements and reviews each; the dealer
 * confirms (posted to its receivables ledger) or disputes; the write-off notice and the wait for the
 * dealer's answer. Used by the routes and the console's pages and forms.
 */
import { NotFoundError } from '../../../platform/db/errors';
import { DomainError } from '../../../domain/errors';
import { words } from '../../../domain/words';
import type { Locale } from '../../../domain/locale';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { User } from '../../../people/repository';
import { ALL_ROWS, type Scope } from '../../../domain/access';
import type { ServicePolicy } from '../../../domain/policy';
import { renderNotice } from '../../../platform/notices';
import { IdSchema, MoneySchema, prose } from '../../../platform/http/fields';
import type { ApiDeps } from '../../../platform/http/module';
import { z } from '../../../platform/http/zod';
import { dealerProcessPolicy, settlementAnsweredSignal, settlementConfirmWorkflowId, type SettlementConfirmInput } from '../messages';
import { dealerDeadlineAt } from '../rules';
import { dealerCalendar, dealerPolicy, parseBody, runStep, stepBy, tellProcess, type DealerStep } from '../useCases';
import type { WriteOffNoticeInput } from './dealerSettlement.workflow';
import { SettlementRepository, type LedgerEntry, type Settlement, type SettlementHead } from './repository';

export type { Settlement } from './repository';

export const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

export const RunBody = z.strictObject({
  period: z.string().regex(PERIOD, 'must be a month YYYY-MM').openapi({ description: 'The calendar month YYYY-MM, in dealer.settlementTimeZone' }),
  dealerId: IdSchema.optional(),
});

const statements = (deps: ApiDeps) => new SettlementRepository(deps.knex);

/** Finance runs a period's settlement on demand (the route's and the console's command): the period's statements. */
export async function runSettlementPeriod(deps: ApiDeps, user: User, input: unknown, locale: Locale = user.locale): Promise<Settlement[]> {
  stepBy(user, ['finance']);
  const body = parseBody(RunBody, input, locale);
  const policy = await dealerPolicy(deps);
  const ids = await statements(deps).runSettlement(body.period, policy.dealer, new Date(), body.dealerId, user.id);
  return Promise.all(ids.map(async (id) => (await statements(deps).settlement(id, ALL_ROWS))!));
}

/** A statement in the caller's reach, or null. */
export const findSettlement = (deps: ApiDeps, id: number, scope: Scope): Promise<Settlement | null> => statements(deps).settlement(id, scope);

/** A statement in the caller's reach (404 otherwise). */
export async function readSettlement(deps: ApiDeps, id: number, scope: Scope): Promise<Settlement> {
  const settlement = await findSettlement(deps, id, scope);
  if (!settlement) throw new NotFoundError(words('refusal.dealer.noStatement', { settlementId: id }));
  return settlement;
}

/** Statements in reach (of a period), with their lines. */
export const listDealerSettlements = (deps: ApiDeps, scope: Scope, period?: string): Promise<Settlement[]> => statements(deps).listSettlements(scope, period);

/** The same without their lines: what a list shows. */
export const listSettlementHeads = (deps: ApiDeps, scope: Scope, period?: string): Promise<SettlementHead[]> => statements(deps).listSettlementHeads(scope, period);

/** The dealer's receivables ledger, oldest first. */
export const dealerLedger = (deps: ApiDeps, dealerId: number): Promise<LedgerEntry[]> => statements(deps).ledger(dealerId);

function settlementStep<B extends z.ZodType>(roles: ['finance'] | ['dealer'], body: B, run: (deps: ApiDeps, id: number, body: z.infer<B>, scope: Scope) => Promise<Settlement>): DealerStep<Settlement> & { body: B } {
  return { roles, body, run: (deps, id, input, _user, scope) => run(deps, id, input as z.infer<B>, scope) };
}

/** The steps on a statement, by the path the route and the console's form name them. */
export const SETTLEMENT_STEPS = {
  review: settlementStep(
    ['finance'],
    z.strictObject({
      holdLineIds: z.array(IdSchema).max(10_000).openapi({ description: 'Claim line ids (claimLineId) to hold back' }),
      corrections: z
        .array(z.strictObject({ claimLineId: IdSchema, amount: MoneySchema }))
        .max(10_000)
        .optional()
        .openapi({ description: 'Lines whose amount finance corrects (at most what was claimed), in the statement’s currency' }),
      answer: prose(2000).optional().openapi({ description: 'Required on a disputed statement: why lines were corrected, or why finance stands firm' }),
    }),
    async (deps, id, body) => {
      const policy = await dealerPolicy(deps);
      const within = policy.dealer.settlementConfirmWithin;
      const now = new Date();
      const confirmDueAt = dealerDeadlineAt(now, within, await dealerCalendar(deps, policy, within), 'dealer.settlementConfirmWithin');
      const current = (await statements(deps).settlement(id, ALL_ROWS))!;
      const corrections = body.corrections ?? [];
      const wrongCurrency = corrections.findIndex((c) => c.amount.currency !== current.total.currency);
      if (wrongCurrency >= 0) throw new DomainError(words('refusal.dealer.statementCurrency', { currency: current.total.currency }), `corrections.${wrongCurrency}.amount.currency`);
      const settlement = await statements(deps).review(id, body.holdLineIds, policy.dealer, now, confirmDueAt, body.answer, corrections.map((c) => ({ claimLineId: c.claimLineId, amount: c.amount.amount })));
      await sendWriteOffNotice(deps, settlement);
      await startConfirmationWait(deps, settlement, policy);
      return settlement;
    },
  ),
  confirm: settlementStep(['dealer'], z.strictObject({ version: z.number().int().min(1).max(10_000).openapi({ description: 'The statement version confirmed; another version is refused (409)' }) }), async (deps, id, body, scope) => {
    const settlement = await statements(deps).confirm(id, body.version, scope, new Date());
    await tellConfirmationWait(deps, id);
    return settlement;
  }),
  dispute: settlementStep(['dealer'], z.strictObject({ reason: prose(2000), claimLineIds: z.array(IdSchema).max(10_000).optional().openapi({ description: 'The claim lines disputed (claimLineId), each on this statement' }) }), async (deps, id, body, scope) => {
    const settlement = await statements(deps).dispute(id, body.reason, scope, new Date(), body.claimLineIds ?? []);
    await tellConfirmationWait(deps, id);
    return settlement;
  }),
};

/** A step on a statement (the route's and the console's command): finance's review, the dealer's confirmation or dispute. */
export async function runSettlementStep(deps: ApiDeps, user: User, settlementId: number, path: string, input: unknown, scope: Scope, locale: Locale = user.locale): Promise<Settlement> {
  return runStep<Settlement>(SETTLEMENT_STEPS, 'settlement', path, async () => (await statements(deps).settlement(settlementId, scope)) !== null, deps, user, settlementId, input, scope, undefined, locale);
}

/**
 * Starts chasing the dealer's answer to the statement just sent (settlementConfirm), replacing the
 * wait of an earlier review. Best effort: the review and its deadline row are on record either way.
 */
async function startConfirmationWait(deps: ApiDeps, settlement: Settlement, policy: ServicePolicy): Promise<void> {
  if (!deps.temporal || !settlement.confirmDueAt) return;
  const input: SettlementConfirmInput = { settlementId: settlement.id, dealerId: settlement.dealerId, period: settlement.period, version: settlement.version, dueAt: settlement.confirmDueAt.toISOString(), policy: dealerProcessPolicy(policy) };
  try {
    await deps.temporal.client.workflow.start('settlementConfirm', { taskQueue: deps.temporal.taskQueue, workflowId: settlementConfirmWorkflowId(settlement.id), args: [input], workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING });
  } catch (error) {
    deps.logger?.error(`statement ${settlement.id}: the wait for the dealer's answer did not start`, error);
  }
}

/** Tells the statement's confirmation wait that the dealer answered (best effort: it checks the statement at each rung). */
const tellConfirmationWait = (deps: ApiDeps, settlementId: number): Promise<void> =>
  tellProcess(deps, settlementConfirmWorkflowId(settlementId), settlementAnsweredSignal, `statement ${settlementId}: its confirmation wait was not told of the answer`);

/**
 * Sends the statement's write-off notice to the dealer's contact, through a workflow on the notices
 * queue (the outbox makes it once per statement version). Without a process engine or a contact
 * e-mail there is nobody to send it to: the notice stays readable at GET …/notice.
 */
async function sendWriteOffNotice(deps: ApiDeps, settlement: Settlement): Promise<void> {
  const dealer = (await deps.knex('dealers').where({ id: settlement.dealerId }).first('name', 'locale', 'contact_email')) as { name: string; locale: string; contact_email: string | null };
  if (!deps.temporal || !dealer.contact_email) return;
  const input: WriteOffNoticeInput = {
    settlementId: settlement.id,
    version: settlement.version,
    to: { email: dealer.contact_email, name: dealer.name },
    locale: dealer.locale === 'en' ? 'en' : 'zh-CN',
    context: writeOffContext(settlement, dealer.name),
  };
  try {
    await deps.temporal.client.workflow.start('dealerWriteOffNotice', { taskQueue: deps.temporal.taskQueue, workflowId: `settlement-${settlement.id}-v${settlement.version}-write-off`, args: [input] });
  } catch (error) {
    // The same version's notice is on its way already (a stand-firm answer resends nothing new).
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    // The review is on record; the notice can be read and printed from GET …/notice meanwhile.
    deps.logger?.error(`write-off notice of statement ${settlement.id} v${settlement.version} not started`, error);
  }
}

/** The write-off notice (三包费用核销通知) of a statement as printable HTML, in `lang` or else the dealer's language. */
export async function writeOffNoticeHtml(deps: ApiDeps, settlement: Settlement, lang?: string): Promise<string> {
  const dealer = (await deps.knex('dealers').where({ id: settlement.dealerId }).first('name', 'locale')) as { name: string; locale: string };
  return renderNotice('dealer-writeoff', lang ?? dealer.locale, writeOffContext(settlement, dealer.name)).html;
}

/** A claim line's kind as the write-off notice names it, in each of its languages. */
const LINE_KIND_NAMES: Record<string, { en: string; zh: string }> = {
  part: { en: 'part', zh: '配件' },
  labour: { en: 'labour', zh: '工时' },
  travel: { en: 'travel', zh: '差旅' },
  other: { en: 'other', zh: '其他' },
};

/** What the write-off notice shows: the statement's lines and total as of its current version. */
export function writeOffContext(settlement: Settlement, dealerName: string): Record<string, unknown> {
  const currency = settlement.total.currency;
  return {
    dealer: dealerName,
    period: settlement.period,
    version: settlement.version,
    total: settlement.total,
    lines: settlement.lines.map((l) => ({ claimId: l.claimId, lineNo: l.lineNo, kind: l.kind, kindName: LINE_KIND_NAMES[l.kind] ?? { en: l.kind, zh: l.kind }, amount: { amount: l.amount, currency } })),
    confirmDueAt: settlement.confirmDueAt?.toISOString(),
  };
}
