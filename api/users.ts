import { UsersRepository, type User } from '../db/repositories/users';
import type { AuditTarget } from './audit';
import { EmailSchema, IdSchema, line } from './fields';
import { apiModule } from './module';
import { LocaleSchema, RoleSchema } from './roles';
import { defineRoute } from './route';
import { z } from './zod';

export const UserSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    email: z.email(),
    role: RoleSchema,
    locale: LocaleSchema,
    dealerId: z.number().int().nullable(),
    active: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .openapi('User');

export const CreateUserBody = z
  .strictObject({
    name: line(),
    email: EmailSchema,
    role: RoleSchema,
    locale: LocaleSchema.optional().openapi({ description: 'Language of the notices this user receives; zh-CN by default' }),
    dealerId: IdSchema.optional().openapi({ description: 'Required when role is dealer: the dealer this user acts for' }),
  })
  .refine((body) => body.role !== 'dealer' || body.dealerId !== undefined, {
    path: ['dealerId'],
    message: 'Required when role is dealer',
    // Check it even when other fields are bad, so one answer names every problem.
    when: (payload) => (payload.value as { role?: unknown } | undefined)?.role === 'dealer',
  })
  .openapi('CreateUserBody');

export const CreatedUserSchema = z
  .object({
    user: UserSchema,
    token: z.string().openapi({ description: 'The user’s first API token. Shown once: only its hash is stored.' }),
  })
  .openapi('CreatedUser');

export function userDto(user: User): z.input<typeof UserSchema> {
  return { ...user, createdAt: user.createdAt.toISOString() };
}

const createUser = defineRoute(
  {
    method: 'post',
    path: '/users',
    roles: ['admin'],
    summary: 'Create a user and issue their first API token',
    tags: ['users'],
    body: CreateUserBody,
    responses: { 201: { description: 'Created', body: CreatedUserSchema } },
    errors: { 409: 'A user with this e-mail already exists' },
  },
  async ({ body, deps, res }) => {
    // One transaction: a user without a token (or the reverse) would be a dead end.
    const { user, token } = await deps.knex.transaction(async (trx) => {
      const users = new UsersRepository(trx);
      const created = await users.create(body);
      return { user: created, token: await users.issueToken(created.id, 'initial') };
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
    summary: 'The calling user',
    tags: ['users'],
    responses: { 200: { description: 'The caller', body: UserSchema } },
  },
  async ({ user }) => ({ status: 200, body: userDto(user) }),
);

export const usersApi = apiModule(createUser, me);
