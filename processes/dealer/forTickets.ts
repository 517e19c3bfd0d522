/**
 * The dealer as tickets need it (processes/tickets/messages.ts, TicketDealer): a repair on a
 * dealer-sold device whose recognised warranty still runs is the dealer's (三包, PRODUCT §P5.2). The
 * ticket's intake asks for the route; the dealer task is written in the ticket's transaction and its
 * dealerTask process's start with it. Handed to tickets by the registries (api/index.ts).
 */
import type { Knex } from 'knex';
import type { TicketDealer } from '../tickets/messages';
import { SalesRepository } from './sales/repository';
import { TasksRepository } from './tasks/repository';
import { dealerTaskStart } from './tasks/useCases';
import { dealerPolicy } from './useCases';

export const dealerForTickets: TicketDealer<Knex> = {
  async warrantyRoute(db, deviceSerial, at) {
    const terms = await dealerPolicy({ knex: db });
    const today = at.toLocaleDateString('sv-SE', { timeZone: terms.dealer.settlementTimeZone });
    const sale = await new SalesRepository(db).saleInWarranty(deviceSerial, today);
    if (!sale) return null;
    return {
      dealerId: sale.dealerId,
      saleId: sale.id,
      warrantyEndsOn: sale.warrantyEndsOn,
      async openTask(trx, request, byUserId, openedAt) {
        const task = { dealerId: sale.dealerId, ...request };
        const created = await new TasksRepository(trx).createTask(task, terms.dealer, byUserId, openedAt);
        return { taskId: created.id, start: dealerTaskStart(created, task, terms, openedAt) };
      },
    };
  },
};
