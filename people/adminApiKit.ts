/** What the people-administration routes share: the use cases' dependencies from the API's, and the page size. */
import type { ApiDeps } from '../platform/http/module';
import type { PeopleDeps } from './useCases';

export const PAGE_SIZE_API = 50;

export const peopleDeps = (deps: ApiDeps): PeopleDeps => ({ knex: deps.knex, mail: deps.mail, lifetimes: deps.linkLifetimes });
