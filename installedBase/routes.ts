/** The customer file as the API shows it, and its one-to-one engineer (assigned by a service manager). */
import type { Knex } from 'knex';
import { CustomersRepository, type Customer } from './customers';
import { rolesReaching } from '../domain/access';
import { UsersRepository } from '../people/repository';
import type { AuditTarget } from '../platform/http/audit';
import { validationFailed } from '../platform/http/errors';
import { COLUMN, EmailSchema, IdSchema, line, MAX_ID, optionalLine } from '../platform/http/fields';
import { apiModule } from '../platform/http/module';
import { defineRoute } from '../platform/http/route';
import { z } from '../platform/http/zod';

/** Roles a one-to-one engineer may have. */
const ENGINEER_ROLES: readonly string[] = ['engineer', 'senior_engineer'];

const ContactSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  locale: z.string(),
  role: z.string(),
  isPrimary: z.boolean(),
  wrongNumber: z.boolean().optional().openapi({ description: 'Flagged by a return call as a wrong number, until corrected' }),
});

export const CustomerSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    address: z.string().nullable(),
    class: z.enum(['key', 'long_term', 'regular']),
    timeZone: z.string(),
    locale: z.string(),
    serviceStopped: z.boolean(),
    flagReason: z.string().nullable(),
    acceptanceDate: z.iso.datetime().nullable(),
    engineerUserId: z.number().int().nullable().openapi({ description: 'The one-to-one engineer: tickets are dispatched to them first, care visits default to them' }),
    contacts: z.array(ContactSchema),
  })
  .openapi('Customer');

const IdParams = z.object({ id: z.coerce.number().int().positive() });

export function customerDto(customer: Customer): z.input<typeof CustomerSchema> {
  const { createdAt: _created, updatedAt: _updated, ...rest } = customer;
  return { ...rest, acceptanceDate: customer.acceptanceDate?.toISOString() ?? null };
}

const getCustomer = defineRoute(
  {
    method: 'get',
    path: '/customers/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'customer', action: 'read' },
    summary: 'A customer file: class, contacts, the one-to-one engineer',
    tags: ['customers'],
    params: IdParams,
    responses: { 200: { description: 'The customer', body: CustomerSchema } },
    errors: { 404: 'No such customer (or not yours to read)' },
  },
  async ({ params, deps }) => ({ status: 200, body: customerDto((await new CustomersRepository(deps.knex).get(params.id))!) }),
);

const assignEngineer = defineRoute(
  {
    method: 'post',
    path: '/customers/:id/engineer',
    roles: ['service_manager'],
    access: { rule: 'record', resource: 'customer', action: 'assign' },
    summary: 'Assign the customer’s one-to-one engineer (replacing any before)',
    tags: ['customers'],
    params: IdParams,
    body: z
      .strictObject({ engineerUserId: IdSchema.openapi({ description: 'An active engineer or senior engineer' }) })
      .openapi('AssignCustomerEngineerBody'),
    responses: { 200: { description: 'The customer, with its engineer', body: CustomerSchema } },
    errors: { 404: 'No such customer' },
  },
  async ({ params, body, deps, res }) => {
    const engineer = await new UsersRepository(deps.knex).get(body.engineerUserId);
    if (!engineer || !engineer.active) throw validationFailed([{ field: 'engineerUserId', message: `no active user ${body.engineerUserId}` }]);
    if (!ENGINEER_ROLES.includes(engineer.role)) {
      throw validationFailed([{ field: 'engineerUserId', message: `user ${engineer.id} is a ${engineer.role}; a one-to-one engineer is an ${ENGINEER_ROLES.join(' or ')}` }]);
    }
    const customer = await new CustomersRepository(deps.knex).assignEngineer(params.id, body.engineerUserId);
    res.locals.audit = { entityType: 'customer', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: customerDto(customer) };
  },
);

const clearEngineer = defineRoute(
  {
    method: 'delete',
    path: '/customers/:id/engineer',
    roles: ['service_manager'],
    access: { rule: 'record', resource: 'customer', action: 'assign' },
    summary: 'Clear the customer’s one-to-one engineer: tickets go to the dispatcher again',
    tags: ['customers'],
    params: IdParams,
    responses: { 200: { description: 'The customer, without an engineer', body: CustomerSchema } },
    errors: { 404: 'No such customer' },
  },
  async ({ params, deps, res }) => {
    const customer = await new CustomersRepository(deps.knex).assignEngineer(params.id, null);
    res.locals.audit = { entityType: 'customer', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: customerDto(customer) };
  },
);

const ContactParams = z.object({ id: z.coerce.number().int().min(1).max(MAX_ID), contactId: z.coerce.number().int().min(1).max(MAX_ID) });

export const ContactPatchBody = z
  .strictObject({
    name: line().optional(),
    email: EmailSchema.optional(),
    phone: optionalLine(COLUMN.phone).optional(),
    role: line(COLUMN.role).optional(),
    locale: z.enum(['zh-CN', 'en']).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'name at least one field to correct (name, email, phone, role, locale)' })
  .openapi('CorrectContact');

/**
 * Corrects a contact (a number a return call found wrong): the fields given, and the wrong-number flag
 * cleared, in one statement, so the next calls try them again. The console calls this too.
 */
export async function correctContact(knex: Knex, customerId: number, contactId: number, patch: z.output<typeof ContactPatchBody>): Promise<z.input<typeof ContactSchema>> {
  const values: Record<string, unknown> = { wrong_number_at: null };
  for (const key of ['name', 'email', 'phone', 'role', 'locale'] as const) if (patch[key] !== undefined) values[key] = patch[key] === '' && key === 'phone' ? null : patch[key];
  await knex('customer_contacts').where({ id: contactId, customer_id: customerId }).update(values);
  const row = (await knex('customer_contacts').where({ id: contactId }).first()) as Record<string, unknown>;
  return { id: Number(row.id), name: String(row.name), email: String(row.email), phone: (row.phone as string | null) ?? null, locale: String(row.locale), role: String(row.role), isPrimary: Boolean(row.is_primary), wrongNumber: row.wrong_number_at !== null && row.wrong_number_at !== undefined };
}

const patchContact = defineRoute(
  {
    method: 'patch',
    path: '/customers/:id/contacts/:contactId',
    roles: rolesReaching('contact', 'act'),
    access: { rule: 'record', resource: 'contact', action: 'act' },
    summary: 'Correct a contact (e.g. one a return call flagged as a wrong number); clears its wrong-number flag',
    tags: ['customers'],
    params: ContactParams,
    body: ContactPatchBody,
    responses: { 200: { description: 'The contact as corrected', body: ContactSchema } },
  },
  async ({ params, body, deps, res }) => {
    res.locals.audit = { entityType: 'customer_contact', entityId: params.contactId } satisfies AuditTarget;
    return { status: 200, body: await correctContact(deps.knex, params.id, params.contactId, body) };
  },
);

export const customersModule = apiModule(getCustomer, assignEngineer, clearEngineer, patchContact);
