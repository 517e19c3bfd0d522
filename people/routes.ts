/** Accounts: users, their API tokens and the dealers dealer users act for (admin), and the caller. */
import { CustomersRepository } from '../installedBase/customers';
import { DealersRepository, type Dealer } from '../installedBase/dealers';
import { UsersRepository, type User } from './repository';
import type { AuditTarget } from '../platform/http/audit';
import { validationFailed, type FieldProblem } from '../platform/http/errors';
import { EmailSchema, IdSchema, line, TimeZoneSchema } from '../platform/http/fields';
import { invite } from './useCases';
import { deactivatePerson } from './administration';
import { apiModule } from '../platform/http/module';
import { LocaleSchema, RoleSchema } from './roles';
import { defineRoute } from '../platform/http/route';
import { z } from '../platform/http/zod';
import { TokenSchema, tokenDto } from './tokenRoutes';
import { tokenExpiry } from './tokenRules';

export const UserSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    email: z.email(),
    role: RoleSchema,
    locale: LocaleSchema,
    timeZone: z.string().nullable().openapi({ description: 'The IANA time zone the person reads times in; null: Asia/Shanghai' }),
    dealerId: z.number().int().nullable(),
    customerId: z.number().int().nullable(),
    active: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .openapi('User');

const roleIn = (payload: { value: unknown }): unknown => (payload.value as { role?: unknown } | undefined)?.role;
const given = (payload: { value: unknown }, field: string): boolean => (payload.value as Record<string, unknown> | undefined)?.[field] !== undefined;

export const CreateUserBody = z
  .strictObject({
    name: line(),
    email: EmailSchema,
    role: RoleSchema,
    locale: LocaleSchema.optional().openapi({ description: 'Language of the notices this user receives; zh-CN by default' }),
    dealerId: IdSchema.optional().openapi({ description: 'Required when role is dealer (and only then): the dealer this user acts for' }),
    customerId: IdSchema.optional().openapi({ description: 'Required when role is customer (and only then): the customer organisation this user acts for' }),
  })
  // A customer or dealer user sees what their organisation owns: its id is required for that role and
  // refused for any other. Checked even when other fields are bad, so one answer names every problem.
  .refine((body) => body.role !== 'customer' || body.customerId !== undefined, { path: ['customerId'], message: 'people.problem.customerRequired', when: (p) => roleIn(p) === 'customer' })
  .refine((body) => body.role === 'customer' || body.customerId === undefined, { path: ['customerId'], message: 'people.problem.customerOnly', when: (p) => given(p, 'customerId') })
  .refine((body) => body.role !== 'dealer' || body.dealerId !== undefined, { path: ['dealerId'], message: 'people.problem.dealerRequired', when: (p) => roleIn(p) === 'dealer' })
  .refine((body) => body.role === 'dealer' || body.dealerId === undefined, { path: ['dealerId'], message: 'people.problem.dealerOnly', when: (p) => given(p, 'dealerId') })
  .openapi('CreateUserBody');

export const CreatedUserSchema = z
  .object({
    user: UserSchema,
    token: z.string().openapi({ description: 'The user’s first API token. Shown once: only its hash is stored.' }),
  })
  .openapi('CreatedUser');

const DealerSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    region: z.string().nullable(),
    receivablesAccount: z.string().nullable(),
    contactEmail: z.string().nullable(),
    locale: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi('Dealer');

const IdParams = z.object({ id: z.coerce.number().int().positive() });

export function userDto(user: User): z.input<typeof UserSchema> {
  return { ...user, createdAt: user.createdAt.toISOString() };
}

const dealerDto = (dealer: Dealer): z.input<typeof DealerSchema> => ({ ...dealer, createdAt: dealer.createdAt.toISOString() });

const createUser = defineRoute(
  {
    method: 'post',
    path: '/users',
    roles: ['admin'],
    access: { rule: 'collection', resource: 'user', action: 'administer' },
    summary: 'Create a user and issue their first API token',
    tags: ['users'],
    body: CreateUserBody,
    responses: { 201: { description: 'Created', body: CreatedUserSchema } },
    errors: { 409: 'A user with this e-mail already exists' },
  },
  async ({ body, user: caller, deps, res }) => {
    const unknown: FieldProblem[] = [];
    if (body.customerId !== undefined && !(await new CustomersRepository(deps.knex).get(body.customerId))) unknown.push({ field: 'customerId', message: `no customer ${body.customerId}` });
    if (body.dealerId !== undefined && !(await new DealersRepository(deps.knex).get(body.dealerId))) unknown.push({ field: 'dealerId', message: `no dealer ${body.dealerId}` });
    if (unknown.length > 0) throw validationFailed(unknown);
    // One transaction: a user without a token (or the reverse) would be a dead end.
    const { user, token } = await deps.knex.transaction(async (trx) => {
      const users = new UsersRepository(trx);
      const created = await users.create(body);
      // A machine token like any other: made by the admin, expiring after the default lifetime.
      const expiresAt = tokenExpiry(new Date(), undefined, deps.tokenLifetimes) as Date;
      return { user: created, token: (await users.issueMachineToken(created.id, 'initial', { expiresAt, createdByUserId: caller.id })).token };
    });
    res.locals.audit = { entityType: 'user', entityId: user.id } satisfies AuditTarget;
    return { status: 201, body: { user: userDto(user), token } };
  },
);

const me = defineRoute(
  {
    method: 'get',
    path: '/users/me',
    roles: 'authenticated',
    access: { rule: 'self' },
    summary: 'The calling user',
    tags: ['users'],
    responses: { 200: { description: 'The caller', body: UserSchema } },
  },
  async ({ user }) => ({ status: 200, body: userDto(user) }),
);

const listTokens = defineRoute(
  {
    method: 'get',
    path: '/users/:id/tokens',
    roles: ['admin'],
    access: { rule: 'record', resource: 'user', action: 'administer' },
    summary: 'A user’s API tokens, live and revoked',
    tags: ['users'],
    params: IdParams,
    responses: { 200: { description: 'The tokens, oldest first', body: z.object({ tokens: z.array(TokenSchema) }) } },
    errors: { 404: 'No such user' },
  },
  async ({ params, deps }) => ({ status: 200, body: { tokens: (await new UsersRepository(deps.knex).listTokens(params.id)).map((t) => tokenDto(t)) } }),
);

const deactivateUser = defineRoute(
  {
    method: 'post',
    path: '/users/:id/deactivate',
    roles: ['admin', 'project_manager', 'dispatcher', 'service_manager', 'dealer'],
    access: { rule: 'record', resource: 'invitation', action: 'administer' },
    summary: 'Deactivate a user: their tokens, console sessions and links stop working at once',
    description: 'Whom the caller may deactivate is whom they administer (people/adminRules.ts: a dealer’s administrator their dealer’s users, the service desk customers’ users…); anyone else answers 404.',
    tags: ['users'],
    params: IdParams,
    body: z.strictObject({}).optional().openapi({ description: 'None, or {}' }),
    responses: { 200: { description: 'The user, inactive', body: UserSchema } },
    errors: { 404: 'No such user' },
  },
  async ({ params, user, deps, res }) => {
    await deactivatePerson(params.id, user, { knex: deps.knex });
    res.locals.audit = { entityType: 'user', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: userDto((await new UsersRepository(deps.knex).get(params.id))!) };
  },
);

export const InviteBody = z
  .strictObject({
    email: EmailSchema,
    name: line(),
    role: RoleSchema,
    locale: LocaleSchema.optional().openapi({ description: 'The language of the mail, the console and notices; zh-CN by default (an existing account keeps its own)' }),
    timeZone: TimeZoneSchema.optional(),
    dealerId: IdSchema.optional().openapi({ description: 'Required when role is dealer (and only then)' }),
    customerId: IdSchema.optional().openapi({ description: 'Required when role is customer (and only then)' }),
    orgUnitId: IdSchema.optional().openapi({ description: 'The organisational unit a staff member acts for' }),
    dealerAdmin: z.boolean().optional().openapi({ description: 'A dealer user who administers that dealer’s users; only an admin sets it' }),
  })
  .openapi('InviteBody');

const InvitationSchema = z
  .object({
    user: UserSchema,
    created: z.boolean().openapi({ description: 'False when an account with this e-mail existed and was updated' }),
    invitation: z.object({
      id: z.number().int(),
      expiresAt: z.iso.datetime(),
      mail: z.enum(['sent', 'failed']).openapi({ description: 'Whether the mail with the link went out; on failed, invite again' }),
    }),
  })
  .openapi('Invitation', { description: 'The link itself is only in the mail, never in an answer' });

const inviteUser = defineRoute(
  {
    method: 'post',
    path: '/users/invitations',
    roles: ['admin', 'project_manager', 'dispatcher', 'service_manager', 'dealer'],
    access: { rule: 'collection', resource: 'invitation', action: 'administer' },
    summary: 'Invite a person: create (or update) their account and mail them a single-use link to set their password',
    description:
      'An admin gives any role; a service manager gives staff roles up to their own, never admin or finance; the service desk (service manager, dispatcher) and a customer’s project managers invite that customer’s existing contacts (role customer, 400 naming `email` for an address that is not a contact); a dealer’s administrator invites that dealer’s users (role dealer). Nobody touches an account they could not give (403 naming `role` or `email`). The link lives AFTERCARE_INVITATION_VALID (72 h by default); inviting again sends a new one and ends the old.',
    tags: ['users'],
    body: InviteBody,
    responses: { 201: { description: 'Invited', body: InvitationSchema } },
    errors: { 403: 'A role above the caller’s, or an account they may not change', 503: 'No mail configured' },
  },
  async ({ body, user, deps, res }) => {
    const invited = await invite(body, user, { knex: deps.knex, mail: deps.mail, lifetimes: deps.linkLifetimes });
    res.locals.audit = { entityType: 'user', entityId: invited.user.id } satisfies AuditTarget;
    return {
      status: 201,
      body: { user: userDto(invited.user), created: invited.created, invitation: { id: invited.link.id, expiresAt: invited.link.expiresAt.toISOString(), mail: invited.mail } },
    };
  },
);

const createDealer = defineRoute(
  {
    method: 'post',
    path: '/dealers',
    roles: ['admin'],
    access: { rule: 'collection', resource: 'dealer', action: 'administer' },
    summary: 'Register a dealer, so dealer users can be created for it',
    tags: ['users'],
    body: z
      .strictObject({
        name: line(),
        region: line().optional(),
        receivablesAccount: line().optional().openapi({ description: 'The receivables account its warranty write-offs are deducted from' }),
        contactEmail: EmailSchema.optional().openapi({ description: 'Where its notices (the write-off notice) go' }),
        locale: z.enum(['zh-CN', 'en']).optional().openapi({ description: 'The language of its notices (default zh-CN)' }),
      })
      .openapi('CreateDealerBody'),
    responses: { 201: { description: 'Created', body: DealerSchema } },
    errors: { 409: 'A dealer with this name already exists' },
  },
  async ({ body, deps, res }) => {
    const dealer = await new DealersRepository(deps.knex).create(body);
    res.locals.audit = { entityType: 'dealer', entityId: dealer.id } satisfies AuditTarget;
    return { status: 201, body: dealerDto(dealer) };
  },
);

export const usersApi = apiModule(createUser, inviteUser, me, listTokens, deactivateUser, createDealer);
