/**
 * The service policy: every duration, count and rule of PRODUCT.md as data. One zod schema is the
 * single source of truth; the override schema, the merge and the TypeScript types derive from it.
 * A workflow receives a resolved policy when it starts and keeps it. The calendar is the one
 * exception: the policy names it by key, and its data (holidays, make-up days) is reference data
 * read from the calendar store whenever a deadline is computed, so a corrected year moves pending
 * deadlines of running processes.
 */
import { z } from 'zod';
import { isLocalDate, isTimeZone, type SlaClock } from './calendar';
import { isIsoDuration, isPositiveDuration, type Duration } from './duration';
import { DomainError } from './errors';
import { isCurrency } from './money';

export const CUSTOMER_CLASSES = ['key', 'long_term', 'regular'] as const;
export type CustomerClass = (typeof CUSTOMER_CLASSES)[number];

// ---------------------------------------------------------------------------------------------
// Leaf schemas

const isoDurationSchema = z.string({ error: 'must be an ISO-8601 duration such as PT4H, P3M or P15D (working days do not apply here)' }).superRefine((text, ctx) => {
  if (!isIsoDuration(text)) ctx.addIssue({ code: 'custom', message: `must be an ISO-8601 duration such as PT4H, P3M or P15D, got '${text}'` });
  else if (!isPositiveDuration(text)) ctx.addIssue({ code: 'custom', message: `must be longer than zero, got '${text}'` });
});

const workingDaysSchema = z.strictObject({
  workingDays: z.number().int({ error: 'must be a whole number of working days' }).positive({ error: 'must be at least 1 working day' }),
});

export const durationSchema = z.union([isoDurationSchema, workingDaysSchema], {
  error: 'must be an ISO-8601 duration string (e.g. PT4H, P3M) or { workingDays: n }',
});


/** A calendar's key in the calendar store, e.g. `cn` for the PRC statutory calendar. */
const calendarKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, { error: (iss) => `must name a calendar by its key, such as 'cn', got ${JSON.stringify(iss.input)}` });

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
const timeOfDay = (closing: boolean) =>
  z.string().refine((t) => TIME_OF_DAY.test(t) || (closing && t === '24:00'), { error: 'must be a time of day HH:mm' });

const slaClockSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('24x7') }),
    z
      .strictObject({ kind: z.literal('businessHours'), start: timeOfDay(false), end: timeOfDay(true) })
      // Zero-padded HH:mm compares correctly as text; a malformed time is already reported above.
      .refine((c) => !TIME_OF_DAY.test(c.start) || c.start < c.end, { error: 'business hours must end after they start', path: ['end'] }),
  ],
  { error: "must be { kind: '24x7' } or { kind: 'businessHours', start: 'HH:mm', end: 'HH:mm' }" },
);

const slaLevelSchema = z.strictObject({ respond: durationSchema, onSite: durationSchema, resolve: durationSchema });

const month = z.number().int({ error: 'must be a whole month number' }).min(1, { error: 'months count from 1' });

const inspectionTierSchema = z
  .strictObject({ fromMonth: month, toMonth: month.optional(), every: durationSchema })
  .refine((t) => t.toMonth === undefined || t.toMonth >= t.fromMonth, { error: 'must not be before fromMonth', path: ['toMonth'] });

/** Tiers must cover the device's age from month 1 without gaps or overlaps; only the last may be open-ended. */
const inspectionTiersSchema = z.array(inspectionTierSchema).min(1, { error: 'needs at least one tier' }).superRefine((tiers, ctx) => {
  tiers.forEach((tier, i) => {
    const previous = tiers[i - 1];
    const expectedFrom = previous === undefined ? 1 : previous.toMonth === undefined ? undefined : previous.toMonth + 1;
    if (previous !== undefined && previous.toMonth === undefined) {
      ctx.addIssue({ code: 'custom', path: [i - 1, 'toMonth'], message: 'only the last tier may be open-ended' });
    } else if (tier.fromMonth !== expectedFrom) {
      ctx.addIssue({ code: 'custom', path: [i, 'fromMonth'], message: `must be ${expectedFrom} so the tiers are contiguous, got ${tier.fromMonth}` });
    }
  });
});

const warnAtSchema = z
  .array(z.number().gt(0, { error: 'must be a fraction between 0 and 1' }).lt(1, { error: 'must be a fraction between 0 and 1' }))
  .superRefine((xs, ctx) => {
    xs.forEach((x, i) => {
      const previous = xs[i - 1];
      if (previous !== undefined && x <= previous) ctx.addIssue({ code: 'custom', path: [i], message: 'warning points must be in ascending order' });
    });
  });

const monthDaySchema = z.string().refine(
  (text) => /^\d{2}-\d{2}$/.test(text) && text !== '02-29' && isLocalDate(`2025-${text}`),
  { error: (iss) => `must be a day of every year MM-DD, got '${String(iss.input)}'` },
);

/** Money in a policy: integer minor units and an ISO-4217 code (domain/money.ts). */
const policyMoneySchema = z.strictObject({
  amount: z.number().int({ error: 'must be an integer number of minor units' }).min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().refine(isCurrency, { error: 'must be an ISO-4217 currency code such as CNY' }),
});

const roleSchema = z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'must be a role name such as service_manager' });

// ---------------------------------------------------------------------------------------------
// The policy

export const servicePolicySchema = z.strictObject({
  calendar: calendarKeySchema,
  steps: z.strictObject({
    /** How far back a step may say it happened (an engineer recording after a site visit). */
    backdateWithin: isoDurationSchema,
  }),
  delivery: z.strictObject({
    initialAcceptanceRequired: z.boolean(),
    weeklyReportEvery: durationSchema,
    /** After the due time: reminder; + grace: 2nd reminder; + grace again: escalation. */
    weeklyReportGrace: durationSchema,
    trialRun: durationSchema,
    trialReportLead: durationSchema,
    trialExtendBy: durationSchema,
    trialMaxExtensions: z.number().int({ error: 'must be a whole number' }).min(0, { error: 'must be 0 … 10' }).max(10, { error: 'must be 0 … 10' }),
  }),
  doa: z.strictObject({ shipWithin: durationSchema, returnWithin: durationSchema, returnReminderBefore: durationSchema }),
  warranty: z.strictObject({ startsAt: z.enum(['finalAcceptance', 'installation', 'initialAcceptance']), length: durationSchema }),
  sla: z.strictObject({
    clock: slaClockSchema,
    levels: z.strictObject({ '1': slaLevelSchema, '2': slaLevelSchema, '3': slaLevelSchema, '4': slaLevelSchema }),
    warnAt: warnAtSchema,
    escalationChain: z.array(roleSchema).min(1, { error: 'needs at least one role' }),
    /** The resolve clock breached: a backup unit on site within this (003 §6). */
    backupUnitWithin: durationSchema,
    factoryRepairWithin: durationSchema,
    complaintReplyWithin: durationSchema,
  }),
  care: z.strictObject({
    inspectionTiers: inspectionTiersSchema,
    inspectionReportWithin: durationSchema,
    returnCallFirstWithin: durationSchema,
    returnCallEvery: durationSchema,
    /** Lower bounds per customer class; 'regular' customers have none beyond returnCallEvery. */
    returnCallAtLeast: z.strictObject({ key: durationSchema, long_term: durationSchema }),
    taskHorizon: durationSchema,
    remindBefore: durationSchema,
    freeMaintenanceBeforeWarrantyEnd: durationSchema,
    postWarrantyVisitsPerYear: z.number().int({ error: 'must be a whole number' }).min(0).max(366),
    /** A visit may happen this long before or after its due time; overdue once the window closes. */
    visitWindow: durationSchema,
    /** A call is overdue this long after its due time (it lands in the desk's queue for its day). */
    callWindow: durationSchema,
    /** Tries at a call before nobody answering is escalated (001: retried the next working day). */
    callAttempts: z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 … 10' }).max(10, { error: 'must be 1 … 10' }),
    /** When an unanswered call is tried again; working days keep the time of day. */
    callRetryAfter: durationSchema,
    /** A satisfaction (1–5) at or below this opens a follow-up for the service manager. */
    escalateAtOrBelow: z.number().int({ error: 'must be a whole score' }).min(0, { error: 'must be 0 … 4' }).max(4, { error: 'must be 0 … 4' }),
    /** The service manager's follow-up of a low score or an unsolved problem is due within this. */
    followUpWithin: durationSchema,
    /** A maintenance contract's renewal reminder goes out this long before it ends. */
    contractRenewalBefore: durationSchema,
  }),
  ticket: z.strictObject({
    surveyWithin: durationSchema,
    repeatRepairWindow: durationSchema,
    /** A satisfaction score (1–5) at or below this reopens the ticket (002: until the customer is satisfied). */
    reopenAtOrBelow: z.number().int({ error: 'must be a whole score' }).min(0, { error: 'must be 0 … 4' }).max(4, { error: 'must be 0 … 4' }),
  }),
  /**
   * A dealer's paper deadlines (the card, the parts plan, the settlement period) count calendar days
   * from dates written on paper, and a task is arranged within hours: those take ISO durations only.
   * The deadlines the processes chase from an instant (resubmission, confirmation, escalation) take
   * working days too, counted on the business calendar.
   */
  dealer: z.strictObject({
    warrantyCardWithin: isoDurationSchema,
    warrantyCardRemindersAt: z.array(isoDurationSchema),
    taskArrangeWithin: isoDurationSchema,
    clerkCheckAt: isoDurationSchema,
    oldPartReturnDeadlines: z.array(monthDaySchema).min(1, { error: 'needs at least one deadline' }),
    resubmitWithin: durationSchema,
    settlementConfirmWithin: durationSchema,
    /** A statement still unconfirmed this long after its due time (when the dealer was reminded) is escalated to finance's lead. */
    settlementEscalateAfter: durationSchema,
    settlementPeriod: isoDurationSchema,
    partsPlanLead: isoDurationSchema,
    /** The manufacturer's sales seasons (`MM-DD`, each year): each dealer's parts plan is due `partsPlanLead` before each. */
    salesSeasons: z.array(monthDaySchema),
    /** The dealer is reminded this long before its parts plan is due; missed, the sales clerks hear of it. */
    partsPlanRemindBefore: isoDurationSchema,
    /** Share of claims the sales audit samples, 0–1. */
    auditSampleRate: z.number().min(0, { error: 'must be from 0 to 1' }).max(1, { error: 'must be from 0 to 1' }),
    /** Highest labour rate per hour a claim may write off (minor units). */
    maxLabourRate: policyMoneySchema,
    /** Highest travel cost per claim (minor units). */
    travelCap: policyMoneySchema,
    /** Time zone whose calendar months are the settlement periods. */
    settlementTimeZone: z.string().refine(isTimeZone, { error: (iss) => `must be an IANA time zone such as Asia/Shanghai, got ${JSON.stringify(iss.input)}` }),
  }),
});

export type ServicePolicy = z.infer<typeof servicePolicySchema>;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

export const DEFAULT_POLICY: ServicePolicy = deepFreeze({
  calendar: 'cn',
  steps: { backdateWithin: 'P7D' },
  delivery: {
    initialAcceptanceRequired: true,
    weeklyReportEvery: 'P7D',
    weeklyReportGrace: 'P2D',
    trialRun: 'P3M',
    trialReportLead: 'P7D',
    trialExtendBy: 'P1M',
    trialMaxExtensions: 2,
  },
  doa: { shipWithin: { workingDays: 2 }, returnWithin: { workingDays: 15 }, returnReminderBefore: { workingDays: 3 } },
  warranty: { startsAt: 'finalAcceptance', length: 'P12M' },
  sla: {
    clock: { kind: '24x7' },
    levels: {
      '1': { respond: 'PT1H', onSite: 'PT4H', resolve: 'PT24H' },
      '2': { respond: 'PT2H', onSite: 'PT8H', resolve: 'PT48H' },
      '3': { respond: 'PT4H', onSite: 'PT24H', resolve: 'P3D' },
      '4': { respond: 'PT8H', onSite: 'P2D', resolve: 'P5D' },
    },
    warnAt: [0.5, 0.75],
    escalationChain: ['engineer', 'senior_engineer', 'service_manager', 'leadership'],
    backupUnitWithin: 'PT4H',
    factoryRepairWithin: { workingDays: 5 },
    complaintReplyWithin: 'PT2H',
  },
  care: {
    inspectionTiers: [
      { fromMonth: 1, toMonth: 12, every: 'P1M' },
      { fromMonth: 13, toMonth: 24, every: 'P2M' },
      { fromMonth: 25, every: 'P3M' },
    ],
    inspectionReportWithin: { workingDays: 3 },
    returnCallFirstWithin: 'P1M',
    returnCallEvery: 'P3M',
    returnCallAtLeast: { key: 'P6M', long_term: 'P1Y' },
    taskHorizon: 'P14D',
    remindBefore: 'P3D',
    freeMaintenanceBeforeWarrantyEnd: 'P1M',
    postWarrantyVisitsPerYear: 10,
    visitWindow: 'P7D',
    callWindow: { workingDays: 2 },
    callAttempts: 3,
    callRetryAfter: { workingDays: 1 },
    escalateAtOrBelow: 2,
    followUpWithin: { workingDays: 2 },
    contractRenewalBefore: 'P1M',
  },
  ticket: { surveyWithin: 'P3D', repeatRepairWindow: 'P90D', reopenAtOrBelow: 2 },
  dealer: {
    warrantyCardWithin: 'P20D',
    warrantyCardRemindersAt: ['P10D', 'P17D'],
    taskArrangeWithin: 'PT2H',
    clerkCheckAt: 'PT4H',
    oldPartReturnDeadlines: ['06-30', '12-31'],
    resubmitWithin: 'P30D',
    settlementConfirmWithin: 'P10D',
    settlementEscalateAfter: 'P3D',
    settlementPeriod: 'P1M',
    partsPlanLead: 'P30D',
    salesSeasons: ['03-01', '09-01'],
    partsPlanRemindBefore: 'P7D',
    auditSampleRate: 0.1,
    maxLabourRate: { amount: 8000, currency: 'CNY' },
    travelCap: { amount: 50000, currency: 'CNY' },
    settlementTimeZone: 'Asia/Shanghai',
  },
});

// ---------------------------------------------------------------------------------------------
// Overrides

/** Values that are replaced whole by an override, never merged field by field. */
type Atomic = Duration | SlaClock | readonly unknown[] | string | number | boolean | undefined;
type DeepPartial<T> = [T] extends [Atomic] ? T : { [K in keyof T]?: DeepPartial<T[K]> };

/** A layer of the policy (template, model, customer class, contract): any subset of fields. */
export type PolicyOverride = DeepPartial<ServicePolicy>;

/** Every object of the schema made optional field by field; unions (durations, clocks) and arrays stay whole. */
function deepPartial(schema: z.ZodType): z.ZodType {
  if (!(schema instanceof z.ZodObject)) return schema;
  const shape = schema.shape as Record<string, z.ZodType>;
  return z.strictObject(Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, deepPartial(field).optional()])));
}

export const policyOverrideSchema: z.ZodType<PolicyOverride> = deepPartial(servicePolicySchema) as z.ZodType<PolicyOverride>;

export interface PolicyIssue {
  /** Dotted path, e.g. 'delivery.trialRun', 'doa.returnWithin.workingDays'; '' for the policy itself. */
  field: string;
  message: string;
}

/** A policy layer failed validation; `issues` lists every problem with its field. */
export class PolicyError extends DomainError {
  constructor(
    message: string,
    readonly issues: PolicyIssue[],
  ) {
    super(message, issues[0]?.field);
    this.name = 'PolicyError';
  }
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Flatten zod issues into field/message pairs. A bad duration is reported inside the branch the value was meant for. */
function toIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): PolicyIssue[] {
  return issues.flatMap((issue): PolicyIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: fieldOf([...path, key]), message: `unknown field '${key}'` }));
    }
    if (issue.code === 'invalid_union') {
      // A branch that failed only on the value's type was not what the author meant.
      const meant = issue.errors.filter((branch) => !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0));
      if (meant.length === 1 && meant[0]) return toIssues(meant[0], path);
    }
    return [{ field: fieldOf(path), message: issue.message }];
  });
}

export function validatePolicyOverride(value: unknown): { ok: true; value: PolicyOverride } | { ok: false; issues: PolicyIssue[] } {
  const result = policyOverrideSchema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error.issues) };
}

// ---------------------------------------------------------------------------------------------
// Merging and resolving

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  return value;
}

/** Merge where the schema has an object; replace whole everywhere else (arrays, durations, clocks). */
function mergeNode(schema: z.ZodType | undefined, base: unknown, override: unknown): unknown {
  if (override === undefined) return clone(base);
  if (!(schema instanceof z.ZodObject) || !isRecord(base) || !isRecord(override)) return clone(override);
  const shape = schema.shape as Record<string, z.ZodType>;
  const keys = new Set([...Object.keys(base), ...Object.keys(override)]);
  return Object.fromEntries([...keys].map((key) => [key, mergeNode(shape[key], base[key], override[key])]));
}

/** Deep merge, later overrides win, arrays replaced whole. Inputs are not modified. Not validated: see resolvePolicy. */
export function mergePolicy(base: ServicePolicy, ...overrides: (PolicyOverride | undefined)[]): ServicePolicy {
  return overrides.reduce<ServicePolicy>(
    (policy, override) => (override === undefined ? policy : (mergeNode(servicePolicySchema, policy, override) as ServicePolicy)),
    clone(base),
  );
}

export interface PolicyLayers {
  template?: PolicyOverride;
  model?: PolicyOverride;
  customerClass?: PolicyOverride;
  contract?: PolicyOverride;
}

const LAYER_ORDER = ['template', 'model', 'customerClass', 'contract'] as const;

function describe(issues: PolicyIssue[]): string {
  return issues.map((i) => `${i.field || '(policy)'}: ${i.message}`).join('; ');
}

/** DEFAULT_POLICY ← template ← model ← customerClass ← contract, each layer and the result validated. Throws PolicyError. */
export function resolvePolicy(layers: PolicyLayers): ServicePolicy {
  const checked = LAYER_ORDER.map((layer) => {
    if (layers[layer] === undefined) return undefined;
    const result = validatePolicyOverride(layers[layer]);
    if (!result.ok) throw new PolicyError(`invalid ${layer} policy: ${describe(result.issues)}`, result.issues);
    return result.value;
  });
  const merged = servicePolicySchema.safeParse(mergePolicy(DEFAULT_POLICY, ...checked));
  if (!merged.success) {
    const issues = toIssues(merged.error.issues);
    throw new PolicyError(`invalid resolved policy: ${describe(issues)}`, issues);
  }
  return merged.data;
}
