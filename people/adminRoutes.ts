/**
 * People administration and organisational units through the API; the use cases are
 * people/administration.ts and people/units.ts, shared with the console's /people and /units pages.
 *
 *   GET   /api/users?role=&state=&unit=&q=&page=   the people the caller administers, each invitation's state
 *   PATCH /api/users/:id                          role, what they act for, unit, name, language, time zone
 *   POST  /api/users/:id/invitation               a new invitation (the old link ends); the upgrade path
 *   GET   /api/org-units                          every unit (anyone signed in)
 *   POST  /api/org-units                          add a unit (admin)
 *   PATCH /api/org-units/:id                      rename or move a unit (admin)
 *
 * Deactivation stays POST /api/users/:id/deactivate (people/routes.ts), now through the same rules.
 */
import type { AuditTarget } from '../platform/http/audit';
import { EmailSchema, IdSchema, line, TimeZoneSchema } from '../platform/http/fields';
import { apiModule } from '../platform/http/module';
import { defineRoute } from '../platform/http/route';
import { z } from '../platform/http/zod';
import { PAGE_SIZE_API, peopleDeps } from './adminApiKit';
import { INVITATION_STATES } from './adminRules';
import { changePerson, listPeople, resendInvitation } from './administration';
import type { PersonListing } from './directory';
import type { OrgUnit } from './orgUnits';
import { LocaleSchema, RoleSchema } from './roles';
import { ORG_UNIT_KINDS } from './unitRules';
import { changeUnit, createUnit, listUnits } from './units';

export const PersonSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    email: EmailSchema,
    role: RoleSchema,
    locale: LocaleSchema,
    timeZone: z.string().nullable(),
    dealerId: z.number().int().nullable(),
    customerId: z.number().int().nullable(),
    orgUnitId: z.number().int().nullable().openapi({ description: 'The organisational unit a staff member acts for' }),
    dealerAdmin: z.boolean().openapi({ description: 'A dealer user who administers that dealer’s users' }),
    active: z.boolean(),
    hasPassword: z.boolean(),
    createdAt: z.iso.datetime(),
    invitation: z
      .object({ state: z.enum(INVITATION_STATES).openapi({ description: 'sent; failed (its mail could not go out); accepted (the link was used); expired' }), expiresAt: z.iso.datetime() })
      .nullable()
      .openapi({ description: 'The latest invitation; null when the account was never invited (send one: POST /api/users/{id}/invitation)' }),
  })
  .openapi('Person');

export const personDto = (p: PersonListing): z.input<typeof PersonSchema> => ({
  ...p,
  createdAt: p.createdAt.toISOString(),
  invitation: p.invitation ? { state: p.invitation.state, expiresAt: p.invitation.expiresAt.toISOString() } : null,
});

const OrgUnitSchema = z
  .object({ id: z.number().int(), name: z.string(), kind: z.enum(ORG_UNIT_KINDS), parentId: z.number().int().nullable(), createdAt: z.iso.datetime() })
  .openapi('OrgUnit');
const unitDto = (u: OrgUnit): z.input<typeof OrgUnitSchema> => ({ ...u, createdAt: u.createdAt.toISOString() });

const IdParams = z.object({ id: z.coerce.number().int().positive() });

const PeopleQuery = z.object({
  role: RoleSchema.optional(),
  state: z.enum([...INVITATION_STATES, 'none']).optional().openapi({ description: 'none: never invited' }),
  unit: z.coerce.number().int().positive().optional().openapi({ description: 'The unit and every unit under it' }),
  q: z.string().trim().max(191).optional().openapi({ description: 'Part of the name or e-mail' }),
  page: z.coerce.number().int().positive().max(100_000).optional(),
});

const listPeopleRoute = defineRoute(
  {
    method: 'get',
    path: '/users',
    roles: ['admin', 'project_manager', 'dispatcher', 'service_manager', 'dealer'],
    access: { rule: 'collection', resource: 'invitation', action: 'administer' },
    summary: 'The people the caller administers, with each invitation’s state',
    description: 'An admin lists everyone; a service manager the staff below them and customers’ users; a dispatcher customers’ users; a project manager their customers’ users; a dealer’s administrator their dealer’s users. Anyone else gets an empty list.',
    tags: ['users'],
    query: PeopleQuery,
    responses: { 200: { description: 'One page, by name', body: z.object({ people: z.array(PersonSchema), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() }) } },
  },
  async ({ query, user, deps }) => {
    const page = query.page ?? 1;
    const found = await listPeople({ role: query.role, state: query.state, unitId: query.unit, q: query.q, limit: PAGE_SIZE_API, offset: (page - 1) * PAGE_SIZE_API }, user, peopleDeps(deps));
    return { status: 200, body: { people: found.people.map(personDto), total: found.total, page, pageSize: PAGE_SIZE_API } };
  },
);

export const ChangePersonBody = z
  .strictObject({
    name: line().optional(),
    role: RoleSchema.optional(),
    locale: LocaleSchema.optional(),
    timeZone: TimeZoneSchema.nullable().optional(),
    dealerId: IdSchema.nullable().optional(),
    customerId: IdSchema.nullable().optional(),
    orgUnitId: IdSchema.nullable().optional(),
    dealerAdmin: z.boolean().optional().openapi({ description: 'Only an admin sets it' }),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'people.problem.nothingToChange' })
  .openapi('ChangePersonBody');

const changePersonRoute = defineRoute(
  {
    method: 'patch',
    path: '/users/:id',
    roles: ['admin', 'project_manager', 'dispatcher', 'service_manager', 'dealer'],
    access: { rule: 'record', resource: 'invitation', action: 'administer' },
    summary: 'Change a person’s role, what they act for, unit, name, language or time zone',
    description: 'A new role clears what the old one acted for unless the body names it. Nobody gives a role or an account they could not have invited (403 naming the field).',
    tags: ['users'],
    params: IdParams,
    body: ChangePersonBody,
    responses: { 200: { description: 'The person as changed', body: PersonSchema } },
    errors: { 403: 'A role or account the caller may not give' },
  },
  async ({ params, body, user, deps, res }) => {
    const { person, changes } = await changePerson(params.id, body, user, peopleDeps(deps));
    res.locals.audit = { entityType: 'user', entityId: params.id, changes } satisfies AuditTarget;
    return { status: 200, body: personDto(person) };
  },
);

const resendRoute = defineRoute(
  {
    method: 'post',
    path: '/users/:id/invitation',
    roles: ['admin', 'project_manager', 'dispatcher', 'service_manager', 'dealer'],
    access: { rule: 'record', resource: 'invitation', action: 'administer' },
    summary: 'Send a person a new invitation: a new link, and the old ones stop working',
    description: 'For an active account without a password, including one from before passwords (the upgrade path). 409 when the person has a password (they use “forgot password”) or is inactive (invite them again).',
    tags: ['users'],
    params: IdParams,
    body: z.strictObject({}).optional().openapi({ description: 'None, or {}' }),
    responses: { 201: { description: 'Sent (or failed: see mail)', body: z.object({ person: PersonSchema, invitation: z.object({ id: z.number().int(), expiresAt: z.iso.datetime(), mail: z.enum(['sent', 'failed']) }) }) } },
    errors: { 409: 'Has a password, or is inactive', 503: 'No mail configured' },
  },
  async ({ params, user, deps, res }) => {
    const resent = await resendInvitation(params.id, user, peopleDeps(deps));
    res.locals.audit = { entityType: 'user', entityId: params.id } satisfies AuditTarget;
    return { status: 201, body: { person: personDto(resent.person), invitation: { id: resent.link.id, expiresAt: resent.link.expiresAt.toISOString(), mail: resent.mail } } };
  },
);

const listUnitsRoute = defineRoute(
  {
    method: 'get',
    path: '/org-units',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'org_unit', action: 'read' },
    summary: 'Every organisational unit (regions and teams) with its parent',
    tags: ['users'],
    responses: { 200: { description: 'The units, oldest first', body: z.object({ units: z.array(OrgUnitSchema) }) } },
  },
  async ({ deps }) => ({ status: 200, body: { units: (await listUnits(peopleDeps(deps))).map(unitDto) } }),
);

const createUnitRoute = defineRoute(
  {
    method: 'post',
    path: '/org-units',
    roles: ['admin'],
    access: { rule: 'collection', resource: 'org_unit', action: 'administer' },
    summary: 'Add an organisational unit',
    description: 'A region sits at the top or under a region; a team under a region or a team. Names are unique among siblings (409 naming `name`).',
    tags: ['users'],
    body: z.strictObject({ name: line(120), kind: z.enum(ORG_UNIT_KINDS), parentId: IdSchema.nullable().optional() }).openapi('CreateOrgUnitBody'),
    responses: { 201: { description: 'Added', body: OrgUnitSchema } },
    errors: { 409: 'A sibling has this name' },
  },
  async ({ body, deps, res }) => {
    const unit = await createUnit({ name: body.name, kind: body.kind, parentId: body.parentId ?? null }, peopleDeps(deps));
    res.locals.audit = { entityType: 'org_unit', entityId: unit.id } satisfies AuditTarget;
    return { status: 201, body: unitDto(unit) };
  },
);

const changeUnitRoute = defineRoute(
  {
    method: 'patch',
    path: '/org-units/:id',
    roles: ['admin'],
    access: { rule: 'record', resource: 'org_unit', action: 'administer' },
    summary: 'Rename or move an organisational unit',
    description: 'Moving a unit under itself or one of its own units is refused (400 naming `parentId`).',
    tags: ['users'],
    params: IdParams,
    body: z
      .strictObject({ name: line(120).optional(), parentId: IdSchema.nullable().optional() })
      .refine((body) => Object.keys(body).length > 0, { message: 'people.problem.nothingToChange' })
      .openapi('ChangeOrgUnitBody'),
    responses: { 200: { description: 'The unit', body: OrgUnitSchema } },
    errors: { 409: 'A sibling has this name' },
  },
  async ({ params, body, deps, res }) => {
    const unit = await changeUnit(params.id, body, peopleDeps(deps));
    res.locals.audit = { entityType: 'org_unit', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: unitDto(unit) };
  },
);

export const peopleAdminApi = apiModule(listPeopleRoute, changePersonRoute, resendRoute, listUnitsRoute, createUnitRoute, changeUnitRoute);
