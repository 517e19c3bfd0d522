import { createActivities } from '../../activities';
import { createMailTransport, NoticeOutbox } from '../../platform/notices';
import { createTestDatabase, type TestDatabase } from './db';
import { startSmtpSink, type SmtpSink } from './smtpSink';
import { startTestWorker, type TestWorker } from './temporal';

export interface TestSystem {
  db: TestDatabase;
  smtp: SmtpSink;
  outbox: NoticeOutbox;
  activities: ReturnType<typeof createActivities>;
  temporal: TestWorker;
  stop(): Promise<void>;
}

/** The real parts wired as in production: a fresh database, SMTP on loopback, a worker on its own queue. */
export async function startTestSystem(name: string): Promise<TestSystem> {
  const db = await createTestDatabase();
  const smtp = await startSmtpSink();
  const transport = createMailTransport({ smtpUrl: smtp.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@test.local>' });
  const outbox = new NoticeOutbox(db.knex, transport);
  const activities = createActivities({ knex: db.knex, outbox, now: () => new Date(), publicUrl: 'http://console.test' });
  const temporal = await startTestWorker(activities, name);
  return {
    db,
    smtp,
    outbox,
    activities,
    temporal,
    async stop() {
      await temporal.stop();
      await transport.close();
      await smtp.stop();
      await db.destroy();
    },
  };
}
