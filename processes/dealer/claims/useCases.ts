/**
 * Dealer claims (PRODUCT §P5): submitted with their automatic checks, then each role's steps (parts
 * received, appraisal, audit, decision, resubmission), each telling the claim's dealerClaim process.
 * Also the models' reference data the checks use. Used by the routes and the console's forms.
 */
import { NotFoundError } from '../../../platform/db/errors';
import { DomainError } from '../../../domain/errors';
import { words } from '../../../domain/words';
import type { Locale } from '../../../domain/locale';
import type { User } from '../../../people/repository';
import type { Scope } from '../../../domain/access';
import { DateSchema, line, MoneySchema, optionalLine, prose } from '../../../platform/http/fields';
import type { ApiDeps } from '../../../platform/http/module';
import { z } from '../../../platform/http/zod';
import { claimChangedSignal, dealerClaimWorkflowId, dealerProcessPolicy, type DealerClaimInput } from '../messages';
import { endOfLocalDay } from '../rules';
import { createWithProcess, dealerCalendar, dealerPolicy, parseBody, runStep, step, stepBy, tellProcess, today, type DealerStep } from '../useCases';
import { ClaimsRepository, type Claim, type ClaimStatus, type ClaimSummary } from './repository';

export type { Claim } from './repository';
import { APPRAISALS, type ClaimLineInput, type LineDecision } from './rules';

export const Hundredths = z.number().int().min(1).max(100_000).openapi({ description: 'Hours in hundredths: 150 is 1.5 h' });

export const ModelReferenceBody = z.strictObject({
  parts: z.array(z.strictObject({ partNo: line(), name: optionalLine().optional() })).max(5000),
  operations: z.array(z.strictObject({ operation: line(), standardHundredths: Hundredths })).max(1000),
});

export const ClaimLineBody = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('part'), partNo: line(), quantity: z.number().int().min(1).max(10_000), unitPrice: MoneySchema }),
    z.strictObject({ kind: z.literal('labour'), operation: line(), hundredthsOfHour: Hundredths, rate: MoneySchema, partLineNo: z.number().int().min(1).max(500).optional() }),
    z.strictObject({ kind: z.literal('travel'), amount: MoneySchema, distanceKm: z.number().int().min(0).max(100_000).optional() }),
    z.strictObject({ kind: z.literal('other'), amount: MoneySchema, description: line(500) }),
  ])
  .openapi('ClaimLineInput');

export const ClaimBody = z.strictObject({
  deviceSerial: line(),
  faultCode: line(64),
  repairDate: DateSchema,
  workDone: prose(5000),
  signatureRef: optionalLine(500).optional(),
  attachments: z.array(line(500)).max(50).optional(),
  lines: z.array(ClaimLineBody).min(1).max(200),
});

const DecisionBody = z.discriminatedUnion('kind', [
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('approve') }),
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('approve_part'), amount: MoneySchema }),
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('reject'), reason: prose(2000) }),
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('send_back'), reason: prose(2000) }),
]);

const claims = (deps: ApiDeps) => new ClaimsRepository(deps.knex);

/** Sets a model's parts list and labour operations (standard hours), replacing what was there. */
export async function putModelReference(deps: ApiDeps, model: string, input: unknown, locale: Locale = 'en'): Promise<{ parts: number; operations: number }> {
  const body = parseBody(ModelReferenceBody, input, locale);
  await claims(deps).putModelReference(model, body.parts, body.operations);
  return { parts: body.parts.length, operations: body.operations.length };
}

/** The dealer submits a claim (the route's and the console's command): the automatic checks, then its process starts. */
export async function submitDealerClaim(deps: ApiDeps, user: User, input: unknown, locale: Locale = user.locale): Promise<Claim> {
  const body = parseBody(ClaimBody, input, locale);
  stepBy(user, ['dealer']);
  const now = new Date();
  if (body.repairDate > today(await dealerPolicy(deps), now)) throw new DomainError(words('refusal.dealer.repairInFuture'), 'repairDate');
  const bad = body.lines.findIndex((l) => l.kind === 'labour' && l.partLineNo !== undefined && l.partLineNo > body.lines.length);
  if (bad >= 0) throw new DomainError(words('refusal.dealer.partLineNo'), `lines.${bad}.partLineNo`);
  const policy = await dealerPolicy(deps);
  return step(() =>
    createWithProcess(deps, async (trx) => {
      const claim = await new ClaimsRepository(trx).submitClaim({ ...body, lines: body.lines as ClaimLineInput[], dealerId: user.dealerId! }, policy.dealer, user.id, now, today(policy, now));
      // A claim the checks refuse is on record, closed: no process.
      if (claim.status === 'rejected') return { record: claim, start: null };
      const processInput: DealerClaimInput = {
        claimId: claim.id,
        dealerId: claim.dealerId,
        deviceSerial: claim.deviceSerial,
        ...(claim.partsDueOn ? { partsDueOn: claim.partsDueOn, partsDueAt: endOfLocalDay(claim.partsDueOn, policy.dealer.settlementTimeZone).toISOString() } : {}),
        policy: dealerProcessPolicy(policy),
      };
      return { record: claim, start: { workflowType: 'dealerClaim', workflowId: dealerClaimWorkflowId(claim.id), input: processInput } };
    }),
  );
}

/** A claim in the caller's reach (404 otherwise). */
export async function readClaim(deps: ApiDeps, id: number, scope: Scope): Promise<Claim> {
  const claim = await claims(deps).claim(id, scope);
  if (!claim) throw new NotFoundError(words('refusal.dealer.noClaim', { claimId: id }));
  return claim;
}

/** A claim in the caller's reach, or null (the console's pages). */
export const findClaim = (deps: ApiDeps, id: number, scope: Scope): Promise<Claim | null> => claims(deps).claim(id, scope);

/** The first 500 claims in reach with their lines, optionally by status. */
export const listDealerClaims = (deps: ApiDeps, scope: Scope, status?: ClaimStatus): Promise<Claim[]> => claims(deps).listClaims(scope, status);

/** The same as a list shows them: amounts without the lines' detail. */
export const listClaimSummaries = (deps: ApiDeps, scope: Scope): Promise<ClaimSummary[]> => claims(deps).listClaimSummaries(scope);

function claimStep<B extends z.ZodType>(roles: ['sales_clerk'] | ['technical_appraiser'] | ['dealer'], body: B, run: (deps: ApiDeps, id: number, body: z.infer<B>, user: User, scope: Scope) => Promise<Claim>): DealerStep<Claim> & { body: B } {
  return { roles, body, run: (deps, id, input, user, scope) => run(deps, id, input as z.infer<B>, user, scope) };
}

/** The steps on a claim, by the path the route and the console's form name them. */
export const CLAIM_STEPS = {
  'parts-received': claimStep(['sales_clerk'], z.strictObject({ lineNos: z.array(z.number().int().min(1).max(500)).min(1).max(200), receivedOn: DateSchema }), (deps, id, body) => claims(deps).recordPartsReceived(id, body.lineNos, body.receivedOn)),
  appraisal: claimStep(['technical_appraiser'], z.strictObject({ appraisals: z.array(z.strictObject({ lineNo: z.number().int().min(1).max(500), appraisal: z.enum(APPRAISALS) })).min(1).max(200) }), (deps, id, body) => claims(deps).recordAppraisal(id, body.appraisals)),
  audit: claimStep(['sales_clerk'], z.strictObject({ note: prose(2000) }), (deps, id, body) => claims(deps).recordAudit(id, body.note, new Date())),
  decision: claimStep(['sales_clerk'], z.strictObject({ decisions: z.array(DecisionBody).min(1).max(200) }), async (deps, id, body, user) => {
    const policy = await dealerPolicy(deps);
    const decisions = body.decisions.map(({ lineNo, ...rest }) => ({ lineNo, decision: rest as LineDecision }));
    return claims(deps).decide(id, decisions, policy.dealer, user.id, new Date());
  }),
  resubmit: claimStep(['dealer'], z.strictObject({ lines: z.array(z.strictObject({ lineNo: z.number().int().min(1).max(500), line: ClaimLineBody })).min(1).max(200) }), async (deps, id, body, _user, scope) => {
    const policy = await dealerPolicy(deps);
    const calendar = await dealerCalendar(deps, policy, policy.dealer.resubmitWithin);
    return claims(deps).resubmit(id, body.lines as Array<{ lineNo: number; line: ClaimLineInput }>, policy.dealer, new Date(), scope, calendar);
  }),
};

/** A step on a claim (the route's and the console's command): the role, the body, the step in one transaction, then the claim's process told. */
export async function runClaimStep(deps: ApiDeps, user: User, claimId: number, path: string, input: unknown, scope: Scope, locale: Locale = user.locale): Promise<Claim> {
  const claim = await runStep<Claim>(CLAIM_STEPS, 'claim', path, async () => (await claims(deps).claim(claimId, scope)) !== null, deps, user, claimId, input, scope, undefined, locale);
  await tellClaimProcess(deps, claim.id);
  return claim;
}

/**
 * Tells the claim's process a step changed the claim (a send-back opens the resubmission window).
 * Best effort: a process that ended (every line decided, no part awaited) has nothing left to time.
 */
const tellClaimProcess = (deps: ApiDeps, claimId: number): Promise<void> => tellProcess(deps, dealerClaimWorkflowId(claimId), claimChangedSignal, `claim ${claimId}: its process was not told of the step`);
