/**
 * Dealer sales and warranty cards (PRODUCT §P5): a sale recorded starts its warrantyCard process;
 * the dealer's card is a step that process judges. Used by the routes and the console's forms.
 */
import { NotFoundError } from '../../../platform/db/errors';
import { DomainError } from '../../../domain/errors';
import { words } from '../../../domain/words';
import type { Locale } from '../../../domain/locale';
import type { User } from '../../../people/repository';
import type { Scope } from '../../../domain/access';
import { DateSchema, IdSchema, line, optionalLine } from '../../../platform/http/fields';
import type { ApiDeps } from '../../../platform/http/module';
import { z } from '../../../platform/http/zod';
import { cardUpdate, dealerProcessPolicy, warrantyCardWorkflowId, type WarrantyCardInput } from '../messages';
import { createWithProcess, dealerPolicy, existingDealerOfCaller, parseBody, sendStep, step, today } from '../useCases';
import { SalesRepository, type DealerSale } from './repository';

export const SaleBody = z.strictObject({ dealerId: IdSchema.optional(), deviceSerial: line(), model: line(), saleDate: DateSchema, customerName: line() });

export const CardBody = z.strictObject({ cardDate: DateSchema, customerPhone: optionalLine(64).optional(), customerAddress: optionalLine(500).optional() });

const sales = (deps: ApiDeps) => new SalesRepository(deps.knex);

/** A dealer sale on record with its warrantyCard process reminding the dealer (its start written with it). */
export async function recordDealerSale(deps: ApiDeps, user: User, input: unknown, locale: Locale = user.locale): Promise<DealerSale> {
  const body = parseBody(SaleBody, input, locale);
  const dealerId = await existingDealerOfCaller(deps, user, body.dealerId);
  const policy = await dealerPolicy(deps);
  const recordedAt = new Date();
  return step(() =>
    createWithProcess(deps, async (trx) => {
      const sale = await new SalesRepository(trx).createSale({ ...body, dealerId }, policy.dealer, recordedAt);
      const processInput: WarrantyCardInput = { saleId: sale.id, dealerId, deviceSerial: sale.deviceSerial, model: sale.model, saleDate: sale.saleDate, customerName: sale.customerName, recordedAt: recordedAt.toISOString(), policy: dealerProcessPolicy(policy) };
      return { record: sale, start: { workflowType: 'warrantyCard', workflowId: warrantyCardWorkflowId(sale.id), input: processInput } };
    }),
  );
}

/** The dealer completes a sale's warranty card (the route's and the console's command); the warrantyCard process judges it. */
export async function completeWarrantyCard(deps: ApiDeps, user: User, saleId: number, input: unknown, scope: Scope, idempotencyKey?: string, locale: Locale = user.locale): Promise<DealerSale> {
  const body = parseBody(CardBody, input, locale);
  const sale = await sales(deps).sale(saleId, scope);
  if (!sale) throw new NotFoundError(words('refusal.dealer.noSale', { saleId }));
  if (body.cardDate > today(await dealerPolicy(deps), new Date())) throw new DomainError(words('refusal.dealer.cardInFuture'), 'cardDate');
  const closed = sale.warranty === 'recognised' ? words('refusal.dealer.cardClosedCompleted', { saleId: sale.id, date: sale.cardCompletedOn }) : words('refusal.dealer.cardClosedLate', { saleId: sale.id });
  await sendStep(deps, user, idempotencyKey, warrantyCardWorkflowId(sale.id), cardUpdate, body, closed);
  return (await sales(deps).sale(saleId, scope))!;
}

/** A sale in the caller's reach, or null. */
export const readSale = (deps: ApiDeps, id: number, scope: Scope): Promise<DealerSale | null> => sales(deps).sale(id, scope);

/** The sales in the caller's reach, the card due soonest first. */
export const listDealerSales = (deps: ApiDeps, scope: Scope): Promise<DealerSale[]> => sales(deps).listSales(scope);
