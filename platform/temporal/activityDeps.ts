import type { Knex } from 'knex';
import type { NoticeOutbox } from '../notices';

/** Everything activities touch comes in here, so tests and the worker pass their own. */
export interface ActivityDeps {
  knex: Knex;
  outbox: NoticeOutbox;
  now(): Date;
  /** Base URL of the console, for links in notices (AFTERCARE_PUBLIC_URL). */
  publicUrl: string;
}
