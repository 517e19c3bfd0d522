/** Dealer settlement and the receivables ledger through the API: the routes parse, call the use case, render. */
import { readerLocale } from '../../../platform/http/problemMessages';
import { rolesReaching } from '../../../domain/access';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { decimal, IdParams, MoneyOut, once, sendCsv, stepRoute } from '../http';
import { dealerLedger, listDealerSettlements, PERIOD, readSettlement, RunBody, runSettlementPeriod, runSettlementStep, SETTLEMENT_STEPS, writeOffNoticeHtml, type Settlement } from './useCases';

const SettlementSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    period: z.string(),
    version: z.number().int(),
    status: z.enum(['review', 'sent', 'confirmed', 'disputed']),
    total: MoneyOut,
    confirmDueAt: z.string().nullable(),
    disputeReason: z.string().nullable(),
    disputeAnswer: z.string().nullable(),
    disputeLineIds: z.array(z.number().int()).openapi({ description: 'The claim lines the dealer disputed' }),
    lines: z.array(z.object({ claimLineId: z.number().int(), claimId: z.number().int(), lineNo: z.number().int(), kind: z.string(), amount: z.number().int() })),
  })
  .openapi('Settlement');

const settlementDto = (s: Settlement): z.input<typeof SettlementSchema> => ({ ...s, confirmDueAt: s.confirmDueAt?.toISOString() ?? null });

export const runSettlement = defineRoute(
  {
    method: 'post',
    path: '/settlements/run',
    roles: rolesReaching('settlement', 'act'),
    access: { rule: 'collection', resource: 'settlement', action: 'act' },
    summary: 'Freeze approved, unsettled lines into one statement per dealer for the period (safe to run again: a line is settled once)',
    tags: ['dealer warranty'],
    body: RunBody,
    idempotent: true,
    responses: { 200: { description: 'The period’s statements', body: z.object({ period: z.string(), settlements: z.array(SettlementSchema) }) } },
  },
  async ({ body, user, deps, req, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const settlements = await runSettlementPeriod(deps, user, body, readerLocale(req, user));
      return { status: 200 as const, body: { period: body.period, settlements: settlements.map(settlementDto) } };
    }),
);

export const listSettlements = defineRoute(
  {
    method: 'get',
    path: '/settlements',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'settlement', action: 'read' },
    summary: 'Statements the caller may read (a dealer: its own), optionally of one period: finance’s period view',
    tags: ['dealer warranty'],
    query: z.object({ period: z.string().regex(PERIOD, 'must be a month YYYY-MM').optional() }),
    responses: { 200: { description: 'Statements, oldest first', body: z.object({ settlements: z.array(SettlementSchema) }) } },
  },
  async ({ query, scope, deps }) => ({ status: 200, body: { settlements: (await listDealerSettlements(deps, scope, query.period)).map(settlementDto) } }),
);

export const getSettlement = defineRoute(
  {
    method: 'get',
    path: '/settlements/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'settlement', action: 'read' },
    summary: 'A statement with its lines and total',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'The statement', body: SettlementSchema } },
  },
  async ({ params, scope, deps }) => ({ status: 200, body: settlementDto(await readSettlement(deps, params.id, scope)) }),
);

const settlementStep = (path: keyof typeof SETTLEMENT_STEPS, summary: string) =>
  stepRoute({ base: '/settlements', path, resource: 'settlement', summary, body: SETTLEMENT_STEPS[path].body, schema: SettlementSchema, description: 'The statement after the step', dto: settlementDto, run: (deps, user, id, input, scope, _key, locale) => runSettlementStep(deps, user, id, path, input, scope, locale) });

export const review = settlementStep(
  'review',
  'Finance reviews the statement (holding lines back to the next period, correcting amounts) and sends it to the dealer, whose answer is chased (reminder, then escalation); on a disputed statement, the answer: corrected or held lines make a new version, none stands firm',
);
export const confirm = settlementStep('confirm', 'The dealer confirms the version of the statement it read; its total is posted once to the dealer’s receivables ledger');
export const dispute = settlementStep('dispute', 'The dealer disputes the statement naming a reason and the lines; finance answers in its next review');

export const notice = defineRoute(
  {
    method: 'get',
    path: '/settlements/:id/notice',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'settlement', action: 'read' },
    summary: 'The write-off notice (三包费用核销通知) as printable HTML, in the dealer’s language unless ?lang= says otherwise',
    tags: ['dealer warranty'],
    params: IdParams,
    query: z.object({ lang: z.enum(['zh-CN', 'en']).optional() }),
    responses: { 200: { description: 'text/html' } },
  },
  async ({ params, query, scope, deps, res }) => {
    const settlement = await readSettlement(deps, params.id, scope);
    res
      .status(200)
      .type('text/html; charset=utf-8')
      .send(await writeOffNoticeHtml(deps, settlement, query.lang));
  },
);

export const settlementCsv = defineRoute(
  {
    method: 'get',
    path: '/settlements/:id/lines.csv',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'settlement', action: 'read' },
    summary: 'The statement’s lines as CSV (one row per claim line; amounts in major units with the currency)',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'text/csv' } },
  },
  async ({ params, scope, deps, res }) => {
    const settlement = await readSettlement(deps, params.id, scope);
    const currency = settlement.total.currency;
    sendCsv(
      res,
      `settlement-${settlement.id}-v${settlement.version}.csv`,
      ['settlement_id', 'period', 'version', 'status', 'claim_id', 'line_no', 'claim_line_id', 'kind', 'amount', 'currency'],
      settlement.lines.map((l) => [settlement.id, settlement.period, settlement.version, settlement.status, l.claimId, l.lineNo, l.claimLineId, l.kind, decimal(l.amount), currency]),
    );
  },
);

const LedgerSchema = z
  .object({
    dealerId: z.number().int(),
    entries: z.array(z.object({ id: z.number().int(), settlementId: z.number().int(), kind: z.string(), amount: MoneyOut, memo: z.string(), postedAt: z.string() })),
  })
  .openapi('DealerLedger');

export const ledger = defineRoute(
  {
    method: 'get',
    path: '/dealers/:id/ledger',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'ledger', action: 'read' },
    summary: 'The dealer’s receivables ledger: warranty write-offs posted on confirmed statements (negative: deductions)',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'Entries, oldest first', body: LedgerSchema } },
  },
  async ({ params, deps }) => {
    const entries = await dealerLedger(deps, params.id);
    return { status: 200, body: { dealerId: params.id, entries: entries.map((e) => ({ ...e, postedAt: e.postedAt.toISOString() })) } };
  },
);
