import type { z } from 'zod';
import {
  CUSTOMER_CLASSES,
  DEFAULT_POLICY,
  DomainError,
  PolicyError,
  durationSchema,
  mergePolicy,
  policyOverrideSchema,
  resolvePolicy,
  servicePolicySchema,
  validatePolicyOverride,
  type Duration,
  type PolicyOverride,
  type ServicePolicy,
  type SlaClock,
} from '../../domain';

// Compile-time: the schema's types are the domain types the calendar and duration code works with.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typeChecks: [
  Same<z.infer<typeof durationSchema>, Duration>,
  Same<ServicePolicy['sla']['clock'], SlaClock>,
  Same<ServicePolicy['calendar'], string>,
] = [true, true, true];

/** The fields reported for a bad override. */
function fieldsOf(value: unknown): string[] {
  const result = validatePolicyOverride(value);
  return result.ok ? [] : result.issues.map((i) => i.field);
}

describe('DEFAULT_POLICY', () => {
  it('parses under the schema unchanged', () => {
    expect(typeChecks).toEqual([true, true, true]);
    expect(servicePolicySchema.parse(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY);
  });

  it('names the cn calendar by key (its data is reference data in the calendar store)', () => {
    expect(DEFAULT_POLICY.calendar).toBe('cn');
  });

  it('lets a step be back-dated up to seven days', () => {
    expect(DEFAULT_POLICY.steps).toEqual({ backdateWithin: 'P7D' });
  });

  it('has the numbers of PRODUCT.md', () => {
    expect(DEFAULT_POLICY.delivery).toEqual({
      initialAcceptanceRequired: true,
      weeklyReportEvery: 'P7D',
      weeklyReportGrace: 'P2D',
      trialRun: 'P3M',
      trialReportLead: 'P7D',
      trialExtendBy: 'P1M',
      trialMaxExtensions: 2,
    });
    expect(DEFAULT_POLICY.doa).toEqual({ shipWithin: { workingDays: 2 }, returnWithin: { workingDays: 15 }, returnReminderBefore: { workingDays: 3 } });
    expect(DEFAULT_POLICY.warranty).toEqual({ startsAt: 'finalAcceptance', length: 'P12M' });
    expect(DEFAULT_POLICY.sla.clock).toEqual({ kind: '24x7' });
    expect(DEFAULT_POLICY.sla.levels['1']).toEqual({ respond: 'PT1H', onSite: 'PT4H', resolve: 'PT24H' });
    expect(DEFAULT_POLICY.sla.levels['4']).toEqual({ respond: 'PT8H', onSite: 'P2D', resolve: 'P5D' });
    expect(DEFAULT_POLICY.sla.warnAt).toEqual([0.5, 0.75]);
    expect(DEFAULT_POLICY.sla.escalationChain).toEqual(['engineer', 'senior_engineer', 'service_manager', 'leadership']);
    expect(DEFAULT_POLICY.sla.factoryRepairWithin).toEqual({ workingDays: 5 });
    expect(DEFAULT_POLICY.sla.complaintReplyWithin).toBe('PT2H');
    expect(DEFAULT_POLICY.care.inspectionTiers).toEqual([
      { fromMonth: 1, toMonth: 12, every: 'P1M' },
      { fromMonth: 13, toMonth: 24, every: 'P2M' },
      { fromMonth: 25, every: 'P3M' },
    ]);
    expect(DEFAULT_POLICY.care.returnCallAtLeast).toEqual({ key: 'P6M', long_term: 'P1Y' });
    expect(DEFAULT_POLICY.care.postWarrantyVisitsPerYear).toBe(10);
    expect(DEFAULT_POLICY.ticket).toEqual({ surveyWithin: 'P3D', repeatRepairWindow: 'P90D', reopenAtOrBelow: 2 });
    expect(DEFAULT_POLICY.dealer.warrantyCardRemindersAt).toEqual(['P10D', 'P17D']);
    expect(DEFAULT_POLICY.dealer.oldPartReturnDeadlines).toEqual(['06-30', '12-31']);
  });

  it('is frozen, so nobody edits the shared defaults by accident', () => {
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.sla.levels['1'])).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.care.inspectionTiers)).toBe(true);
  });

  it('is plain JSON, so it survives a workflow argument round trip', () => {
    expect(JSON.parse(JSON.stringify(DEFAULT_POLICY))).toEqual(DEFAULT_POLICY);
  });

  it('lists the customer classes', () => {
    expect(CUSTOMER_CLASSES).toEqual(['key', 'long_term', 'regular']);
  });
});

describe('mergePolicy', () => {
  it('merges deeply, later overrides win, untouched siblings stay', () => {
    const merged = mergePolicy(
      DEFAULT_POLICY,
      { sla: { levels: { '1': { onSite: 'PT2H' } } } },
      { sla: { levels: { '1': { onSite: 'PT30M' } } }, delivery: { trialRun: 'P6M' } },
    );
    expect(merged.sla.levels['1']).toEqual({ respond: 'PT1H', onSite: 'PT30M', resolve: 'PT24H' });
    expect(merged.sla.levels['2']).toEqual(DEFAULT_POLICY.sla.levels['2']);
    expect(merged.delivery).toEqual({ ...DEFAULT_POLICY.delivery, trialRun: 'P6M' });
    expect(merged.calendar).toEqual(DEFAULT_POLICY.calendar);
  });

  it('replaces arrays whole', () => {
    const merged = mergePolicy(DEFAULT_POLICY, {
      sla: { warnAt: [0.9], escalationChain: ['engineer', 'leadership'] },
      care: { inspectionTiers: [{ fromMonth: 1, every: 'P6M' }] },
      dealer: { warrantyCardRemindersAt: [] },
    });
    expect(merged.sla.warnAt).toEqual([0.9]);
    expect(merged.sla.escalationChain).toEqual(['engineer', 'leadership']);
    expect(merged.care.inspectionTiers).toEqual([{ fromMonth: 1, every: 'P6M' }]);
    expect(merged.dealer.warrantyCardRemindersAt).toEqual([]);
  });

  it('replaces durations and clocks whole, even when they change kind', () => {
    const seconds = mergePolicy(DEFAULT_POLICY, { doa: { shipWithin: 'PT5S' }, delivery: { trialRun: { workingDays: 60 } } });
    expect(seconds.doa.shipWithin).toBe('PT5S');
    expect(seconds.delivery.trialRun).toEqual({ workingDays: 60 });
    const office = mergePolicy(DEFAULT_POLICY, { sla: { clock: { kind: 'businessHours', start: '08:30', end: '17:00' } } });
    expect(office.sla.clock).toEqual({ kind: 'businessHours', start: '08:30', end: '17:00' });
    expect(mergePolicy(office, { sla: { clock: { kind: '24x7' } } }).sla.clock).toEqual({ kind: '24x7' });
  });

  it('skips undefined layers and fields, and modifies nothing it is given', () => {
    const base = mergePolicy(DEFAULT_POLICY);
    const override: PolicyOverride = { sla: { warnAt: [0.6], levels: { '2': { respond: 'PT3H' } } }, ticket: { surveyWithin: undefined } };
    const snapshot = JSON.stringify({ base, override });
    const merged = mergePolicy(base, undefined, override, undefined);
    expect(JSON.stringify({ base, override })).toBe(snapshot);
    expect(merged.ticket.surveyWithin).toBe('P3D');
    merged.sla.warnAt.push(0.9);
    expect(override.sla?.warnAt).toEqual([0.6]);
    expect(mergePolicy(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY);
    expect(mergePolicy(DEFAULT_POLICY)).not.toBe(DEFAULT_POLICY);
  });

  it('switches the calendar by key', () => {
    expect(mergePolicy(DEFAULT_POLICY, { calendar: 'weekends' }).calendar).toBe('weekends');
  });
});

describe('resolvePolicy', () => {
  const layers = {
    template: { sla: { levels: { '1': { respond: 'PT10M' } } }, ticket: { surveyWithin: 'P1D' } },
    model: { sla: { levels: { '1': { respond: 'PT20M' } } }, warranty: { length: 'P24M' } },
    customerClass: { sla: { levels: { '1': { respond: 'PT30M' } } }, care: { returnCallEvery: 'P2M' } },
    contract: { sla: { levels: { '1': { respond: 'PT40M' } } }, doa: { returnWithin: { workingDays: 10 } } },
  } satisfies Record<string, PolicyOverride>;

  it('applies DEFAULT ← template ← model ← customerClass ← contract', () => {
    expect(resolvePolicy(layers).sla.levels['1'].respond).toBe('PT40M');
    expect(resolvePolicy({ ...layers, contract: undefined }).sla.levels['1'].respond).toBe('PT30M');
    expect(resolvePolicy({ template: layers.template, model: layers.model }).sla.levels['1'].respond).toBe('PT20M');
    expect(resolvePolicy({ template: layers.template }).sla.levels['1'].respond).toBe('PT10M');
    expect(resolvePolicy({}).sla.levels['1'].respond).toBe('PT1H');
    // The order is fixed by layer name, not by the order of the keys given.
    expect(resolvePolicy({ contract: layers.contract, template: layers.template }).sla.levels['1'].respond).toBe('PT40M');
  });

  it('keeps what each layer alone sets', () => {
    const policy = resolvePolicy(layers);
    expect(policy.ticket.surveyWithin).toBe('P1D');
    expect(policy.warranty.length).toBe('P24M');
    expect(policy.care.returnCallEvery).toBe('P2M');
    expect(policy.doa.returnWithin).toEqual({ workingDays: 10 });
    expect(policy.sla.levels['1'].onSite).toBe('PT4H');
  });

  it('resolves an all-seconds demo policy', () => {
    const demo = resolvePolicy({
      template: {
        calendar: 'weekends',
        delivery: { weeklyReportEvery: 'PT10S', weeklyReportGrace: 'PT2S', trialRun: 'PT30S', trialReportLead: 'PT5S', trialExtendBy: 'PT10S' },
        sla: { levels: { '1': { respond: 'PT5S', onSite: 'PT10S', resolve: 'PT20S' } } },
      },
    });
    expect(demo.delivery.trialRun).toBe('PT30S');
    expect(demo.calendar).toBe('weekends');
  });

  it('throws a PolicyError naming the layer and the field', () => {
    const attempt = () => resolvePolicy({ model: { warranty: { length: 'two years' } } as unknown as PolicyOverride });
    expect(attempt).toThrow(PolicyError);
    expect(attempt).toThrow(DomainError);
    expect(attempt).toThrow(/model.*warranty\.length/);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ field: 'warranty.length', issues: [{ field: 'warranty.length' }] });
    }
  });
});

describe('validatePolicyOverride', () => {
  it('accepts the empty override, a full policy and partial ones', () => {
    expect(validatePolicyOverride({})).toEqual({ ok: true, value: {} });
    expect(validatePolicyOverride(JSON.parse(JSON.stringify(DEFAULT_POLICY)))).toMatchObject({ ok: true });
    expect(validatePolicyOverride({ sla: { levels: { '3': { resolve: { workingDays: 2 } } } } })).toMatchObject({ ok: true });
    expect(validatePolicyOverride({ calendar: 'plant-7' })).toMatchObject({ ok: true });
  });

  // Each bad input names the exact field at fault.
  it.each<[string, unknown, string]>([
    ['non-ISO text', { delivery: { trialRun: '3 months' } }, 'delivery.trialRun'],
    ['zero duration', { delivery: { trialReportLead: 'PT0S' } }, 'delivery.trialReportLead'],
    ['negative duration', { delivery: { trialExtendBy: '-P1M' } }, 'delivery.trialExtendBy'],
    ['wrong duration type', { ticket: { surveyWithin: 3 } }, 'ticket.surveyWithin'],
    ['backup unit window as a number', { sla: { backupUnitWithin: 4 } }, 'sla.backupUnitWithin'],
    ['reopen score out of range', { ticket: { reopenAtOrBelow: 5 } }, 'ticket.reopenAtOrBelow'],
    ['fractional reopen score', { ticket: { reopenAtOrBelow: 1.5 } }, 'ticket.reopenAtOrBelow'],
    ['zero working days', { doa: { returnWithin: { workingDays: 0 } } }, 'doa.returnWithin.workingDays'],
    ['fractional working days', { doa: { shipWithin: { workingDays: 1.5 } } }, 'doa.shipWithin.workingDays'],
    ['working days as text', { doa: { shipWithin: { workingDays: '2' } } }, 'doa.shipWithin.workingDays'],
    ['unknown key in a working-day duration', { doa: { shipWithin: { workingDays: 2, calendar: 'x' } } }, 'doa.shipWithin.calendar'],
    ['too many extensions', { delivery: { trialMaxExtensions: 11 } }, 'delivery.trialMaxExtensions'],
    ['fractional extensions', { delivery: { trialMaxExtensions: 1.5 } }, 'delivery.trialMaxExtensions'],
    ['negative extensions', { delivery: { trialMaxExtensions: -1 } }, 'delivery.trialMaxExtensions'],
    ['warning at 0', { sla: { warnAt: [0, 0.5] } }, 'sla.warnAt.0'],
    ['warning at 100 %', { sla: { warnAt: [0.5, 1] } }, 'sla.warnAt.1'],
    ['warnings out of order', { sla: { warnAt: [0.75, 0.5] } }, 'sla.warnAt.1'],
    ['bad SLA level duration', { sla: { levels: { '2': { onSite: 'PT' } } } }, 'sla.levels.2.onSite'],
    ['unknown fault level', { sla: { levels: { '5': { respond: 'PT1H' } } } }, 'sla.levels.5'],
    ['clock of unknown kind', { sla: { clock: { kind: 'weekdays' } } }, 'sla.clock.kind'],
    ['malformed business hours', { sla: { clock: { kind: 'businessHours', start: '8:30', end: '17:00' } } }, 'sla.clock.start'],
    ['business hours ending before start', { sla: { clock: { kind: 'businessHours', start: '17:00', end: '08:30' } } }, 'sla.clock.end'],
    ['empty escalation chain', { sla: { escalationChain: [] } }, 'sla.escalationChain'],
    ['bad role name', { sla: { escalationChain: ['Service Manager'] } }, 'sla.escalationChain.0'],
    ['gap between inspection tiers', { care: { inspectionTiers: [{ fromMonth: 1, toMonth: 12, every: 'P1M' }, { fromMonth: 14, every: 'P2M' }] } }, 'care.inspectionTiers.1.fromMonth'],
    ['tiers not starting at month 1', { care: { inspectionTiers: [{ fromMonth: 2, every: 'P1M' }] } }, 'care.inspectionTiers.0.fromMonth'],
    ['open-ended tier before the last', { care: { inspectionTiers: [{ fromMonth: 1, every: 'P1M' }, { fromMonth: 13, every: 'P2M' }] } }, 'care.inspectionTiers.0.toMonth'],
    ['tier ending before it starts', { care: { inspectionTiers: [{ fromMonth: 3, toMonth: 2, every: 'P1M' }] } }, 'care.inspectionTiers.0.toMonth'],
    ['tier with a bad interval', { care: { inspectionTiers: [{ fromMonth: 1, every: 'monthly' }] } }, 'care.inspectionTiers.0.every'],
    ['unknown customer class', { care: { returnCallAtLeast: { vip: 'P1M' } } }, 'care.returnCallAtLeast.vip'],
    ['negative visit count', { care: { postWarrantyVisitsPerYear: -1 } }, 'care.postWarrantyVisitsPerYear'],
    ['warranty start unknown', { warranty: { startsAt: 'shipment' } }, 'warranty.startsAt'],
    ['flag not boolean', { delivery: { initialAcceptanceRequired: 'yes' } }, 'delivery.initialAcceptanceRequired'],
    ['impossible part-return day', { dealer: { oldPartReturnDeadlines: ['06-31'] } }, 'dealer.oldPartReturnDeadlines.0'],
    ['leap-day part-return deadline', { dealer: { oldPartReturnDeadlines: ['02-29'] } }, 'dealer.oldPartReturnDeadlines.0'],
    ['bad reminder offset', { dealer: { warrantyCardRemindersAt: ['P10D', 'P0D'] } }, 'dealer.warrantyCardRemindersAt.1'],
    ['calendar given as data instead of a key', { calendar: { id: 'cn' } }, 'calendar'],
    ['calendar key with spaces', { calendar: 'plant 7' }, 'calendar'],
    ['future-proof back-dating window', { steps: { backdateWithin: 'a week' } }, 'steps.backdateWithin'],
    ['unknown top-level key', { deliveries: {} }, 'deliveries'],
    ['unknown nested key', { delivery: { trialRunLength: 'P3M' } }, 'delivery.trialRunLength'],
    ['section that is not an object', { sla: 'fast' }, 'sla'],
  ])('%s → %s', (_name, value, field) => {
    const result = validatePolicyOverride(value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.field)).toContain(field);
    for (const issue of result.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('reports every problem, not just the first', () => {
    expect(fieldsOf({ delivery: { trialRun: 'x', trialMaxExtensions: 99 }, extra: 1 }).sort()).toEqual(['delivery.trialMaxExtensions', 'delivery.trialRun', 'extra']);
  });

  it('says what is wrong in words a policy author understands', () => {
    const result = validatePolicyOverride({ delivery: { trialRun: '3 months' }, doa: { returnWithin: { workingDays: 0 } }, sla: { foo: 1 } });
    expect(result).toEqual({
      ok: false,
      issues: expect.arrayContaining([
        { field: 'delivery.trialRun', message: expect.stringMatching(/ISO-8601.*'3 months'/) },
        { field: 'doa.returnWithin.workingDays', message: expect.stringMatching(/at least 1 working day/) },
        { field: 'sla.foo', message: "unknown field 'foo'" },
      ]),
    });
  });

  it('rejects values that are not objects at all', () => {
    expect(fieldsOf(42)).toEqual(['']);
    expect(fieldsOf(null)).toEqual(['']);
    expect(fieldsOf([])).toEqual(['']);
  });

  it('is the same check as policyOverrideSchema', () => {
    expect(policyOverrideSchema.safeParse({ delivery: { trialRunLength: 'P3M' } }).success).toBe(false);
    expect(policyOverrideSchema.safeParse({ delivery: { trialRun: 'P4M' } }).success).toBe(true);
  });
});

describe('durationSchema', () => {
  it.each<[unknown, boolean]>([
    ['PT4H', true],
    ['P3M', true],
    [{ workingDays: 15 }, true],
    ['P0D', false],
    ['', false],
    [{ workingDays: 0 }, false],
    [{ workingDays: 2, extra: true }, false],
    [{}, false],
    [null, false],
  ])('%p valid: %p', (value, valid) => {
    expect(durationSchema.safeParse(value).success).toBe(valid);
  });
});

describe('PolicyOverride type', () => {
  it('accepts partial sections and whole durations at compile time', () => {
    const ok: PolicyOverride = { doa: { shipWithin: { workingDays: 3 } }, sla: { levels: { '1': { respond: 'PT5S' } }, clock: { kind: '24x7' } } };
    // @ts-expect-error a working-day duration is replaced whole, never given in part
    const partialDuration: PolicyOverride = { doa: { shipWithin: {} } };
    // @ts-expect-error a clock is replaced whole: business hours need start and end
    const partialClock: PolicyOverride = { sla: { clock: { kind: 'businessHours' } } };
    // @ts-expect-error unknown fields are type errors too
    const unknownField: PolicyOverride = { delivery: { trialRunLength: 'P3M' } };
    expect(validatePolicyOverride(ok).ok).toBe(true);
    expect([partialDuration, partialClock, unknownField].map((o) => validatePolicyOverride(o).ok)).toEqual([false, false, false]);
  });
});
