/**
 * Machine tokens over the API: make one (shown once), list one's own (an admin: everyone's), revoke.
 * The same use cases as /profile/tokens (people/machineTokens.ts).
 */
import type { AuditTarget } from '../platform/http/audit';
import { line } from '../platform/http/fields';
import { apiModule } from '../platform/http/module';
import { defineRoute } from '../platform/http/route';
import { z } from '../platform/http/zod';
import { rolesReaching } from '../domain/access';
import { createMachineToken, listMachineTokens, revokeMachineToken, type ListedToken } from './machineTokens';
import type { ApiToken } from './repository';
import { RoleSchema } from './roles';
import { tokenState } from './tokenRules';

export const TokenSchema = z
  .object({
    id: z.number().int(),
    userId: z.number().int().openapi({ description: 'Whose token it is: it acts for what they act for' }),
    label: z.string().openapi({ description: 'Its name' }),
    role: RoleSchema.nullable().openapi({ description: 'The role it acts with (null: its user’s, for tokens made before tokens had roles)' }),
    createdByUserId: z.number().int().nullable(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable().openapi({ description: 'Null: never (only the bootstrap admin token)' }),
    lastUsedAt: z.iso.datetime().nullable().openapi({ description: 'To the minute' }),
    revokedAt: z.iso.datetime().nullable(),
    state: z.enum(['live', 'revoked', 'expired']),
    live: z.boolean(),
  })
  .openapi('ApiToken', { description: 'A token’s record; the token itself is never shown again' });

export function tokenDto(token: ApiToken | ListedToken, now: Date = new Date()): z.input<typeof TokenSchema> {
  const state = 'state' in token ? token.state : tokenState(token, now);
  return {
    ...token,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
    state,
    live: state === 'live',
  };
}

const CreateTokenBody = z
  .strictObject({
    name: line().openapi({ description: 'What the token is for (the integration’s name)' }),
    role: RoleSchema.optional().openapi({ description: 'The role it acts with: your own (the default and the only one allowed; roles do not nest)' }),
    expiresInDays: z.number().int().min(1).optional().openapi({ description: 'Days until it expires: 90 by default (AFTERCARE_TOKEN_VALID), 365 at most (AFTERCARE_TOKEN_MAX_VALID)' }),
  })
  .openapi('CreateTokenBody');

const createToken = defineRoute(
  {
    method: 'post',
    path: '/tokens',
    roles: 'authenticated',
    access: { rule: 'self' },
    summary: 'Make a machine token for an integration; the answer shows it once',
    description: 'The token acts for what you act for, with your own role (any other is a 403 naming `role`), and expires (400 naming `expiresInDays` past the longest allowed).',
    tags: ['tokens'],
    body: CreateTokenBody,
    idempotent: true,
    responses: { 201: { description: 'Made: `token` is shown this once, only its hash is kept', body: z.object({ token: z.string(), record: TokenSchema }).openapi('CreatedToken') } },
    errors: { 403: 'A role above your own', 409: 'A token was already made with this Idempotency-Key (it is never shown again)' },
  },
  async ({ body, user, deps, idempotencyKey, res }) => {
    // The key is kept with the token, never the answer: a token is shown once, so a repeat gets a 409 rather than the token again.
    const made = await createMachineToken({ ...body, creationKey: idempotencyKey }, user, { knex: deps.knex, tokenLifetimes: deps.tokenLifetimes });
    res.locals.audit = { entityType: 'api_token', entityId: made.record.id } satisfies AuditTarget;
    return { status: 201, body: { token: made.token, record: tokenDto(made.record) } };
  },
);

const listTokens = defineRoute(
  {
    method: 'get',
    path: '/tokens',
    roles: 'authenticated',
    access: { rule: 'self' },
    summary: 'Your machine tokens with their last use; an admin with all=true sees everyone’s',
    tags: ['tokens'],
    query: z.object({ all: z.enum(['true', 'false']).optional().openapi({ description: 'true: every person’s tokens (admins only, else 403)' }) }),
    responses: { 200: { description: 'The tokens, oldest first', body: z.object({ tokens: z.array(TokenSchema) }) } },
  },
  async ({ query, user, deps }) => ({ status: 200, body: { tokens: (await listMachineTokens(user, query.all === 'true', { knex: deps.knex })).map((t) => tokenDto(t)) } }),
);

const revokeToken = defineRoute(
  {
    method: 'delete',
    path: '/tokens/:id',
    roles: rolesReaching('api_token', 'administer'),
    access: { rule: 'record', resource: 'api_token', action: 'administer' },
    summary: 'Revoke a token (yours; an admin: anyone’s): it and the console sessions it opened stop working at once; revoking it again changes nothing',
    tags: ['tokens'],
    params: z.object({ id: z.coerce.number().int().positive() }),
    responses: { 200: { description: 'The token, revoked', body: TokenSchema } },
    errors: { 404: 'No such token of yours' },
  },
  async ({ params, user, deps, res }) => {
    const revoked = await revokeMachineToken(params.id, user, { knex: deps.knex });
    res.locals.audit = { entityType: 'api_token', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: tokenDto(revoked) };
  },
);

export const tokensApi = apiModule(createToken, listTokens, revokeToken);
