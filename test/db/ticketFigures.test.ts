/**
 * The ticket figures the KPIs sum (ticket_figures, migration 0026; db/repositories/ticketFigures.ts)
 * are kept right through every kind of change a ticket's figures depend on, written as the
 * application writes them (its repositories, or SQL with the notes the application writes in the
 * same transaction, platform/db/keptFigures.ts): after each change, caught up, the kept rows equal
 * the figures computed from scratch, and the KPI read sees the change.
 */
import type { Knex } from 'knex';
import { noteTicketFigures, noteTicketsAndRepeats, noteTicketsOfSerials } from '../../platform/db/keptFigures';
import { migrateLatest, migrationConfig } from '../../platform/db/migrations';
import { TicketsRepository } from '../../processes/tickets/repository';
import type { TicketClocksRecord } from '../../processes/tickets/rules';
import { KpisRepository } from '../../reports/kpis/repository';
import { TicketFiguresRepository } from '../../reports/kpis/ticketFigures';
import { DeadlinesRepository } from '../../schedule/deadlines/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';
import { MARCH, seedKpiFixture, type KpiFixture } from '../support/kpiFixture';

const at = (iso: string) => new Date(iso);
/** The fixture's tickets carry only the holds of a clock record: all the figures read of it. */
const FIXTURE_CLOCKS = { holds: [] } as unknown as TicketClocksRecord;

describe.each(testDatabaseKinds())('ticket figures on %s', (kind) => {
  let db: TestDatabase;
  let knex: Knex;
  let figures: TicketFiguresRepository;
  let kpis: KpisRepository;
  let fixture: KpiFixture;
  let keys = 0;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    knex = db.knex;
    figures = new TicketFiguresRepository(knex);
    kpis = new KpisRepository(knex);
    fixture = await seedKpiFixture(knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  /** Caught up, the kept rows are the figures computed now, and no change waits. */
  const expectKeptRight = async () => {
    await figures.catchUp();
    expect(await figures.pending()).toBe(0);
    const kept = await figures.kept();
    expect(kept).toEqual(await figures.computed());
    expect(kept.length).toBe(Number(((await knex('tickets').count({ n: '*' }).first()) as { n: unknown }).n));
  };
  const event = (ticketId: number, eventKind: string, data?: unknown) => {
    keys += 1;
    return new TicketsRepository(knex).addEvent(ticketId, { eventKey: `figures:${keys}`, kind: eventKind, at: at('2026-03-25T00:00:00Z'), summary: eventKind, data });
  };
  /** A write with SQL and what the application writes with it (`keep`), in one transaction. */
  const kept = (write: (trx: Knex.Transaction) => Promise<unknown>, keep: (trx: Knex.Transaction) => Promise<void>) =>
    knex.transaction(async (trx) => {
      await write(trx);
      await keep(trx);
    });
  /** A sale changed or removed with SQL; its serials' tickets noted, as the application notes them. */
  const saleWrite = (serials: string[], write: (trx: Knex.Transaction) => Promise<unknown>) => kept(write, (trx) => noteTicketsOfSerials(trx, serials));

  it('the fixture written with SQL is kept, and its KPIs read from the kept figures', async () => {
    expect(await figures.pending()).toBeGreaterThan(0);
    expect(await kpis.firstTimeFix(MARCH)).toEqual({ value: 1 / 4, numerator: 1, denominator: 4 });
    await expectKeptRight();
  });

  it('an event: a second visit, a reopening, a survey', async () => {
    const { t1 } = fixture.tickets;
    await event(t1, 'arrived');
    await expectKeptRight();
    expect(await kpis.firstTimeFix(MARCH)).toEqual({ value: 0, numerator: 0, denominator: 4 });
    await event(t1, 'surveyed', { score: 3 });
    expect(await kpis.satisfaction(MARCH)).toEqual({ value: 18 / 5, count: 5 });
    await expectKeptRight();
  });

  it('a clock row: breached, then met late; a new clock', async () => {
    const { t5 } = fixture.tickets;
    const before = await kpis.onTimeRepair(MARCH);
    const deadlines = new DeadlinesRepository(knex);
    await deadlines.markRung(`ticket-${t5}`, `ticket:${t5}:resolve`, 'breach');
    expect(await kpis.onTimeRepair(MARCH)).toEqual({ value: before.numerator / (before.denominator + 1), numerator: before.numerator, denominator: before.denominator + 1 });
    await deadlines.close(`ticket-${t5}`, `ticket:${t5}:resolve`, 'met', at('2026-03-31T00:00:00Z'));
    // A row written closed already (the repository opens rows open): with SQL and its note.
    await kept((trx) => trx('deadlines').insert({ workflow_id: `ticket-${t5}`, deadline_key: `ticket:${t5}:onSite`, record_type: 'ticket', record_id: t5, kind: 'ticket_onSite', description: 'onSite', due_at: at('2026-03-31T00:00:00Z'), last_rung: null, provisional: false, status: 'met', opened_at: at('2026-03-30T00:00:00Z'), closed_at: at('2026-03-30T05:00:00Z') }), (trx) => noteTicketFigures(trx, [t5]));
    await expectKeptRight();
  });

  it('the ticket itself: resolved with a parts hold, moved to another model and engineer', async () => {
    const { t5 } = fixture.tickets;
    const stored = ((await knex('tickets').where({ id: t5 }).first('clock_state')) as { clock_state: unknown }).clock_state;
    const clock = (typeof stored === 'string' ? JSON.parse(stored) : stored) as { holds: unknown[] };
    clock.holds.push({ from: '2026-03-30T02:00:00Z', to: '2026-03-30T04:00:00Z', reason: 'parts' });
    await kept(
      (trx) => trx('tickets').where({ id: t5 }).update({ status: 'resolved', resolved_at: at('2026-03-30T06:00:00Z'), clock_state: JSON.stringify(clock), model: 'CT-200', assignee_user_id: fixture.li }),
      (trx) => noteTicketFigures(trx, [t5]),
    );
    await expectKeptRight();
    const row = (await figures.kept()).find((r) => Number(r.ticket_id) === t5)!;
    expect({ resolved: Number(row.resolved_repair), held: Number(row.parts_held), model: row.model, assignee: Number(row.assignee_user_id) }).toEqual({ resolved: 1, held: 1, model: 'CT-200', assignee: fixture.li });
  });

  it('a repeat repair names an earlier ticket, and is moved to another', async () => {
    const { t1, t2 } = fixture.tickets;
    const customerId = Number((await knex('customers').first('id')).id);
    const repeat = await new TicketsRepository(knex).create(
      { kind: 'repair', customerId, deviceId: null, serial: 'SN-N1', model: 'DR-7000', channel: 'phone', symptom: 'again', faultLevel: 2, entitlement: 'warranty', assigneeUserId: fixture.li, contact: { name: 'C', email: 'c@kpi.test' }, clockState: FIXTURE_CLOCKS, repeatOfTicketId: t1, openedAt: at('2026-03-28T00:00:00Z') },
      at('2026-03-28T00:00:00Z'),
    );
    await expectKeptRight();
    // Moved to another earlier ticket: both the one it named and the one it names now are noted.
    await kept(
      async (trx) => {
        await noteTicketsAndRepeats(trx, [repeat.id]);
        await trx('tickets').where({ id: repeat.id }).update({ repeat_of_ticket_id: t2 });
      },
      (trx) => noteTicketsAndRepeats(trx, [repeat.id]),
    );
    await expectKeptRight();
  });

  it('a sale: its serial sold by another dealer, a new sale, a sale removed; other sale changes note nothing', async () => {
    const north = { ...MARCH, dealerId: fixture.north };
    const south = { ...MARCH, dealerId: fixture.south };
    const northTickets = (await kpis.complaints(north)) + (await kpis.firstTimeFix(north)).denominator;
    await saleWrite(['SN-N1'], (trx) => trx('dealer_sales').where({ device_serial: 'SN-N1' }).update({ dealer_id: fixture.south }));
    expect((await kpis.complaints(north)) + (await kpis.firstTimeFix(north)).denominator).toBe(0);
    expect((await kpis.complaints(south)) + (await kpis.firstTimeFix(south)).denominator).toBeGreaterThanOrEqual(northTickets);
    await saleWrite(['SN-N1'], (trx) => trx('dealer_sales').where({ device_serial: 'SN-N1' }).update({ dealer_id: fixture.north }));
    await saleWrite(['SN-X'], (trx) => trx('dealer_sales').insert({ dealer_id: fixture.north, device_serial: 'SN-X', model: 'DR-7000', sale_date: '2026-01-05', customer_name: 'KPI Hospital', card_due_on: '2026-01-25', warranty: 'pending', created_at: at('2026-01-05T00:00:00Z') }));
    await expectKeptRight();
    await knex('dealer_sales').where({ device_serial: 'SN-X' }).update({ warranty: 'recognised', card_completed_on: '2026-01-20' });
    expect(await figures.pending()).toBe(0);
    await saleWrite(['SN-X'], (trx) => trx('dealer_sales').where({ device_serial: 'SN-X' }).delete());
    await expectKeptRight();
  });

  it('a ticket deleted loses its figures', async () => {
    const { t7 } = fixture.tickets;
    await kept((trx) => trx('deadlines').where({ record_type: 'ticket', record_id: t7 }).delete(), (trx) => noteTicketFigures(trx, [t7]));
    await new TicketsRepository(knex).delete(t7);
    await expectKeptRight();
    expect((await figures.kept()).some((r) => Number(r.ticket_id) === t7)).toBe(false);
  });

  it('catch-ups running at once leave the same figures', async () => {
    const { t2, t3, t4 } = fixture.tickets;
    for (const ticketId of [t2, t3, t4]) await event(ticketId, 'arrived');
    await figures.rebuild();
    await Promise.all([event(t3, 'reopened'), figures.catchUp(), figures.catchUp(), kpis.serviceKpis(MARCH)]);
    await expectKeptRight();
  });

  it('the migration notes every ticket already there, so the first read computes them', async () => {
    const other = await createTestDatabase(kind);
    try {
      // Back to before 0026 (0027–0029 came after it), tickets written, then forward again.
      for (const name of ['0029_drop_figure_triggers', '0028_claim_model', '0027_claim_first_posting', '0026_ticket_figures']) await other.knex.migrate.down({ ...migrationConfig, name });
      expect(await other.knex.schema.hasTable('ticket_figures')).toBe(false);
      await seedKpiFixture(other.knex, { keep: false });
      await migrateLatest(other.knex);
      const kept = new TicketFiguresRepository(other.knex);
      expect(await kept.pending()).toBe(8);
      expect(await new KpisRepository(other.knex).firstTimeFix(MARCH)).toEqual({ value: 1 / 4, numerator: 1, denominator: 4 });
      expect((await kept.kept()).length).toBe(8);
    } finally {
      await other.destroy();
    }
  });
});
