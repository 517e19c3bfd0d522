/**
 * How visits and calls read through the API, and whom a call is for: shared by the plan's page and
 * the work queues.
 */
import type { Knex } from 'knex';
import type { CareCall, CareVisit, TaskQueueStatus } from '../repository';
import type { z } from '../../../platform/http/zod';
import type { CallSchema, VisitSchema } from './schemas';

export interface ContactRow {
  id: number;
  name: string;
  phone: string | null;
  email: string;
  role: string;
  wrongNumber: boolean;
}

export async function contactsOf(knex: Knex, customerId: number): Promise<ContactRow[]> {
  const rows = (await knex('customer_contacts').where({ customer_id: customerId }).orderBy('id')) as Record<string, unknown>[];
  return rows.map((r) => ({ id: Number(r.id), name: String(r.name), phone: (r.phone as string | null) ?? null, email: String(r.email), role: String(r.role), wrongNumber: r.wrong_number_at !== null && r.wrong_number_at !== undefined }));
}

const queueOf = (task: { status: string; windowEnd: Date }, now: Date): TaskQueueStatus => (task.status !== 'due' ? 'done' : task.windowEnd.getTime() < now.getTime() ? 'overdue' : 'due');
const iso = (d: Date | null) => d?.toISOString() ?? null;

export const visitDto = (v: CareVisit, now: Date): z.input<typeof VisitSchema> => ({
  id: v.id,
  planId: v.planId,
  customerId: v.customerId,
  projectId: v.projectId,
  taskKey: v.taskKey,
  kind: v.kind,
  status: v.status,
  queue: queueOf(v, now),
  assigneeUserId: v.assigneeUserId,
  dueAt: v.dueAt.toISOString(),
  windowStart: v.windowStart.toISOString(),
  windowEnd: v.windowEnd.toISOString(),
  remindAt: v.remindAt.toISOString(),
  doneAt: iso(v.doneAt),
  reportDueAt: iso(v.reportDueAt),
  outcome: v.outcome,
});

/** A call with whom to call: the contacts it was made for (a flagged one shows its flag). */
export const callDto = (c: CareCall, contacts: ContactRow[], now: Date): z.input<typeof CallSchema> => ({
  id: c.id,
  planId: c.planId,
  customerId: c.customerId,
  projectId: c.projectId,
  taskKey: c.taskKey,
  status: c.status,
  queue: queueOf(c, now),
  assigneeUserId: c.assigneeUserId,
  dueAt: c.dueAt.toISOString(),
  windowEnd: c.windowEnd.toISOString(),
  remindAt: c.remindAt.toISOString(),
  attempts: c.attempts,
  doneAt: iso(c.doneAt),
  outcome: c.outcome,
  contacts: contacts.filter((k) => c.contactIds.includes(k.id)),
  ticketId: c.ticketId,
});
