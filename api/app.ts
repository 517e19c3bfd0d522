/**
 * The API as every entry point and test mounts it: the platform's HTTP kit with the people feature's
 * part in it, the check of a bearer token and the users routes (with the second factor's reset) (mounted before the features' own).
 */
import type express from 'express';
import { createHttpApp, type ApiDeps } from '../platform/http/app';
import { UsersRepository } from '../people/repository';
import { usersApi } from '../people/routes';
import { secondFactorApi } from '../people/secondFactor/routes';
import { peopleAdminApi } from '../people/adminRoutes';
import { tokensApi } from '../people/tokenRoutes';

export function createApp(deps: ApiDeps): express.Application {
  const users = new UsersRepository(deps.knex);
  return createHttpApp({ ...deps, identify: (token) => users.authenticate(token), routers: [usersApi, secondFactorApi, peopleAdminApi, tokensApi, ...(deps.routers ?? [])] });
}
