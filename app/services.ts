import type { Knex } from 'knex';
import { createActivities } from '../activities';
import { createKnex } from '../platform/db/knex';
import { migrateLatest } from '../platform/db/migrations';
import { createMailTransport, NoticeOutbox } from '../platform/notices';
import type { AppConfig } from '../platform/config/config';

export interface CoreServices {
  knex: Knex;
  outbox: NoticeOutbox;
  close(): Promise<void>;
}

/** Database (migrated) and notice outbox: what both the worker and the API stand on. */
export async function openCoreServices(config: AppConfig): Promise<CoreServices> {
  const knex = createKnex({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrateLatest(knex);
  const transport = createMailTransport({ smtpUrl: config.smtpUrl, dataDir: config.dataDir, from: config.mailFrom });
  const outbox = new NoticeOutbox(knex, transport);
  return {
    knex,
    outbox,
    close: async () => {
      await transport.close();
      await knex.destroy();
    },
  };
}

export function activitiesFor(services: CoreServices, config: Pick<AppConfig, 'publicUrl'>) {
  return createActivities({ knex: services.knex, outbox: services.outbox, now: () => new Date(), publicUrl: config.publicUrl });
}
