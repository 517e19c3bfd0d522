/** Dealer sales and warranty cards through the API: the routes parse, call the use case, render. */
import { readerLocale } from '../../../platform/http/problemMessages';
import { rolesReaching } from '../../../domain/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { IdParams, once, STEP_ERRORS } from '../http';
import { CardBody, completeWarrantyCard, recordDealerSale, SaleBody } from './useCases';

const SaleSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    deviceSerial: z.string(),
    model: z.string(),
    saleDate: z.string(),
    customerName: z.string(),
    cardDueOn: z.string(),
    cardCompletedOn: z.string().nullable(),
    warranty: z.enum(['pending', 'recognised', 'not_recognised']),
    warrantyEndsOn: z.string().nullable(),
    warrantyReason: z.string().nullable().openapi({ description: 'Why the warranty is not recognised' }),
    deviceId: z.number().int().nullable().openapi({ description: 'The device the card registered with its warranty dates' }),
  })
  .openapi('DealerSale');

export const createSale = defineRoute(
  {
    method: 'post',
    path: '/dealer-sales',
    roles: rolesReaching('dealer_sale', 'act'),
    access: { rule: 'collection', resource: 'dealer_sale', action: 'act' },
    summary: 'Record a dealer sale; its warranty card falls due dealer.warrantyCardWithin after the sale date',
    tags: ['dealer warranty'],
    body: SaleBody,
    idempotent: true,
    responses: { 201: { description: 'Recorded; the warrantyCard process reminds the dealer and ends the card’s time', body: SaleSchema } },
    errors: { 409: 'The device has a sale on record already', 503: 'No process engine configured; nothing was recorded' },
  },
  async ({ body, user, deps, req, res, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const sale = await recordDealerSale(deps, user, body, readerLocale(req, user));
      res.locals.audit = { entityType: 'dealer_sale', entityId: sale.id } satisfies AuditTarget;
      return { status: 201 as const, body: sale };
    }),
);

export const completeCard = defineRoute(
  {
    method: 'post',
    path: '/dealer-sales/:id/card',
    roles: rolesReaching('dealer_sale', 'act'),
    access: { rule: 'record', resource: 'dealer_sale', action: 'act' },
    summary: 'Complete the warranty card: in time it registers the device with its warranty from the sale date; after the deadline it is refused (warranty not recognised)',
    tags: ['dealer warranty'],
    params: IdParams,
    body: CardBody,
    idempotent: true,
    responses: { 200: { description: 'The sale with its warranty', body: SaleSchema } },
    errors: { ...STEP_ERRORS, 409: 'Completed already, or the card’s deadline passed: the warranty is not recognised' },
  },
  async ({ params, body, user, deps, req, res, idempotencyKey, scope }) =>
    once(deps, user, idempotencyKey, req, async () => {
      res.locals.audit = { entityType: 'dealer_sale', entityId: params.id } satisfies AuditTarget;
      return { status: 200 as const, body: await completeWarrantyCard(deps, user, params.id, body, scope, idempotencyKey, readerLocale(req, user)) };
    }),
);
