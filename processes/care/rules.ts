/**
 * P4 asset care: the schedule a care plan keeps for years. Pure: every function is given the anchor,
 * the policy and the calendar it works on, so the workflow's activity, the API and the tests compute
 * alike.
 *
 * - Inspections (巡检) taper by the device's age (`care.inspectionTiers`), counted in months from the
 *   warranty start (the anchor). Each series is computed from its own base, never by chaining dates:
 *   31 January + 1 month is 28 February, + 2 months is 31 March (not 28 March).
 * - Return calls (回访): the first `returnCallFirstWithin` after the anchor, then every
 *   `returnCallEvery`, or more often when the customer's class has a lower bound (`returnCallAtLeast`).
 * - One free maintenance `freeMaintenanceBeforeWarrantyEnd` before the warranty ends.
 * - A maintenance contract's visits, spread evenly over it, at least its visits per year.
 *
 * A task is numbered within its series (`inspection:7`); moving one task (a reschedule) never moves
 * another, because every due time comes from the series' base, not from the task before.
 */
import { DateTime, Duration as IsoDuration } from 'luxon';
import { addWorkingDays, inZone, localDate, startOfLocalDay, type BusinessCalendar } from '../../domain/calendar';
import { addDuration, parseIsoDuration, subtractDuration, type Duration } from '../../domain/duration';
import { DomainError } from '../../domain/errors';
import type { CustomerClass, ServicePolicy } from '../../domain/policy';

export type CarePolicy = ServicePolicy['care'];

/** `extra`: a visit added by hand (before a customer's major event); never computed by the schedule. */
export const CARE_TASK_KINDS = ['inspection', 'free_maintenance', 'contract_visit', 'extra', 'call'] as const;
export type CareTaskKind = (typeof CARE_TASK_KINDS)[number];

/** Visits are done on site by an engineer; calls by the service desk. */
export const isVisitKind = (kind: CareTaskKind): boolean => kind !== 'call';

export interface MaintenanceContract {
  /** Stable within the plan, e.g. 'C1'. */
  id: string;
  startsAt: Date;
  endsAt: Date;
  visitsPerYear: number;
}

/** What a plan's schedule is computed from. */
export interface CareBasis {
  /** Warranty start: final acceptance, or the sale for a dealer's device. Ages count from here. */
  anchor: Date;
  warrantyEndsAt?: Date;
  customerClass: CustomerClass;
  contracts: MaintenanceContract[];
}

/** How many tasks of each series are already materialized (numbered 1 … n). */
export interface CareCursors {
  inspection: number;
  call: number;
  freeMaintenance: boolean;
  /** Per contract id. */
  contracts: Record<string, number>;
}

export const NO_CURSORS: CareCursors = Object.freeze({ inspection: 0, call: 0, freeMaintenance: false, contracts: Object.freeze({}) }) as CareCursors;

export interface CareTask {
  /** Unique within the plan: `inspection:3`, `call:1`, `free_maintenance`, `contract:C1:4`. */
  key: string;
  kind: CareTaskKind;
  dueAt: Date;
  /** A visit may be done from here … */
  windowStart: Date;
  /** … until here; after this it is overdue. */
  windowEnd: Date;
  /** When the assignee is reminded. */
  remindAt: Date;
}

// ---------------------------------------------------------------------------------------------
// Series

/** Whole months from `anchor` to `at` as luxon adds months (the largest m with anchor + m months ≤ at). */
export function monthsElapsed(anchor: Date, at: Date, calendar: BusinessCalendar): number {
  const start = inZone(anchor, calendar.timeZone);
  const end = inZone(at, calendar.timeZone);
  let months = Math.max(0, Math.floor(end.diff(start, 'months').months) - 1);
  while (start.plus({ months: months + 1 }) <= end) months += 1;
  return months;
}

/** `base` + n × `step`: ISO steps are multiplied and added once (month ends stay true); working days count on. */
function stepsFrom(base: Date, step: Duration, n: number, calendar: BusinessCalendar): Date {
  if (n === 0) return base;
  if (typeof step === 'string') {
    const times = parseIsoDuration(step).mapUnits((value) => value * n);
    return inZone(base, calendar.timeZone).plus(times).toJSDate();
  }
  return addDuration(base, { workingDays: step.workingDays * n }, calendar);
}

/**
 * Due times of the inspections, 1, 2, 3 …; the tier is the one holding the age month that starts at
 * the last visit. ISO intervals are added to the anchor in one go (anchor + 12 × P1M + 1 × P2M), so a
 * month end stays a month end; a working-day tier counts on from the visit before it.
 */
export function* inspectionDues(anchor: Date, tiers: CarePolicy['inspectionTiers'], calendar: BusinessCalendar): Generator<Date> {
  if (tiers.length === 0) throw new DomainError('needs at least one inspection tier', 'care.inspectionTiers');
  const start = inZone(anchor, calendar.timeZone);
  /** The ISO distance from the anchor to the tier's first visit base; gone once a working-day tier ran. */
  let offset: IsoDuration | undefined = IsoDuration.fromObject({});
  let base = anchor;
  let count = 0;
  let tier = tiers[0]!;
  let cursor = anchor;
  for (;;) {
    const ageMonth = monthsElapsed(anchor, cursor, calendar) + 1;
    const current = tiers.find((t) => ageMonth >= t.fromMonth && (t.toMonth === undefined || ageMonth <= t.toMonth)) ?? tiers[tiers.length - 1]!;
    if (current !== tier) {
      offset = offset && typeof tier.every === 'string' ? offset.plus(parseIsoDuration(tier.every).mapUnits((v) => v * count)) : undefined;
      tier = current;
      base = cursor;
      count = 0;
    }
    count += 1;
    const every = tier.every;
    const due =
      offset && typeof every === 'string'
        ? start.plus(offset.plus(parseIsoDuration(every).mapUnits((v) => v * count))).toJSDate()
        : stepsFrom(base, every, count, calendar);
    if (due.getTime() <= cursor.getTime()) throw new DomainError('an inspection interval must move time forward', 'care.inspectionTiers');
    cursor = due;
    yield due;
  }
}

/** The shorter of two durations, measured from `from`. */
function shorter(a: Duration, b: Duration, from: Date, calendar: BusinessCalendar): Duration {
  return addDuration(from, b, calendar).getTime() < addDuration(from, a, calendar).getTime() ? b : a;
}

/** The interval between routine calls: `returnCallEvery`, or the customer class's lower bound when that is shorter. */
export function returnCallInterval(care: CarePolicy, customerClass: CustomerClass, from: Date, calendar: BusinessCalendar): Duration {
  const bound = customerClass === 'regular' ? undefined : care.returnCallAtLeast[customerClass];
  return bound === undefined ? care.returnCallEvery : shorter(care.returnCallEvery, bound, from, calendar);
}

/** Due time of the n-th return call (n ≥ 1), from the anchor in one go when both durations are ISO (month ends stay). */
export function callDue(anchor: Date, n: number, care: CarePolicy, customerClass: CustomerClass, calendar: BusinessCalendar): Date {
  if (!Number.isInteger(n) || n < 1) throw new DomainError(`calls are numbered from 1, got ${n}`, 'n');
  const first = addDuration(anchor, care.returnCallFirstWithin, calendar);
  const interval = returnCallInterval(care, customerClass, first, calendar);
  if (typeof care.returnCallFirstWithin === 'string' && typeof interval === 'string') {
    const offset = parseIsoDuration(care.returnCallFirstWithin).plus(parseIsoDuration(interval).mapUnits((v) => v * (n - 1)));
    return inZone(anchor, calendar.timeZone).plus(offset).toJSDate();
  }
  return stepsFrom(first, interval, n - 1, calendar);
}

/** The free full maintenance before the warranty ends; none when that would be before the plan starts. */
export function freeMaintenanceDue(basis: CareBasis, care: CarePolicy, calendar: BusinessCalendar): Date | undefined {
  if (!basis.warrantyEndsAt) return undefined;
  const due = subtractDuration(basis.warrantyEndsAt, care.freeMaintenanceBeforeWarrantyEnd, calendar);
  return due.getTime() > basis.anchor.getTime() ? due : undefined;
}

/** A contract's visits, evenly spread: at least `visitsPerYear` a year (never fewer than one), each mid-slot. */
export function contractVisitDues(contract: MaintenanceContract, calendar: BusinessCalendar): Date[] {
  const start = contract.startsAt.getTime();
  const length = contract.endsAt.getTime() - start;
  if (!(length > 0)) throw new DomainError('a maintenance contract must end after it starts', 'endsAt');
  if (!Number.isInteger(contract.visitsPerYear) || contract.visitsPerYear < 1) throw new DomainError('must be a whole number of visits, at least 1', 'visitsPerYear');
  // Calendar years, so a leap year does not add a visit; the epsilon absorbs float noise in a whole count.
  const years = inZone(contract.endsAt, calendar.timeZone).diff(inZone(contract.startsAt, calendar.timeZone), 'years').years;
  const count = Math.max(1, Math.ceil(contract.visitsPerYear * years - 1e-9));
  const slot = length / count;
  return Array.from({ length: count }, (_, i) => new Date(Math.round(start + (i + 0.5) * slot)));
}

// ---------------------------------------------------------------------------------------------
// Tasks

/** A task's window, overdue time and reminder around its due time. */
export function taskAt(key: string, kind: CareTaskKind, dueAt: Date, care: CarePolicy, calendar: BusinessCalendar): CareTask {
  const visit = isVisitKind(kind);
  return {
    key,
    kind,
    dueAt,
    windowStart: visit ? subtractDuration(dueAt, care.visitWindow, calendar) : dueAt,
    windowEnd: addDuration(dueAt, visit ? care.visitWindow : care.callWindow, calendar),
    remindAt: subtractDuration(dueAt, care.remindBefore, calendar),
  };
}

/**
 * The tasks due up to `until` that are not materialized yet (past `cursors`), in due order, and the
 * cursors after them. The workflow calls this with `until` = now + `care.taskHorizon`.
 */
export function tasksDueBy(basis: CareBasis, cursors: CareCursors, until: Date, care: CarePolicy, calendar: BusinessCalendar): { tasks: CareTask[]; cursors: CareCursors } {
  const limit = until.getTime();
  const tasks: CareTask[] = [];
  const next: CareCursors = { ...cursors, contracts: { ...cursors.contracts } };

  let n = 0;
  for (const due of inspectionDues(basis.anchor, care.inspectionTiers, calendar)) {
    n += 1;
    if (due.getTime() > limit) break;
    if (n > cursors.inspection) {
      tasks.push(taskAt(`inspection:${n}`, 'inspection', due, care, calendar));
      next.inspection = n;
    }
  }

  for (let call = cursors.call + 1; ; call += 1) {
    const due = callDue(basis.anchor, call, care, basis.customerClass, calendar);
    if (due.getTime() > limit) break;
    tasks.push(taskAt(`call:${call}`, 'call', due, care, calendar));
    next.call = call;
  }

  const maintenance = freeMaintenanceDue(basis, care, calendar);
  if (!cursors.freeMaintenance && maintenance && maintenance.getTime() <= limit) {
    tasks.push(taskAt('free_maintenance', 'free_maintenance', maintenance, care, calendar));
    next.freeMaintenance = true;
  }

  for (const contract of basis.contracts) {
    const done = cursors.contracts[contract.id] ?? 0;
    contractVisitDues(contract, calendar).forEach((due, i) => {
      if (i + 1 > done && due.getTime() <= limit) {
        tasks.push(taskAt(`contract:${contract.id}:${i + 1}`, 'contract_visit', due, care, calendar));
        next.contracts[contract.id] = i + 1;
      }
    });
  }

  tasks.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.key.localeCompare(b.key));
  return { tasks, cursors: next };
}

/** When the first task not yet materialized (past `cursors`) is due; undefined when none is left. */
export function nextTaskDue(basis: CareBasis, cursors: CareCursors, care: CarePolicy, calendar: BusinessCalendar): Date | undefined {
  const candidates: Date[] = [];
  let n = 0;
  for (const due of inspectionDues(basis.anchor, care.inspectionTiers, calendar)) {
    n += 1;
    if (n > cursors.inspection) {
      candidates.push(due);
      break;
    }
  }
  candidates.push(callDue(basis.anchor, cursors.call + 1, care, basis.customerClass, calendar));
  const maintenance = cursors.freeMaintenance ? undefined : freeMaintenanceDue(basis, care, calendar);
  if (maintenance) candidates.push(maintenance);
  for (const contract of basis.contracts) {
    const due = contractVisitDues(contract, calendar)[cursors.contracts[contract.id] ?? 0];
    if (due) candidates.push(due);
  }
  return candidates.sort((a, b) => a.getTime() - b.getTime())[0];
}

/** One task moved to a new due time (with its window and reminder); the rest of the plan keeps its rhythm. */
export function rescheduleTask(task: CareTask, dueAt: Date, care: CarePolicy, calendar: BusinessCalendar): CareTask {
  if (Number.isNaN(dueAt.getTime())) throw new DomainError('must be an ISO-8601 instant', 'dueAt');
  return taskAt(task.key, task.kind, dueAt, care, calendar);
}

/** When an unanswered call is tried again: a working-day count keeps the time of day. */
export function nextCallAttempt(at: Date, care: CarePolicy, calendar: BusinessCalendar): Date {
  const retry = care.callRetryAfter;
  if (typeof retry === 'string') return addDuration(at, retry, calendar);
  const local = inZone(at, calendar.timeZone);
  const day = addWorkingDays(localDate(at, calendar.timeZone), retry.workingDays, calendar);
  const start = DateTime.fromJSDate(startOfLocalDay(day, calendar.timeZone), { zone: calendar.timeZone });
  return start.set({ hour: local.hour, minute: local.minute, second: local.second, millisecond: local.millisecond }).toJSDate();
}

/** The inspection report is due `care.inspectionReportWithin` after the visit (003 §6: 3 working days). */
export function inspectionReportDue(visitedAt: Date, care: CarePolicy, calendar: BusinessCalendar): Date {
  return addDuration(visitedAt, care.inspectionReportWithin, calendar);
}

export type FollowUpReason = 'low_score' | 'unsolved_problem' | 'unreached';

/** A call's outcome that the service manager must follow up (001: escalated to the customer service manager). */
export function followUpReason(outcome: { satisfaction?: number; unsolvedProblem?: boolean }, care: CarePolicy): FollowUpReason | undefined {
  if (outcome.satisfaction !== undefined && outcome.satisfaction <= care.escalateAtOrBelow) return 'low_score';
  if (outcome.unsolvedProblem) return 'unsolved_problem';
  return undefined;
}

export type CareNoticeKind = 'warranty_expiring' | 'warranty_expired' | 'contract_renewal';

/** Dated notices of a plan: the warranty's expiry (with the contract offer) and each contract's renewal reminder. */
export function careNotices(basis: CareBasis, care: CarePolicy, calendar: BusinessCalendar): { key: string; kind: CareNoticeKind; at: Date }[] {
  const notices: { key: string; kind: CareNoticeKind; at: Date }[] = [];
  if (basis.warrantyEndsAt) {
    notices.push({ key: 'warranty_expiring', kind: 'warranty_expiring', at: subtractDuration(basis.warrantyEndsAt, care.freeMaintenanceBeforeWarrantyEnd, calendar) });
    notices.push({ key: 'warranty_expired', kind: 'warranty_expired', at: basis.warrantyEndsAt });
  }
  for (const contract of basis.contracts) {
    notices.push({ key: `contract_renewal:${contract.id}`, kind: 'contract_renewal', at: subtractDuration(contract.endsAt, care.contractRenewalBefore, calendar) });
  }
  return notices.sort((a, b) => a.at.getTime() - b.at.getTime() || a.key.localeCompare(b.key));
}

/** How tasks read in notices and timelines, in both languages. */
export const CARE_TASK_LABELS: Record<CareTaskKind, { en: string; zh: string }> = {
  inspection: { en: 'Inspection visit', zh: '巡检' },
  free_maintenance: { en: 'Free maintenance before warranty end', zh: '质保期满前免费保养' },
  contract_visit: { en: 'Maintenance contract visit', zh: '维保合同走访' },
  extra: { en: 'Extra visit', zh: '加派巡检' },
  call: { en: 'Return call', zh: '电话回访' },
};

/** The notice template of a dated notice. */
export const careNoticeTemplate = (kind: CareNoticeKind): string => (kind === 'warranty_expiring' ? 'care-warranty-expiring' : kind === 'warranty_expired' ? 'care-warranty-expired' : 'care-contract-renewal');

/** A return call's answers as a ticket survey's comment: the problems and suggestions said, at most 500 characters. */
export const surveyComment = (answers: { problems?: string; suggestions?: string }): string =>
  [answers.problems, answers.suggestions].filter((text): text is string => typeof text === 'string' && text.trim() !== '').join(' / ').slice(0, 500);
