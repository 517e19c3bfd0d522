import { localDate, makeCalendar } from '../../domain/calendar';
import {
  CARE_TASK_KINDS,
  CARE_TASK_LABELS,
  NO_CURSORS,
  callDue,
  careNoticeTemplate,
  careNotices,
  contractVisitDues,
  followUpReason,
  freeMaintenanceDue,
  inspectionDues,
  inspectionReportDue,
  monthsElapsed,
  nextTaskDue,
  nextCallAttempt,
  rescheduleTask,
  returnCallInterval,
  surveyComment,
  tasksDueBy,
  type CareBasis,
  type CarePolicy,
  type CareTask,
} from '../../processes/care/rules';
import { DomainError } from '../../domain/errors';
import { DEFAULT_POLICY, resolvePolicy } from '../../domain/policy';

/** A Shanghai wall-clock time as an instant. */
const sh = (local: string): Date => new Date(`${local}+08:00`);
const day = (at: Date): string => localDate(at, 'Asia/Shanghai');
const cn = makeCalendar('cn');
const care: CarePolicy = DEFAULT_POLICY.care;

/** Final acceptance on a month end, so every month-end rule shows. */
const ANCHOR = sh('2026-01-31T10:00:00');
const defaultBasis: CareBasis = { anchor: ANCHOR, warrantyEndsAt: sh('2027-01-31T10:00:00'), customerClass: 'regular', contracts: [] };
const FIVE_YEARS = sh('2031-01-31T10:00:00');

const byKind = (tasks: CareTask[], kind: CareTask['kind']) => tasks.filter((t) => t.kind === kind);

describe('the default plan over five years', () => {
  const { tasks, cursors } = tasksDueBy(defaultBasis, NO_CURSORS, FIVE_YEARS, care, cn);

  it('inspects monthly in months 1–12, every 2 months in 13–24, then every 3 months, keeping month ends', () => {
    expect(byKind(tasks, 'inspection').map((t) => [t.key, day(t.dueAt)])).toEqual([
      // months 1–12: monthly; 31 January + 1 month is 28 February, + 2 months is 31 March
      ['inspection:1', '2026-02-28'],
      ['inspection:2', '2026-03-31'],
      ['inspection:3', '2026-04-30'],
      ['inspection:4', '2026-05-31'],
      ['inspection:5', '2026-06-30'],
      ['inspection:6', '2026-07-31'],
      ['inspection:7', '2026-08-31'],
      ['inspection:8', '2026-09-30'],
      ['inspection:9', '2026-10-31'],
      ['inspection:10', '2026-11-30'],
      ['inspection:11', '2026-12-31'],
      ['inspection:12', '2027-01-31'],
      // months 13–24: every 2 months
      ['inspection:13', '2027-03-31'],
      ['inspection:14', '2027-05-31'],
      ['inspection:15', '2027-07-31'],
      ['inspection:16', '2027-09-30'],
      ['inspection:17', '2027-11-30'],
      ['inspection:18', '2028-01-31'],
      // after month 24: every 3 months
      ['inspection:19', '2028-04-30'],
      ['inspection:20', '2028-07-31'],
      ['inspection:21', '2028-10-31'],
      ['inspection:22', '2029-01-31'],
      ['inspection:23', '2029-04-30'],
      ['inspection:24', '2029-07-31'],
      ['inspection:25', '2029-10-31'],
      ['inspection:26', '2030-01-31'],
      ['inspection:27', '2030-04-30'],
      ['inspection:28', '2030-07-31'],
      ['inspection:29', '2030-10-31'],
      ['inspection:30', '2031-01-31'],
    ]);
  });

  it('calls first within a month, then every 3 months, past the warranty (service is for life)', () => {
    expect(byKind(tasks, 'call').map((t) => [t.key, day(t.dueAt)])).toEqual([
      ['call:1', '2026-02-28'],
      ['call:2', '2026-05-31'],
      ['call:3', '2026-08-31'],
      ['call:4', '2026-11-30'],
      ['call:5', '2027-02-28'],
      ['call:6', '2027-05-31'],
      ['call:7', '2027-08-31'],
      ['call:8', '2027-11-30'],
      ['call:9', '2028-02-29'],
      ['call:10', '2028-05-31'],
      ['call:11', '2028-08-31'],
      ['call:12', '2028-11-30'],
      ['call:13', '2029-02-28'],
      ['call:14', '2029-05-31'],
      ['call:15', '2029-08-31'],
      ['call:16', '2029-11-30'],
      ['call:17', '2030-02-28'],
      ['call:18', '2030-05-31'],
      ['call:19', '2030-08-31'],
      ['call:20', '2030-11-30'],
    ]);
  });

  it('has one free maintenance a month before the warranty ends, with a ±7 day window and a reminder 3 days ahead', () => {
    const maintenance = byKind(tasks, 'free_maintenance');
    expect(maintenance.map((t) => [t.key, day(t.dueAt), day(t.windowStart), day(t.windowEnd), day(t.remindAt)])).toEqual([
      ['free_maintenance', '2026-12-31', '2026-12-24', '2027-01-07', '2026-12-28'],
    ]);
    expect(tasks).toHaveLength(30 + 20 + 1);
  });

  it('lists tasks in due order and advances every cursor', () => {
    const dues = tasks.map((t) => t.dueAt.getTime());
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    expect(cursors).toEqual({ inspection: 30, call: 20, freeMaintenance: true, contracts: {} });
  });

  it('gives a call a window of 2 working days after its due time', () => {
    const first = byKind(tasks, 'call')[0]!;
    expect(first.windowStart).toEqual(first.dueAt);
    // Saturday 28 February 2026 + 2 working days: Monday 2 and Tuesday 3 March, overdue from the 4th.
    expect(first.windowEnd).toEqual(sh('2026-03-04T00:00:00'));
  });

  it('materializes the same tasks when the horizon moves forward a fortnight at a time', () => {
    let cursor = NO_CURSORS;
    const seen: string[] = [];
    for (let at = ANCHOR; at <= FIVE_YEARS; at = new Date(at.getTime() + 14 * 86_400_000)) {
      const step = tasksDueBy(defaultBasis, cursor, at, care, cn);
      seen.push(...step.tasks.map((t) => `${t.key}@${day(t.dueAt)}`));
      cursor = step.cursors;
    }
    seen.push(...tasksDueBy(defaultBasis, cursor, FIVE_YEARS, care, cn).tasks.map((t) => `${t.key}@${day(t.dueAt)}`));
    expect(seen).toEqual(tasks.map((t) => `${t.key}@${day(t.dueAt)}`));
  });

  it('knows when the next task not yet materialized is due', () => {
    expect(day(nextTaskDue(defaultBasis, NO_CURSORS, care, cn)!)).toBe('2026-02-28');
    const { cursors: afterMarch } = tasksDueBy(defaultBasis, NO_CURSORS, sh('2026-03-31T10:00:00'), care, cn);
    expect(day(nextTaskDue(defaultBasis, afterMarch, care, cn)!)).toBe('2026-04-30');
    const { cursors: afterYear } = tasksDueBy(defaultBasis, NO_CURSORS, sh('2027-01-31T10:00:00'), care, cn);
    expect(day(nextTaskDue(defaultBasis, afterYear, care, cn)!)).toBe('2027-02-28');
  });

  it('materializes nothing before the first task is in reach', () => {
    expect(tasksDueBy(defaultBasis, NO_CURSORS, sh('2026-02-14T10:00:00'), care, cn).tasks).toEqual([]);
    expect(tasksDueBy(defaultBasis, NO_CURSORS, sh('2026-02-28T10:00:00'), care, cn).tasks.map((t) => t.key)).toEqual(['call:1', 'inspection:1']);
  });
});

describe('ages and tiers', () => {
  it('counts whole months as luxon adds them, month ends included', () => {
    expect(monthsElapsed(ANCHOR, sh('2026-02-28T10:00:00'), cn)).toBe(1);
    expect(monthsElapsed(ANCHOR, sh('2026-02-28T09:59:59'), cn)).toBe(0);
    expect(monthsElapsed(sh('2028-02-29T10:00:00'), sh('2029-02-28T10:00:00'), cn)).toBe(12);
  });

  it('keeps a leap-day anchor on the rhythm across the tier change', () => {
    const dues = inspectionDues(sh('2028-02-29T09:00:00'), care.inspectionTiers, cn);
    const first14 = Array.from({ length: 14 }, () => day(dues.next().value as Date));
    expect(first14.slice(10)).toEqual(['2029-01-29', '2029-02-28', '2029-04-29', '2029-06-29']);
  });

  it('follows custom tiers, including a working-day tier', () => {
    const tiers = [
      { fromMonth: 1, toMonth: 1, every: { workingDays: 10 } },
      { fromMonth: 2, every: 'P6M' },
    ];
    const dues = inspectionDues(sh('2026-09-21T10:00:00'), tiers, cn);
    const list = Array.from({ length: 4 }, () => day(dues.next().value as Date));
    // 10 working days from Monday 21 September cross Mid-Autumn (25–27 September) and National Day
    // (1–7 October, Saturday 10 October a working day): 22–24, 28–30 September, 8–10 and 12 October,
    // due as the 12th ends; then 10 more (age still month 1), then every 6 months from there.
    expect(list).toEqual(['2026-10-13', '2026-10-27', '2027-04-27', '2027-10-27']);
  });
});

describe('return calls and customer classes', () => {
  const yearly = { ...care, returnCallEvery: 'P12M' };

  it("holds a key customer's calls to at least every 6 months", () => {
    expect(returnCallInterval(yearly, 'key', ANCHOR, cn)).toBe('P6M');
    expect([1, 2, 3, 4].map((n) => day(callDue(ANCHOR, n, yearly, 'key', cn)))).toEqual(['2026-02-28', '2026-08-31', '2027-02-28', '2027-08-31']);
  });

  it('holds a long-term customer to at least yearly, and a regular customer to the policy', () => {
    const rarely = { ...care, returnCallEvery: 'P18M' };
    expect(returnCallInterval(rarely, 'long_term', ANCHOR, cn)).toBe('P1Y');
    expect(returnCallInterval(rarely, 'regular', ANCHOR, cn)).toBe('P18M');
    expect([1, 2, 3].map((n) => day(callDue(ANCHOR, n, rarely, 'long_term', cn)))).toEqual(['2026-02-28', '2027-02-28', '2028-02-29']);
  });

  it('keeps the policy interval when it is already shorter than the bound', () => {
    expect(returnCallInterval(care, 'key', ANCHOR, cn)).toBe('P3M');
    expect(returnCallInterval(care, 'long_term', ANCHOR, cn)).toBe('P3M');
  });

  it('numbers calls from 1', () => {
    expect(() => callDue(ANCHOR, 0, care, 'regular', cn)).toThrow(DomainError);
  });
});

describe('moving one task', () => {
  it('moves only the rescheduled task: the rest of the plan keeps its rhythm', () => {
    const before = tasksDueBy(defaultBasis, NO_CURSORS, sh('2026-06-30T10:00:00'), care, cn).tasks;
    const third = before.find((t) => t.key === 'inspection:3')!;
    const moved = rescheduleTask(third, sh('2026-05-08T14:00:00'), care, cn);
    expect([day(moved.dueAt), day(moved.windowStart), day(moved.windowEnd), day(moved.remindAt)]).toEqual(['2026-05-08', '2026-05-01', '2026-05-15', '2026-05-05']);
    const after = before.map((t) => (t.key === moved.key ? moved : t));
    const changed = after.filter((t, i) => t.dueAt.getTime() !== before[i]!.dueAt.getTime()).map((t) => t.key);
    expect(changed).toEqual(['inspection:3']);
    // The series itself does not know about the move: the next inspections stay on their month ends.
    const later = tasksDueBy(defaultBasis, { ...NO_CURSORS, inspection: 3, call: 2 }, sh('2026-06-30T10:00:00'), care, cn).tasks;
    expect(later.map((t) => [t.key, day(t.dueAt)])).toEqual([
      ['inspection:4', '2026-05-31'],
      ['inspection:5', '2026-06-30'],
    ]);
  });

  it('refuses an invalid instant', () => {
    const task = tasksDueBy(defaultBasis, NO_CURSORS, sh('2026-03-01T00:00:00'), care, cn).tasks[0]!;
    expect(() => rescheduleTask(task, new Date('nope'), care, cn)).toThrow(DomainError);
  });
});

describe('the inspection report deadline', () => {
  it('counts 3 working days across National Day and its make-up Saturday', () => {
    // Visit Wednesday 30 September 2026; 1–7 October are holidays; Thursday 8, Friday 9 and the
    // make-up Saturday 10 October are the 3 working days: due at the end of the 10th.
    expect(inspectionReportDue(sh('2026-09-30T15:00:00'), care, cn)).toEqual(sh('2026-10-11T00:00:00'));
  });

  it('counts plain weekdays on an ordinary week', () => {
    expect(inspectionReportDue(sh('2026-03-05T15:00:00'), care, cn)).toEqual(sh('2026-03-11T00:00:00'));
  });
});

describe('calls nobody answers', () => {
  it('are tried again the next working day at the same time', () => {
    expect(nextCallAttempt(sh('2026-03-06T10:30:00'), care, cn)).toEqual(sh('2026-03-09T10:30:00'));
    expect(nextCallAttempt(sh('2026-09-30T09:00:00'), care, cn)).toEqual(sh('2026-10-08T09:00:00'));
  });

  it('follow an ISO retry as it is (second-scale policies in tests)', () => {
    expect(nextCallAttempt(sh('2026-03-06T10:30:00'), { ...care, callRetryAfter: 'PT2S' }, cn)).toEqual(sh('2026-03-06T10:30:02'));
  });
});

describe('what an outcome triggers', () => {
  it.each([
    [{ satisfaction: 1 }, 'low_score'],
    [{ satisfaction: 2 }, 'low_score'],
    [{ satisfaction: 3 }, undefined],
    [{ satisfaction: 5, unsolvedProblem: true }, 'unsolved_problem'],
    [{ satisfaction: 2, unsolvedProblem: true }, 'low_score'],
    [{}, undefined],
  ] as const)('%j → %s', (outcome, reason) => {
    expect(followUpReason(outcome, care)).toBe(reason);
  });

  it('follows the policy threshold', () => {
    expect(followUpReason({ satisfaction: 3 }, { ...care, escalateAtOrBelow: 3 })).toBe('low_score');
    expect(followUpReason({ satisfaction: 1 }, { ...care, escalateAtOrBelow: 0 })).toBeUndefined();
  });
});

describe('warranty and maintenance contracts', () => {
  it('has no free maintenance without a warranty end, or when it would fall before the plan', () => {
    expect(freeMaintenanceDue({ ...defaultBasis, warrantyEndsAt: undefined }, care, cn)).toBeUndefined();
    expect(freeMaintenanceDue({ ...defaultBasis, warrantyEndsAt: sh('2026-02-15T10:00:00') }, care, cn)).toBeUndefined();
  });

  it('notices the coming expiry (with the offer), the expiry and each contract renewal', () => {
    const contract = { id: 'C1', startsAt: sh('2027-01-31T10:00:00'), endsAt: sh('2028-01-31T10:00:00'), visitsPerYear: 10 };
    expect(careNotices({ ...defaultBasis, contracts: [contract] }, care, cn).map((n) => [n.key, day(n.at)])).toEqual([
      ['warranty_expiring', '2026-12-31'],
      ['warranty_expired', '2027-01-31'],
      ['contract_renewal:C1', '2027-12-31'],
    ]);
  });

  it('spreads at least 10 visits a year evenly over a contract', () => {
    const contract = { id: 'C1', startsAt: sh('2027-01-31T10:00:00'), endsAt: sh('2028-01-31T10:00:00'), visitsPerYear: 10 };
    const dues = contractVisitDues(contract, cn);
    expect(dues).toHaveLength(10);
    expect(day(dues[0]!)).toBe('2027-02-18');
    expect(day(dues[9]!)).toBe('2028-01-13');
    const twoYears = contractVisitDues({ ...contract, endsAt: sh('2029-01-31T10:00:00') }, cn);
    expect(twoYears).toHaveLength(20);
    expect(contractVisitDues({ ...contract, endsAt: sh('2027-03-01T10:00:00') }, cn)).toHaveLength(1);
  });

  it('refuses a contract that ends before it starts or has no visits', () => {
    const contract = { id: 'C1', startsAt: sh('2027-01-31T10:00:00'), endsAt: sh('2027-01-31T10:00:00'), visitsPerYear: 10 };
    expect(() => contractVisitDues(contract, cn)).toThrow(DomainError);
    expect(() => contractVisitDues({ ...contract, endsAt: sh('2028-01-31T10:00:00'), visitsPerYear: 0 }, cn)).toThrow(DomainError);
  });

  it('keeps the contract visits as tasks of the plan beside the inspections', () => {
    const contract = { id: 'C1', startsAt: sh('2027-01-31T10:00:00'), endsAt: sh('2028-01-31T10:00:00'), visitsPerYear: 10 };
    const { tasks, cursors } = tasksDueBy({ ...defaultBasis, contracts: [contract] }, NO_CURSORS, sh('2027-04-01T00:00:00'), care, cn);
    expect(byKind(tasks, 'contract_visit').map((t) => t.key)).toEqual(['contract:C1:1', 'contract:C1:2']);
    expect(cursors.contracts).toEqual({ C1: 2 });
  });
});

describe('the care policy fields', () => {
  it('has defaults for the window, the call attempts and the follow-up threshold', () => {
    expect(care.visitWindow).toBe('P7D');
    expect(care.callAttempts).toBe(3);
    expect(care.escalateAtOrBelow).toBe(2);
    expect(care.callRetryAfter).toEqual({ workingDays: 1 });
  });

  it.each([
    [{ care: { callAttempts: 0 } }, 'care.callAttempts'],
    [{ care: { escalateAtOrBelow: 5 } }, 'care.escalateAtOrBelow'],
    [{ care: { visitWindow: 'soon' } }, 'care.visitWindow'],
    [{ care: { followUpWithin: { workingDays: 0 } } }, 'care.followUpWithin.workingDays'],
  ])('refuses %j naming %s', (contract, field) => {
    expect(() => resolvePolicy({ contract: contract as never })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ field })] }));
  });
});

describe('how a plan’s tasks and notices read', () => {
  it('labels every task kind in both languages', () => {
    for (const kind of CARE_TASK_KINDS) expect(CARE_TASK_LABELS[kind]).toEqual({ en: expect.any(String), zh: expect.any(String) });
  });

  it('sends each dated notice with its own template', () => {
    expect(careNoticeTemplate('warranty_expiring')).toBe('care-warranty-expiring');
    expect(careNoticeTemplate('warranty_expired')).toBe('care-warranty-expired');
    expect(careNoticeTemplate('contract_renewal')).toBe('care-contract-renewal');
  });

  it('turns a return call’s problems and suggestions into a survey comment of at most 500 characters', () => {
    expect(surveyComment({ problems: 'noisy fan', suggestions: 'call earlier' })).toBe('noisy fan / call earlier');
    expect(surveyComment({ problems: '  ', suggestions: 'call earlier' })).toBe('call earlier');
    expect(surveyComment({})).toBe('');
    expect(surveyComment({ problems: 'x'.repeat(600) })).toHaveLength(500);
  });
});
