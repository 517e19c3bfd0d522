/** The API of the second factor: an admin resets a person's factor (a lost phone). */
import type { AuditTarget } from '../../platform/http/audit';
import { defineRoute } from '../../platform/http/route';
import { z } from '../../platform/http/zod';
import { UserSchema, userDto } from '../routes';
import { resetSecondFactor } from './useCases';

const IdParams = z.object({ id: z.coerce.number().int().positive() });

const SecondFactorResetSchema = z
  .object({
    user: UserSchema,
    hadFactor: z.boolean().openapi({ description: 'Whether the person had a second factor (or one being set up) to reset' }),
    sessionsEnded: z.number().int().openapi({ description: 'How many of their console sessions ended' }),
  })
  .openapi('SecondFactorReset', { description: 'Never carries the secret or any code' });

export const secondFactorApi = defineRoute(
  {
    method: 'post',
    path: '/users/:id/second-factor/reset',
    roles: ['admin'],
    access: { rule: 'record', resource: 'user', action: 'administer' },
    summary: 'Reset a person’s second factor: it and their recovery codes are gone and their sessions end',
    description: 'For a lost phone. At their next sign-in they set up a new factor (admins and finance must; others may). Resetting again changes nothing.',
    tags: ['users'],
    params: IdParams,
    responses: { 200: { description: 'Reset', body: SecondFactorResetSchema } },
    errors: { 404: 'No such user' },
  },
  async ({ params, user, deps, res }) => {
    const reset = await resetSecondFactor(params.id, user, { knex: deps.knex });
    res.locals.audit = { entityType: 'user', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: { user: userDto(reset.user), hadFactor: reset.hadFactor, sessionsEnded: reset.sessionsEnded } };
  },
);
