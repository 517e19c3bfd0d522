/**
 * A person's work across every process, from the deadline rows (never from running workflows):
 * what escalated (newest first), what is overdue, which clocks warn, what is due today and this
 * week. Only the records the person may read, by the same rule as GET /api/deadlines
 * (readableRecords, domain/access.ts); each row names its record and the page to open it on.
 */
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { readableRecords } from '../deadlines/routes';
import { DeadlinesRepository, type Deadline, type DeadlineFilter } from '../../schedule/deadlines/repository';
import type { Principal } from '../../domain/access';

/** The rungs that mean someone above was told: the ladders' escalation, a ticket clock's breach. */
export const ESCALATION_RUNGS = ['escalation', 'breach', 'breach_again'];

export const HOME_SECTIONS = ['escalated', 'overdue', 'warning', 'today', 'week'] as const;
export type HomeSection = (typeof HOME_SECTIONS)[number];

/** What a row's clock shows: past due (breached), a reminder or warning already sent, or neither. */
export type RowClock = 'breached' | 'warning' | 'ok';

export interface WorkRow {
  deadline: Deadline;
  clock: RowClock;
  record: RecordSummary;
}

export interface RecordSummary {
  /** e.g. `HT-2026-001 · Hospital` or `#12 · no power`; null when the record is gone. */
  label: string | null;
  /** The console page of the record, when it has one. */
  href: string | null;
  /** The zone its times are shown in (its customer's), when it has one. */
  timeZone: string | null;
}

export interface HomeWork {
  sections: Array<{ key: HomeSection; rows: WorkRow[]; count: number }>;
}

const WEEK_DAYS = 7;

/** The console page of each kind of record; a process that adds pages adds its record type here. */
export const RECORD_PAGES: Record<string, (id: number) => string> = {
  project: (id) => `/projects/${id}`,
  ticket: (id) => `/tickets/${id}`,
  care_plan: (id) => `/care-plans/${id}`,
};

export function clockOf(deadline: Pick<Deadline, 'dueAt' | 'lastRung'>, now: Date): RowClock {
  if (deadline.dueAt.getTime() < now.getTime()) return 'breached';
  return deadline.lastRung ? 'warning' : 'ok';
}

/** The instants that bound each section: the day ends in `timeZone` (the person's day, not UTC's). */
export function sectionFilters(now: Date, timeZone: string): Record<HomeSection, DeadlineFilter> {
  const endOfDay = DateTime.fromJSDate(now).setZone(timeZone).endOf('day').plus({ milliseconds: 1 }).toJSDate();
  const endOfWeek = new Date(now.getTime() + WEEK_DAYS * 86_400_000);
  return {
    escalated: { lastRungs: ESCALATION_RUNGS, latestFirst: true },
    overdue: { dueBefore: now },
    warning: { dueFrom: now, rungReached: true },
    today: { dueFrom: now, dueBefore: endOfDay },
    week: { dueFrom: endOfDay, dueBefore: endOfWeek > endOfDay ? endOfWeek : endOfDay },
  };
}

async function describeRecords(knex: Knex, deadlines: Deadline[]): Promise<Map<string, RecordSummary>> {
  const idsOf = (type: string) => [...new Set(deadlines.filter((d) => d.recordType === type).map((d) => d.recordId))];
  const projectIds = idsOf('project');
  const ticketIds = idsOf('ticket');
  const planIds = idsOf('care_plan');
  const [projects, tickets, plans] = await Promise.all([
    projectIds.length === 0 ? [] : (knex('projects as p').leftJoin('customers as c', 'c.id', 'p.customer_id').whereIn('p.id', projectIds).select('p.id', 'p.contract_no', 'p.name', 'c.time_zone') as Promise<Array<{ id: number; contract_no: string; name: string; time_zone: string | null }>>),
    ticketIds.length === 0 ? [] : (knex('tickets as t').leftJoin('customers as c', 'c.id', 't.customer_id').whereIn('t.id', ticketIds).select('t.id', 't.symptom', 'c.time_zone') as Promise<Array<{ id: number; symptom: string; time_zone: string | null }>>),
    planIds.length === 0 ? [] : (knex('care_plans as p').leftJoin('customers as c', 'c.id', 'p.customer_id').whereIn('p.id', planIds).select('p.id', 'c.name', 'c.time_zone') as Promise<Array<{ id: number; name: string | null; time_zone: string | null }>>),
  ]);
  const summaries = new Map<string, RecordSummary>();
  for (const p of projects) summaries.set(`project:${p.id}`, { label: `${p.contract_no} · ${p.name}`, href: null, timeZone: p.time_zone });
  for (const t of tickets) summaries.set(`ticket:${t.id}`, { label: `#${t.id} · ${t.symptom.slice(0, 60)}`, href: null, timeZone: t.time_zone });
  for (const p of plans) summaries.set(`care_plan:${p.id}`, { label: `#${p.id} · ${p.name ?? ''}`, href: null, timeZone: p.time_zone });
  for (const d of deadlines) {
    const key = `${d.recordType}:${d.recordId}`;
    const known = summaries.get(key) ?? { label: `#${d.recordId}`, href: null, timeZone: null };
    summaries.set(key, { ...known, href: RECORD_PAGES[d.recordType]?.(d.recordId) ?? null });
  }
  return summaries;
}

/** Each section's first `limit` rows and its full count, for what `principal` may read. */
export async function homeWork(knex: Knex, principal: Principal, now: Date, timeZone: string, limit = 25): Promise<HomeWork> {
  const repository = new DeadlinesRepository(knex);
  const readable = readableRecords(principal);
  const filters = sectionFilters(now, timeZone);
  // Every section's count in one pass over the person's open deadlines, then each section's first rows.
  const [counts, ...lists] = await Promise.all([
    repository.countOpenEach({ readable }, filters),
    ...HOME_SECTIONS.map((key) => repository.listOpen({ ...filters[key], readable, limit })),
  ]);
  const found = HOME_SECTIONS.map((key, i) => ({ key, rows: lists[i]!, count: counts[key] }));
  const records = await describeRecords(knex, found.flatMap((s) => s.rows));
  return {
    sections: found.map(({ key, rows, count }) => ({
      key,
      count,
      rows: rows.map((deadline) => ({ deadline, clock: clockOf(deadline, now), record: records.get(`${deadline.recordType}:${deadline.recordId}`)! })),
    })),
  };
}
