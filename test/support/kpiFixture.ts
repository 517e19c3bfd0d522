/**
 * A small, fully known set of records for the KPI queries (db/repositories/kpis.ts): tickets with
 * their clock deadline rows and events, care visits and calls, dealer claims with their lines,
 * statements and ledger postings. Inserted with SQL, as the processes leave them, and the kept KPI
 * figures then kept as a bulk load keeps them (platform/db/keptFigures.ts). The period is
 * March 2026 (UTC); a few records fall outside it on purpose. The expected figures are worked out
 * by hand in test/db/kpis.test.ts.
 */
import type { Knex } from 'knex';
import { keepClaimModels, keepFirstPostings, noteAllTickets } from '../../platform/db/keptFigures';

export const MARCH = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') };
export const KPI_NOW = new Date('2026-04-10T00:00:00Z');

const at = (iso: string) => new Date(iso);
const json = (value: unknown) => JSON.stringify(value);

export interface KpiFixture {
  north: number;
  south: number;
  li: number;
  wang: number;
  tickets: Record<'t1' | 't2' | 't3' | 't4' | 't5' | 't6' | 't7' | 't8', number>;
}

/** `keep: false` on a database migrated to before the kept figures (their migrations backfill them). */
export async function seedKpiFixture(knex: Knex, options: { keep?: boolean } = {}): Promise<KpiFixture> {
  const created = at('2026-01-01T00:00:00Z');
  const insertId = async (table: string, row: Record<string, unknown>): Promise<number> => {
    const [id] = await knex(table).insert(row);
    return Number(id);
  };
  const north = await insertId('dealers', { name: 'North Dealer', region: 'North', created_at: created });
  const south = await insertId('dealers', { name: 'South Dealer', region: 'South', created_at: created });
  const li = await insertId('users', { name: 'Engineer Li', email: 'li@kpi.test', role: 'engineer', locale: 'en', created_at: created });
  const wang = await insertId('users', { name: 'Engineer Wang', email: 'wang@kpi.test', role: 'engineer', locale: 'en', created_at: created });
  const customerId = await insertId('customers', { name: 'KPI Hospital', class: 'regular', time_zone: 'Asia/Shanghai', locale: 'en', created_at: created, updated_at: created });
  for (const [dealerId, serial, model] of [[north, 'SN-N1', 'DR-7000'], [south, 'SN-S1', 'CT-200']] as const) {
    await knex('dealer_sales').insert({ dealer_id: dealerId, device_serial: serial, model, sale_date: '2026-01-05', customer_name: 'KPI Hospital', card_due_on: '2026-01-25', warranty: 'recognised', created_at: created });
  }

  const holds = (...reasons: string[]) => reasons.map((reason) => ({ from: '2026-03-05T00:00:00Z', to: '2026-03-06T00:00:00Z', reason }));
  const ticket = (input: { kind?: 'repair' | 'complaint'; serial: string; model: string; assignee: number | null; openedAt: string; status: string; resolvedAt?: string; closedAt?: string; holds?: unknown[]; repeatOf?: number }) =>
    insertId('tickets', {
      kind: input.kind ?? 'repair',
      customer_id: customerId,
      serial: input.serial,
      model: input.model,
      channel: 'phone',
      symptom: 'no image',
      fault_level: 2,
      entitlement: 'warranty',
      status: input.status,
      assignee_user_id: input.assignee,
      contact: json({ name: 'C' }),
      clock_state: json({ startedAt: input.openedAt, clock: { kind: '24x7' }, calendar: 'cn', timeZone: 'Asia/Shanghai', warnAt: [0.5, 0.75], holds: input.holds ?? [], clocks: [] }),
      repeat_of_ticket_id: input.repeatOf ?? null,
      opened_at: at(input.openedAt),
      resolved_at: input.resolvedAt ? at(input.resolvedAt) : null,
      closed_at: input.closedAt ? at(input.closedAt) : null,
      updated_at: at(input.openedAt),
    });
  const t1 = await ticket({ serial: 'SN-N1', model: 'DR-7000', assignee: li, openedAt: '2026-03-02T01:00:00Z', status: 'closed', resolvedAt: '2026-03-02T08:00:00Z', closedAt: '2026-03-02T09:00:00Z' });
  const t2 = await ticket({ serial: 'SN-N1', model: 'DR-7000', assignee: li, openedAt: '2026-03-04T01:00:00Z', status: 'closed', resolvedAt: '2026-03-07T08:00:00Z', closedAt: '2026-03-07T09:00:00Z', holds: holds('parts') });
  const t3 = await ticket({ serial: 'SN-S1', model: 'CT-200', assignee: wang, openedAt: '2026-03-08T01:00:00Z', status: 'resolved', resolvedAt: '2026-03-09T08:00:00Z', holds: holds('customer') });
  const t4 = await ticket({ serial: 'SN-X', model: 'DR-7000', assignee: wang, openedAt: '2026-03-12T01:00:00Z', status: 'closed', resolvedAt: '2026-03-12T08:00:00Z', closedAt: '2026-03-12T09:00:00Z' });
  const t5 = await ticket({ serial: 'SN-X', model: 'DR-7000', assignee: wang, openedAt: '2026-03-30T01:00:00Z', status: 'assigned', repeatOf: t4 });
  const t6 = await ticket({ kind: 'complaint', serial: 'SN-N1', model: 'DR-7000', assignee: null, openedAt: '2026-03-10T00:00:00Z', status: 'closed', closedAt: '2026-03-10T06:00:00Z' });
  const t7 = await ticket({ kind: 'complaint', serial: 'SN-X', model: 'DR-7000', assignee: null, openedAt: '2026-03-20T00:00:00Z', status: 'acknowledged' });
  const t8 = await ticket({ serial: 'SN-N1', model: 'DR-7000', assignee: li, openedAt: '2026-02-10T01:00:00Z', status: 'closed', resolvedAt: '2026-02-11T01:00:00Z', closedAt: '2026-02-11T02:00:00Z' });

  const events: Array<[number, string, unknown?]> = [
    [t1, 'arrived'], [t1, 'surveyed', { score: 5, satisfied: true }],
    [t2, 'arrived'], [t2, 'arrived'], [t2, 'surveyed', { score: 4, satisfied: true }],
    [t3, 'arrived'], [t3, 'reopened', { score: 2, satisfied: false, reopened: true }], [t3, 'reopened'], [t3, 'surveyed', { score: 4, satisfied: true }],
    [t4, 'arrived'],
    [t8, 'arrived'], [t8, 'surveyed', { score: 1, satisfied: false }],
  ];
  let n = 0;
  for (const [ticketId, kind, data] of events) {
    n += 1;
    await knex('ticket_events').insert({ ticket_id: ticketId, event_key: `${kind}:${n}`, kind, at: at('2026-03-15T00:00:00Z'), summary: kind, data: data === undefined ? null : json(data) });
  }

  // Clock rows as the ticket workflow leaves them: met when stopped, the last rung that fired.
  const clocks: Array<[number, string, 'met' | 'open', string | null]> = [
    [t1, 'respond', 'met', null], [t1, 'onSite', 'met', 'warning_1'], [t1, 'resolve', 'met', null],
    [t2, 'respond', 'met', 'breach'], [t2, 'onSite', 'met', null], [t2, 'resolve', 'met', 'breach_again'],
    [t3, 'respond', 'met', null], [t3, 'resolve', 'met', null], [t3, 'resolve@1', 'open', 'breach'],
    [t4, 'respond', 'met', null], [t4, 'resolve', 'met', null],
    [t5, 'respond', 'open', 'warning_2'], [t5, 'resolve', 'open', null],
    [t6, 'reply', 'met', null],
    [t8, 'resolve', 'met', null],
  ];
  for (const [ticketId, id, status, rung] of clocks) {
    await knex('deadlines').insert({
      workflow_id: `ticket-${ticketId}`,
      deadline_key: `ticket:${ticketId}:${id}`,
      record_type: 'ticket',
      record_id: ticketId,
      kind: `ticket_${id.split('@')[0]}`,
      description: id,
      due_at: at('2026-03-20T00:00:00Z'),
      last_rung: rung,
      provisional: false,
      status,
      opened_at: at('2026-03-01T00:00:00Z'),
      closed_at: status === 'met' ? at('2026-03-15T00:00:00Z') : null,
    });
  }

  // Care: one visit and one call overdue in March; others done, not yet overdue, or in February.
  const planId = await insertId('care_plans', { customer_id: customerId, status: 'active', customer_class: 'regular', anchor_at: created, policy: '{}', contracts: '[]', workflow_id: 'care-plan-kpi', created_at: created, updated_at: created });
  const visit = (key: string, status: string, dueAt: string, windowEnd: string) =>
    knex('care_visits').insert({ plan_id: planId, customer_id: customerId, task_key: key, kind: 'inspection', status, due_at: at(dueAt), window_start: at(dueAt), window_end: at(windowEnd), remind_at: at(dueAt), created_at: created, updated_at: created });
  await visit('v1', 'due', '2026-03-05T00:00:00Z', '2026-03-12T00:00:00Z');
  await visit('v2', 'due', '2026-03-25T00:00:00Z', '2026-04-20T00:00:00Z');
  await visit('v3', 'done', '2026-03-03T00:00:00Z', '2026-03-10T00:00:00Z');
  await visit('v4', 'due', '2026-02-05T00:00:00Z', '2026-02-12T00:00:00Z');
  const call = (key: string, status: string, dueAt: string, windowEnd: string) =>
    knex('care_calls').insert({ plan_id: planId, customer_id: customerId, task_key: key, status, due_at: at(dueAt), window_end: at(windowEnd), remind_at: at(dueAt), created_at: created, updated_at: created });
  await call('c1', 'due', '2026-03-02T00:00:00Z', '2026-03-09T00:00:00Z');
  await call('c2', 'unreached', '2026-03-02T00:00:00Z', '2026-03-09T00:00:00Z');

  // Claims: decided lines in March (and one in February), statements posted to the ledger.
  const claim = (dealerId: number, serial: string, createdAt: string, key: string) =>
    insertId('claims', { dealer_id: dealerId, device_serial: serial, fault_code: key, repair_date: '2026-02-01', work_done: 'fixed', attachments: '[]', status: 'decided', claim_codes: '[]', audit_required: false, submitted_by: li, created_at: at(createdAt), updated_at: at(createdAt) });
  const line = (claimId: number, dealerId: number, lineNo: number, status: string, decidedAt: string | null) =>
    insertId('claim_lines', { claim_id: claimId, dealer_id: dealerId, line_no: lineNo, kind: 'part', detail: JSON.stringify({ kind: 'part', partNo: 'P-1', quantity: 1, unitPrice: { amount: 10_000, currency: 'CNY' } }), currency: 'CNY', claimed_minor: 10_000, codes: '[]', status, approved_minor: status === 'approved' ? 8_000 : null, decided_at: decidedAt ? at(decidedAt) : null });
  const cl1 = await claim(north, 'SN-N1', '2026-02-20T00:00:00Z', 'F1');
  const cl2 = await claim(south, 'SN-S1', '2026-03-01T00:00:00Z', 'F2');
  const cl3 = await claim(north, 'SN-N1', '2026-02-10T00:00:00Z', 'F3');
  const l1 = await line(cl1, north, 1, 'approved', '2026-03-05T00:00:00Z');
  await line(cl1, north, 2, 'rejected', '2026-03-05T00:00:00Z');
  const l3 = await line(cl1, north, 3, 'approved', '2026-03-06T00:00:00Z');
  const l4 = await line(cl2, south, 1, 'approved', '2026-03-10T00:00:00Z');
  await line(cl2, south, 2, 'open', null);
  const l6 = await line(cl3, north, 1, 'approved', '2026-02-28T00:00:00Z');
  const settle = async (dealerId: number, period: string, lines: number[], postedAt: string) => {
    const settlementId = await insertId('settlements', { dealer_id: dealerId, period, status: 'confirmed', currency: 'CNY', total_minor: 8_000 * lines.length, created_at: at(postedAt), updated_at: at(postedAt) });
    for (const lineId of lines) await knex('settlement_lines').insert({ settlement_id: settlementId, claim_line_id: lineId, amount_minor: 8_000 });
    await knex('ledger_entries').insert({ dealer_id: dealerId, settlement_id: settlementId, kind: 'warranty_writeoff', currency: 'CNY', amount_minor: -8_000 * lines.length, memo: period, posted_at: at(postedAt) });
  };
  await settle(north, '2026-03', [l1, l3, l6], '2026-03-22T00:00:00Z');
  await settle(south, '2026-03', [l4], '2026-04-02T00:00:00Z');

  if (options.keep !== false) {
    await keepClaimModels(knex);
    await keepFirstPostings(knex);
    await noteAllTickets(knex);
  }

  return { north, south, li, wang, tickets: { t1, t2, t3, t4, t5, t6, t7, t8 } };
}
