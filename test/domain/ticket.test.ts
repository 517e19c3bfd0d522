import { makeCalendar, type SlaClock } from '../../domain';
import { clockId, clockLength, clockRungs, clockStart, clockStatus, entitlementOf, heldTime, instantAfter, nextClockRung, releveledClocks, reopenedResolveClock, repairCharges, runningTime, stopClocks, TICKET_CLOCK_LABELS, TICKET_CLOCKS, type ClockBasis, type TicketClocksRecord } from '../../processes/tickets/rules';

const cn = makeCalendar('cn');
const sh = (local: string) => new Date(`${local}+08:00`);
const HOUR = 3_600_000;
const MINUTE = 60_000;
const office: SlaClock = { kind: 'businessHours', start: '08:30', end: '17:00' };
const officeBasis: ClockBasis = { clock: office, calendar: cn };
const always: ClockBasis = { clock: { kind: '24x7' }, calendar: cn };
const CHAIN = ['engineer', 'senior_engineer', 'service_manager', 'leadership'];

describe('clock length', () => {
  it('reads ISO durations as fixed clock time and working days as opening hours', () => {
    expect(clockLength('PT1H', office)).toBe(HOUR);
    expect(clockLength('P1DT2H', { kind: '24x7' })).toBe(26 * HOUR);
    expect(clockLength('PT5S', { kind: '24x7' })).toBe(5000);
    expect(clockLength({ workingDays: 2 }, office)).toBe(17 * HOUR);
    expect(clockLength({ workingDays: 2 }, { kind: '24x7' })).toBe(48 * HOUR);
  });
});

describe('business-hours clock across a weekend and a public holiday', () => {
  it('a level-1 respond (1 h) opened Friday 16:30 is due Monday 09:00', () => {
    expect(instantAfter(sh('2026-03-06T16:30'), HOUR, [], officeBasis)).toEqual(sh('2026-03-09T09:00'));
  });

  it('skips the Qingming holiday (Sat 4 – Mon 6 April 2026): Friday 16:00 + 4 h → Tuesday 11:30', () => {
    expect(instantAfter(sh('2026-04-03T16:00'), 4 * HOUR, [], officeBasis)).toEqual(sh('2026-04-07T11:30'));
    expect(runningTime(sh('2026-04-03T16:00'), sh('2026-04-07T11:30'), [], officeBasis)).toBe(4 * HOUR);
  });

  it('warning and breach instants fall at 50 %, 75 %, 100 % and 200 % of clock time', () => {
    const rungs = clockRungs(sh('2026-04-03T16:00'), 4 * HOUR, [0.5, 0.75], CHAIN, [], officeBasis);
    expect(rungs.map((r) => [r.rung, r.role, r.at])).toEqual([
      ['warning_1', 'engineer', sh('2026-04-07T09:30')],
      ['warning_2', 'senior_engineer', sh('2026-04-07T10:30')],
      ['breach', 'service_manager', sh('2026-04-07T11:30')],
      ['breach_again', 'leadership', sh('2026-04-07T15:30')],
    ]);
  });

  it('a shorter chain gives the rungs beyond it to its last role', () => {
    const rungs = clockRungs(sh('2026-03-09T09:00'), HOUR, [0.5], ['engineer', 'service_manager'], [], officeBasis);
    expect(rungs.map((r) => r.role)).toEqual(['engineer', 'service_manager', 'service_manager']);
  });
});

describe('holds pause the clock', () => {
  const start = sh('2026-03-09T09:00');
  it('a closed hold moves the due instant by the clock time it took', () => {
    const holds = [{ from: sh('2026-03-09T09:30'), to: sh('2026-03-09T10:15') }];
    expect(instantAfter(start, 2 * HOUR, holds, officeBasis)).toEqual(sh('2026-03-09T11:45'));
    expect(runningTime(start, sh('2026-03-09T11:45'), holds, officeBasis)).toBe(2 * HOUR);
    expect(heldTime(start, sh('2026-03-09T12:00'), holds, officeBasis)).toBe(45 * MINUTE);
  });

  it('a hold over the night only excludes opening hours', () => {
    const holds = [{ from: sh('2026-03-09T16:00'), to: sh('2026-03-10T09:30') }];
    expect(heldTime(start, sh('2026-03-10T12:00'), holds, officeBasis)).toBe(2 * HOUR);
    // 7 h run on Monday, then from 09:30 Tuesday the remaining 1 h.
    expect(instantAfter(start, 8 * HOUR, holds, officeBasis)).toEqual(sh('2026-03-10T10:30'));
  });

  it('an open hold makes the due instant unknown, and the clock shows paused', () => {
    const holds = [{ from: sh('2026-03-09T09:30') }];
    expect(instantAfter(start, HOUR, holds, officeBasis)).toBeNull();
    expect(instantAfter(start, 20 * MINUTE, holds, officeBasis)).toEqual(sh('2026-03-09T09:20'));
    const shown = clockStatus({ start, lengthMs: HOUR, warnAt: [0.5, 0.75], holds, now: sh('2026-03-09T11:00'), basis: officeBasis });
    expect(shown).toEqual({ status: 'paused', elapsedMs: 30 * MINUTE, pausedMs: 90 * MINUTE, dueAt: null });
  });

  it('several holds, one starting before the clock, are each excluded once', () => {
    const holds = [
      { from: sh('2026-03-09T08:00'), to: sh('2026-03-09T09:10') },
      { from: sh('2026-03-09T09:20'), to: sh('2026-03-09T09:40') },
    ];
    expect(runningTime(start, sh('2026-03-09T10:00'), holds, officeBasis)).toBe(30 * MINUTE);
    expect(instantAfter(start, 30 * MINUTE, holds, officeBasis)).toEqual(sh('2026-03-09T10:00'));
  });
});

describe('a change of fault level re-targets from intake minus holds', () => {
  it('level 3 (4 h) to level 1 (1 h) after 30 min on hold: due at intake + 1 h + 30 min', () => {
    const start = new Date('2026-03-09T01:00:00Z');
    const holds = [{ from: new Date('2026-03-09T01:10:00Z'), to: new Date('2026-03-09T01:40:00Z') }];
    expect(instantAfter(start, 4 * HOUR, holds, always)).toEqual(new Date('2026-03-09T05:30:00Z'));
    expect(instantAfter(start, HOUR, holds, always)).toEqual(new Date('2026-03-09T02:30:00Z'));
  });

  it('a shorter level already past its length shows breached at once', () => {
    const start = new Date('2026-03-09T01:00:00Z');
    const shown = clockStatus({ start, lengthMs: HOUR, warnAt: [0.5], holds: [], now: new Date('2026-03-09T03:00:00Z'), basis: always });
    expect(shown.status).toBe('breached');
    expect(shown.dueAt).toEqual(new Date('2026-03-09T02:00:00Z'));
  });
});

describe('a reopen starts a new resolve clock', () => {
  const sla = {
    clock: office,
    levels: { '1': { respond: 'PT1H', onSite: 'PT4H', resolve: 'PT24H' }, '2': { respond: 'PT2H', onSite: 'PT8H', resolve: 'PT48H' }, '3': { respond: 'PT4H', onSite: 'P1D', resolve: { workingDays: 3 } }, '4': { respond: 'P1D', onSite: 'P2D', resolve: { workingDays: 5 } } },
    complaintReplyWithin: 'PT2H',
  };

  it('runs the level’s full resolve length from the reopen, as round n with its own id', () => {
    const clock = reopenedResolveClock('2026-04-03T08:00:00.000Z', 2, 3, sla);
    expect(clock).toEqual({ name: 'resolve', lengthMs: 3 * (8.5 * HOUR), startedAt: '2026-04-03T08:00:00.000Z', round: 2 });
    expect(clockId(clock)).toBe('resolve@2');
    expect(clockId({ name: 'resolve' })).toBe('resolve');
    expect(clockStart({ startedAt: '2026-04-01T00:00:00.000Z' }, clock)).toEqual(new Date('2026-04-03T08:00:00.000Z'));
    expect(clockStart({ startedAt: '2026-04-01T00:00:00.000Z' }, {})).toEqual(new Date('2026-04-01T00:00:00.000Z'));
  });

  it('holds before the reopen cost it nothing; its rungs fall at shares of its own length across the holiday', () => {
    // Reopened Friday 3 April 2026, 16:00 Shanghai, before the Qingming holiday (Sat 4 – Mon 6).
    const reopenedAt = sh('2026-04-03T16:00:00');
    const holds = [{ from: sh('2026-04-02T09:00:00'), to: sh('2026-04-02T12:00:00') }];
    const rungs = clockRungs(reopenedAt, 2 * HOUR, [0.5], CHAIN, holds, officeBasis);
    expect(rungs.map((r) => [r.rung, r.at])).toEqual([
      ['warning_1', sh('2026-04-03T17:00:00')],
      ['breach', sh('2026-04-07T09:30:00')],
      ['breach_again', sh('2026-04-07T11:30:00')],
    ]);
  });
});

describe('clock status', () => {
  const start = new Date('2026-03-09T00:00:00Z');
  const at = (minutes: number) => new Date(start.getTime() + minutes * MINUTE);
  const status = (now: number, stopped?: number) =>
    clockStatus({ start, lengthMs: HOUR, warnAt: [0.5, 0.75], holds: [], now: at(now), ...(stopped !== undefined ? { stoppedAt: at(stopped) } : {}), basis: always }).status;
  it('is ok, then warning, then breached; met or met late once stopped', () => {
    expect(status(29)).toBe('ok');
    expect(status(30)).toBe('warning');
    expect(status(60)).toBe('breached');
    expect(status(90, 45)).toBe('met');
    expect(status(90, 61)).toBe('met_late');
  });
});

describe('entitlement and charges', () => {
  const at = new Date('2026-06-01T00:00:00Z');
  it('warranty dates first, then a maintenance contract, else out of scope', () => {
    expect(entitlementOf({ at, warrantyStartsAt: new Date('2026-01-01'), warrantyEndsAt: new Date('2027-01-01'), maintenanceContract: false })).toBe('warranty');
    expect(entitlementOf({ at, warrantyStartsAt: new Date('2025-01-01'), warrantyEndsAt: new Date('2026-01-01'), maintenanceContract: true })).toBe('maintenance_contract');
    expect(entitlementOf({ at, warrantyStartsAt: null, warrantyEndsAt: null, maintenanceContract: false })).toBe('out_of_scope');
    expect(entitlementOf({ at, warrantyStartsAt: new Date('2026-07-01'), warrantyEndsAt: new Date('2027-07-01'), maintenanceContract: false })).toBe('out_of_scope');
  });

  const cny = (amount: number) => ({ amount, currency: 'CNY' });
  const base = { parts: [{ partNumber: 'P-1', quantity: 2, unitCost: cny(10_000) }], labourHours: 1.5, labourRate: cny(20_000), travel: cny(5_000) };
  it('quality faults in warranty are free, other faults at cost, out of scope pays parts, labour and travel', () => {
    expect(repairCharges({ ...base, entitlement: 'warranty', qualityFault: true }).total).toEqual(cny(0));
    expect(repairCharges({ ...base, entitlement: 'warranty', qualityFault: false })).toMatchObject({ total: cny(20_000), basis: 'at_cost' });
    expect(repairCharges({ ...base, entitlement: 'out_of_scope', qualityFault: true })).toMatchObject({ parts: cny(20_000), labour: cny(30_000), travel: cny(5_000), total: cny(55_000), basis: 'chargeable' });
  });

  it('refuses mixed currencies, naming the field', () => {
    expect(() => repairCharges({ ...base, travel: { amount: 1, currency: 'USD' }, entitlement: 'out_of_scope', qualityFault: false })).toThrow(/travel/);
  });
});

describe('the clocks as a step moves them', () => {
  const sla = {
    clock: office,
    levels: { '1': { respond: 'PT1H', onSite: 'PT4H', resolve: 'PT24H' }, '2': { respond: 'PT2H', onSite: 'PT8H', resolve: 'PT48H' }, '3': { respond: 'PT4H', onSite: 'P1D', resolve: { workingDays: 3 } }, '4': { respond: 'P1D', onSite: 'P2D', resolve: { workingDays: 5 } } },
    complaintReplyWithin: 'PT2H',
  };
  const record: TicketClocksRecord = {
    startedAt: '2026-04-01T00:00:00.000Z',
    clock: office,
    calendar: 'cn',
    timeZone: 'Asia/Shanghai',
    warnAt: [0.5],
    holds: [],
    clocks: [
      { name: 'respond', lengthMs: 4 * HOUR, stoppedAt: '2026-04-01T01:00:00.000Z' },
      { name: 'onSite', lengthMs: 24 * HOUR },
      { name: 'resolve', lengthMs: 3 * 8.5 * HOUR },
    ],
  };

  it('stops the named clocks that still run; one already stopped keeps its first stop', () => {
    const stopped = stopClocks(record, ['respond', 'onSite'], '2026-04-02T00:00:00.000Z');
    expect(stopped.clocks.map((c) => [c.name, c.stoppedAt])).toEqual([
      ['respond', '2026-04-01T01:00:00.000Z'],
      ['onSite', '2026-04-02T00:00:00.000Z'],
      ['resolve', undefined],
    ]);
    expect(record.clocks[1]!.stoppedAt).toBeUndefined();
  });

  it('a new level re-targets the running clocks only', () => {
    const releveled = releveledClocks(record, 1, sla);
    expect(releveled.clocks.map((c) => [c.name, c.lengthMs])).toEqual([
      ['respond', 4 * HOUR],
      ['onSite', 4 * HOUR],
      ['resolve', 24 * HOUR],
    ]);
  });

  it('the next rung is the earliest not fired yet, a plan without ids naming its clock by name', () => {
    const planned = [
      { id: 'resolve@1', name: 'resolve' as const, dueAt: '2026-04-03T10:00:00.000Z', rungs: [{ rung: 'warning_1', role: 'engineer', at: '2026-04-02T10:00:00.000Z' }, { rung: 'breach', role: 'service_manager', at: '2026-04-03T10:00:00.000Z' }] },
      { name: 'onSite' as const, dueAt: null, rungs: [{ rung: 'warning_1', role: 'engineer', at: null }] },
      { name: 'respond' as const, dueAt: '2026-04-02T12:00:00.000Z', rungs: [{ rung: 'breach', role: 'service_manager', at: '2026-04-02T12:00:00.000Z' }] },
    ];
    expect(nextClockRung(planned, [])).toEqual({ clock: { id: 'resolve@1', name: 'resolve' }, dueAt: '2026-04-03T10:00:00.000Z', rung: 'warning_1', role: 'engineer', at: '2026-04-02T10:00:00.000Z' });
    expect(nextClockRung(planned, ['resolve@1:warning_1'])?.clock).toEqual({ id: 'respond', name: 'respond' });
    expect(nextClockRung(planned, ['resolve@1:warning_1', 'respond:breach', 'resolve@1:breach'])).toBeUndefined();
  });

  it('labels every clock in both languages', () => {
    for (const name of TICKET_CLOCKS) expect(TICKET_CLOCK_LABELS[name]).toEqual({ en: expect.any(String), zh: expect.any(String) });
  });
});
