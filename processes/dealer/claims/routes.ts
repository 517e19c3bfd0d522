/** Dealer claims and the models' reference data through the API: the routes parse, call the use case, render. */
import { readerLocale } from '../../../platform/http/problemMessages';
import { rolesReaching } from '../../../domain/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { decimal, IdParams, MoneyOut, once, sendCsv, stepRoute } from '../http';
import { CLAIM_STEPS, ClaimBody, listDealerClaims, ModelReferenceBody, putModelReference, readClaim, runClaimStep, submitDealerClaim, type Claim } from './useCases';

const ModelParams = z.object({ model: z.string().min(1).max(191) });

const ClaimSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    deviceSerial: z.string(),
    faultCode: z.string(),
    repairDate: z.string(),
    status: z.enum(['in_review', 'sent_back', 'decided', 'rejected']),
    claimCodes: z.array(z.string()).openapi({ description: 'Claim-level reason codes of the automatic checks (any refuses the claim)' }),
    partsDueOn: z.string().nullable().openapi({ description: 'The old parts are due by this date (dealer.oldPartReturnDeadlines)' }),
    auditRequired: z.boolean(),
    audited: z.boolean(),
    resubmissions: z.number().int(),
    lines: z.array(
      z.object({
        lineNo: z.number().int(),
        claimLineId: z.number().int(),
        kind: z.string(),
        detail: z.record(z.string(), z.unknown()),
        claimed: MoneyOut,
        codes: z.array(z.string()),
        status: z.string(),
        approved: MoneyOut.nullable(),
        decisionReason: z.string().nullable(),
        receivedOn: z.string().nullable(),
        appraisal: z.string().nullable(),
      }),
    ),
  })
  .openapi('Claim');

const claimDto = (claim: Claim): z.input<typeof ClaimSchema> => ({
  id: claim.id,
  dealerId: claim.dealerId,
  deviceSerial: claim.deviceSerial,
  faultCode: claim.faultCode,
  repairDate: claim.repairDate,
  status: claim.status,
  claimCodes: claim.claimCodes,
  partsDueOn: claim.partsDueOn,
  auditRequired: claim.auditRequired,
  audited: claim.auditedAt !== null,
  resubmissions: claim.resubmissions,
  lines: claim.lines.map((l) => ({
    lineNo: l.lineNo,
    claimLineId: l.id,
    kind: l.input.kind,
    detail: l.input as unknown as Record<string, unknown>,
    claimed: l.claimed,
    codes: l.codes,
    status: l.status,
    approved: l.approved,
    decisionReason: l.decisionReason,
    receivedOn: l.receivedOn,
    appraisal: l.appraisal,
  })),
});

export const putModelReferenceRoute = defineRoute(
  {
    method: 'put',
    path: '/models/:model/warranty-reference',
    roles: rolesReaching('claim', 'administer'),
    access: { rule: 'collection', resource: 'claim', action: 'administer' },
    summary: 'Set a model’s parts list and labour operations (standard hours) for dealer claims',
    tags: ['dealer warranty'],
    params: ModelParams,
    body: ModelReferenceBody,
    responses: { 200: { description: 'Stored', body: z.object({ model: z.string(), parts: z.number().int(), operations: z.number().int() }) } },
  },
  async ({ params, body, deps, req, user }) => ({ status: 200, body: { model: params.model, ...(await putModelReference(deps, params.model, body, readerLocale(req, user))) } }),
);

export const submitClaim = defineRoute(
  {
    method: 'post',
    path: '/claims',
    roles: rolesReaching('claim', 'act'),
    access: { rule: 'collection', resource: 'claim', action: 'act' },
    summary: 'Submit a dealer claim: the automatic checks run and put reason codes on the claim and its lines',
    tags: ['dealer warranty'],
    body: ClaimBody,
    idempotent: true,
    responses: { 201: { description: 'Recorded: in review, or rejected with its claim codes', body: ClaimSchema } },
    errors: { 409: 'A claim for the same device, fault and repair date exists (DUPLICATE_CLAIM); nothing was written' },
  },
  async ({ body, user, deps, req, res, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const claim = await submitDealerClaim(deps, user, body, readerLocale(req, user));
      res.locals.audit = { entityType: 'claim', entityId: claim.id } satisfies AuditTarget;
      return { status: 201 as const, body: claimDto(claim) };
    }),
);

export const listClaims = defineRoute(
  {
    method: 'get',
    path: '/claims',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'claim', action: 'read' },
    summary: 'Claims the caller may read (a dealer: its own), optionally by status',
    tags: ['dealer warranty'],
    query: z.object({ status: z.enum(['in_review', 'sent_back', 'decided', 'rejected']).optional() }),
    responses: { 200: { description: 'Claims, oldest first', body: z.object({ claims: z.array(ClaimSchema) }) } },
  },
  async ({ query, scope, deps }) => ({ status: 200, body: { claims: (await listDealerClaims(deps, scope, query.status)).map(claimDto) } }),
);

export const getClaim = defineRoute(
  {
    method: 'get',
    path: '/claims/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'claim', action: 'read' },
    summary: 'One claim with its lines, codes and decisions',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'The claim', body: ClaimSchema } },
  },
  async ({ params, scope, deps }) => ({ status: 200, body: claimDto(await readClaim(deps, params.id, scope)) }),
);

const claimStep = (path: keyof typeof CLAIM_STEPS, summary: string) =>
  stepRoute({ base: '/claims', path, resource: 'claim', summary, body: CLAIM_STEPS[path].body, schema: ClaimSchema, description: 'The claim after the step', dto: claimDto, run: (deps, user, id, input, scope, _key, locale) => runClaimStep(deps, user, id, path, input, scope, locale) });

export const partsReceived = claimStep('parts-received', 'The sales clerk records old parts received (by claim line)');
export const appraisal = claimStep('appraisal', 'The technical appraiser appraises each returned part');
export const audit = claimStep('audit', 'The sales audit of a sampled claim');
export const decision = claimStep('decision', 'Decide lines: approve, approve part (amount), reject (reason) or send back (reason)');
export const resubmit = claimStep('resubmit', 'The dealer amends the lines sent back and resubmits, once, within dealer.resubmitWithin');

export const claimCsv = defineRoute(
  {
    method: 'get',
    path: '/claims/:id/lines.csv',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'claim', action: 'read' },
    summary: 'The claim’s lines as CSV: claimed and approved amounts, reason codes, status and decision',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'text/csv' } },
  },
  async ({ params, scope, deps, res }) => {
    const claim = await readClaim(deps, params.id, scope);
    sendCsv(
      res,
      `claim-${claim.id}-lines.csv`,
      ['claim_id', 'device_serial', 'repair_date', 'line_no', 'claim_line_id', 'kind', 'claimed', 'approved', 'currency', 'codes', 'status', 'decision_reason', 'received_on', 'appraisal'],
      claim.lines.map((l) => [claim.id, claim.deviceSerial, claim.repairDate, l.lineNo, l.id, l.input.kind, decimal(l.claimed.amount), l.approved ? decimal(l.approved.amount) : null, l.claimed.currency, l.codes.join(' '), l.status, l.decisionReason, l.receivedOn, l.appraisal]),
    );
  },
);
