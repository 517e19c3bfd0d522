import type { Knex } from 'knex';
import { words } from '../../../domain/words';
import { ALL_ROWS, type Scope } from '../../../domain/access';
import type { ServicePolicy } from '../../../domain/policy';
import { ConflictError, NotFoundError, isUniqueViolation } from '../../../platform/db/errors';
import { keepClaimModels, noteTicketsOfSerials } from '../../../platform/db/keptFigures';
import { insertedId, toJson } from '../../../platform/db/mapping';
import { whereInScope } from '../../../platform/db/scope';
import { CustomersRepository } from '../../../installedBase/customers';
import { CalendarsRepository } from '../../../schedule/calendars/repository';
import { DevicesRepository } from '../../../installedBase/devices';
import { closeDeadline, num, openDeadline, StepRefused, type Row } from '../records';
import { cardClock, cardDueDate, cardStatus, warrantyEndDate } from './rules';
import { endOfLocalDay, startOfLocalDay } from '../rules';
import { type SaleFacts } from '../claims/rules';

/** Dealer sales and their warranty cards. */

export interface DealerSale {
  id: number;
  dealerId: number;
  deviceSerial: string;
  model: string;
  saleDate: string;
  customerName: string;
  cardDueOn: string;
  cardCompletedOn: string | null;
  warranty: SaleFacts['warranty'];
  warrantyEndsOn: string | null;
  /** Why the warranty is not recognised (the card came late or never). */
  warrantyReason: string | null;
  /** The device the card registered. */
  deviceId: number | null;
}

export const toSale = (row: Row): DealerSale => ({
  id: num(row.id),
  dealerId: num(row.dealer_id),
  deviceSerial: String(row.device_serial),
  model: String(row.model),
  saleDate: String(row.sale_date),
  customerName: String(row.customer_name),
  cardDueOn: String(row.card_due_on),
  cardCompletedOn: (row.card_completed_on as string | null) ?? null,
  warranty: row.warranty as SaleFacts['warranty'],
  warrantyEndsOn: (row.warranty_ends_on as string | null) ?? null,
  warrantyReason: (row.warranty_reason as string | null) ?? null,
  deviceId: row.device_id === null || row.device_id === undefined ? null : num(row.device_id),
});

export class SalesRepository {
  constructor(private readonly db: Knex) {}

  async createSale(input: { dealerId: number; deviceSerial: string; model: string; saleDate: string; customerName: string }, policy: ServicePolicy['dealer'], now: Date): Promise<DealerSale> {
    try {
      const id = await this.db.transaction(async (trx) => {
        const saleId = insertedId(
          await trx('dealer_sales').insert({
            dealer_id: input.dealerId,
            device_serial: input.deviceSerial,
            model: input.model,
            sale_date: input.saleDate,
            customer_name: input.customerName,
            card_due_on: cardDueDate(input.saleDate, policy.warrantyCardWithin),
            warranty: 'pending',
            created_at: now,
          }),
        );
        // The KPI figures: the serial's tickets now have a selling dealer, its claims a model.
        await noteTicketsOfSerials(trx, [input.deviceSerial]);
        await keepClaimModels(trx, [input.deviceSerial]);
        await openDeadline(trx, 'dealer_sale', saleId, 'warranty_card', words('deadline.dealer.warranty_card', { serial: input.deviceSerial }), cardClock(input.saleDate, now, policy, policy.settlementTimeZone).dueAt);
        return saleId;
      });
      return (await this.sale(id, ALL_ROWS))!;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(words('refusal.dealer.saleExists', { serial: input.deviceSerial }), { field: 'deviceSerial' }, { cause: error });
      throw error;
    }
  }


  async sale(id: number, scope: Scope): Promise<DealerSale | null> {
    const row = (await whereInScope(this.db('dealer_sales').where({ id }), scope, { dealer: 'dealer_id' }).first()) as Row | undefined;
    return row ? toSale(row) : null;
  }

  /** The dealer sale of a device whose card is recognised and whose warranty still runs on `today` (YYYY-MM-DD): a 三包 device. */
  async saleInWarranty(deviceSerial: string, today: string): Promise<DealerSale | null> {
    const row = (await this.db('dealer_sales').where({ device_serial: deviceSerial, warranty: 'recognised' }).where('warranty_ends_on', '>=', today).orderBy('id', 'desc').first()) as Row | undefined;
    return row ? toSale(row) : null;
  }

  /** Completes the card: in time, the warranty runs from the sale date; late, it is not recognised. */
  async completeCard(id: number, cardDate: string, card: Record<string, unknown>, policy: ServicePolicy, scope: Scope): Promise<DealerSale> {
    return this.db.transaction(async (trx) => {
      const row = (await whereInScope(trx('dealer_sales').where({ id }), scope, { dealer: 'dealer_id' }).forUpdate().first()) as Row | undefined;
      if (!row) throw new NotFoundError(words('refusal.dealer.noSale', { saleId: id }));
      const sale = toSale(row);
      if (sale.cardCompletedOn) throw new StepRefused(words('refusal.dealer.cardCompletedOn', { date: sale.cardCompletedOn }));
      if (cardDate < sale.saleDate) throw new StepRefused(words('refusal.dealer.cardBeforeSale'), 'cardDate');
      const status = cardStatus(sale.saleDate, cardDate, policy.dealer.warrantyCardWithin);
      const length = policy.warranty.length;
      const calendar = typeof length === 'string' ? null : await new CalendarsRepository(trx).load(policy.calendar);
      await trx('dealer_sales')
        .where({ id })
        .update({
          card_completed_on: cardDate,
          card: toJson(card),
          warranty: status === 'in_time' ? 'recognised' : 'not_recognised',
          warranty_ends_on: status === 'in_time' ? warrantyEndDate(sale.saleDate, length, calendar) : null,
        });
      await closeDeadline(trx, 'dealer_sale', id, 'warranty_card');
      return toSale((await trx('dealer_sales').where({ id }).first()) as Row);
    });
  }

  /**
   * The warranty card recorded in time (the warrantyCard process judged it): the warranty runs from
   * the sale date, and the device is registered with those dates (its end user as a customer when the
   * device is not on record yet). One transaction; a repeat finds the card and answers the same device.
   */
  async recordCardInTime(id: number, cardDate: string, card: Record<string, unknown>, warrantyEndsOn: string, timeZone: string, now: Date): Promise<{ deviceId: number }> {
    return this.db.transaction(async (trx) => {
      const row = (await trx('dealer_sales').where({ id }).forUpdate().first()) as Row | undefined;
      if (!row) throw new NotFoundError(words('refusal.dealer.noSale', { saleId: id }));
      if (row.device_id !== null && row.device_id !== undefined) return { deviceId: num(row.device_id) };
      const sale = toSale(row);
      const devices = new DevicesRepository(trx);
      let device = await devices.getBySerial(sale.deviceSerial);
      if (!device) {
        const customer = await new CustomersRepository(trx).create({ name: sale.customerName, ...(typeof card.customerAddress === 'string' ? { address: card.customerAddress } : {}), timeZone }, now);
        device = (await devices.createMany(customer.id, [{ model: sale.model, serial: sale.deviceSerial }], now))[0]!;
      }
      await devices.setWarranty([sale.deviceSerial], startOfLocalDay(sale.saleDate, timeZone), endOfLocalDay(warrantyEndsOn, timeZone), now);
      await trx('dealer_sales')
        .where({ id })
        .update({ card_completed_on: cardDate, card: toJson(card), warranty: 'recognised', warranty_ends_on: warrantyEndsOn, device_id: device.id, warranty_reason: null });
      await closeDeadline(trx, 'dealer_sale', id, 'warranty_card');
      return { deviceId: device.id };
    });
  }

  /** No card by the deadline: the sale's warranty is not recognised, with the reason. Idempotent. */
  async expireCard(id: number, reason: string): Promise<boolean> {
    const changed = await this.db('dealer_sales').where({ id, warranty: 'pending' }).update({ warranty: 'not_recognised', warranty_reason: reason });
    return changed > 0;
  }

  /** Sales in the caller's scope, the card due soonest first. */
  async listSales(scope: Scope): Promise<DealerSale[]> {
    const rows = (await whereInScope(this.db('dealer_sales').orderBy([{ column: 'card_due_on' }, { column: 'id' }]), scope, { dealer: 'dealer_id' }).limit(500)) as Row[];
    return rows.map(toSale);
  }
}
