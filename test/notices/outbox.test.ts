import fs from 'node:fs';
import path from 'node:path';
import { createKnex } from '../../platform/db/knex';
import * as noticesMigration from '../../platform/db/migrations/0002_notices';
import * as noticeFailuresMigration from '../../platform/db/migrations/0008_notice_failures';
import { createMailTransport, listFailedNotices, messageIdFor, NoticeOutbox, OUTBOX_TABLE, type DeliveryResult, type MailTransport, type NoticeRequest } from '../../platform/notices';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';

jest.setTimeout(30_000);

const FROM = 'Aftercare <aftercare@factory.example>';
const NOW = new Date('2026-11-23T06:05:00.123Z');
const clock = () => NOW;
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

/** The result of a send that must have gone out. */
async function sent<T extends DeliveryResult>(result: Promise<T>): Promise<Extract<T, { status: 'sent' }>> {
  const outcome = await result;
  if (outcome.status !== 'sent') throw new Error(`expected the notice to be sent, it failed: ${outcome.reason}`);
  return outcome as Extract<T, { status: 'sent' }>;
}

const notice = (idempotencyKey: string): NoticeRequest => ({
  idempotencyKey,
  template: 'test-notice',
  locale: 'zh-CN',
  to: { email: 'wang@customer.example', name: '王经理' },
  context: { recipientName: '王经理', sentAt: '2026-11-23T06:05:00Z' },
});

describe.each(testDatabaseKinds())('notice outbox on %s', (kind) => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let transport: MailTransport;
  let outbox: NoticeOutbox;

  beforeAll(async () => {
    // Only this feature's table, so these tests do not depend on the other migrations.
    db = await createTestDatabase(kind, { migrate: false });
    await noticesMigration.up(db.knex);
    await noticeFailuresMigration.up(db.knex);
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    sink = await startSmtpSink();
    transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: FROM });
    outbox = new NoticeOutbox(db.knex, transport, clock);
  });
  afterEach(async () => {
    await transport.close();
    await sink.stop();
  });

  const rowCount = async (key: string) => Number((await db.knex(OUTBOX_TABLE).where({ idempotency_key: key }).count({ n: '*' }))[0]!.n);

  it('sends a notice over SMTP exactly once and records it', async () => {
    const result = await sent(outbox.send(notice('send-once')));

    expect(result).toEqual({ id: expect.any(Number), status: 'sent', messageId: messageIdFor('send-once', FROM), alreadySent: false });
    const [mail] = await sink.waitFor(1);
    expect(mail!.idempotencyKey).toBe('send-once');
    expect(mail!.messageId).toBe(result.messageId);
    expect(mail!.subject).toBe('Aftercare 测试通知');
    expect(mail!.text).toContain('2026年11月23日 14:05');

    const stored = await outbox.get('send-once');
    expect(stored).toMatchObject({
      id: result.id,
      template: 'test-notice',
      locale: 'zh-CN',
      to: { email: 'wang@customer.example', name: '王经理' },
      subject: 'Aftercare 测试通知',
      context: notice('send-once').context,
      status: 'sent',
      attempts: 1,
      lastError: null,
      messageId: result.messageId,
      createdAt: NOW,
      sentAt: NOW,
    });
    await settle();
    expect(sink.messages).toHaveLength(1);
  });

  it('sends the same key twice as one row and one message', async () => {
    const first = await sent(outbox.send(notice('twice')));
    const second = await sent(outbox.send(notice('twice')));

    expect(second).toEqual({ ...first, alreadySent: true });
    expect(await outbox.enqueue(notice('twice'))).toEqual({ id: first.id, created: false });
    expect(await rowCount('twice')).toBe(1);
    await settle();
    expect(sink.messages).toHaveLength(1);
  });

  it('treats keys as case-sensitive on every database', async () => {
    const upper = await outbox.enqueue(notice('Case-Key'));
    const lower = await outbox.enqueue(notice('case-key'));
    expect(upper.created && lower.created).toBe(true);
    expect(upper.id).not.toBe(lower.id);
  });

  it('keeps the notice pending while SMTP refuses, then delivers it once', async () => {
    sink.rejectMessages(true);
    await expect(outbox.send(notice('smtp-trouble'))).rejects.toThrow(/451/);

    const failed = await outbox.get('smtp-trouble');
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, messageId: null, sentAt: null });
    expect(failed!.lastError).toMatch(/451/);
    expect((await outbox.pending()).map((n) => n.idempotencyKey)).toContain('smtp-trouble');
    expect(sink.messages).toHaveLength(0);

    sink.rejectMessages(false);
    const retried = await outbox.deliver('smtp-trouble');
    expect(retried).toEqual({ status: 'sent', messageId: messageIdFor('smtp-trouble', FROM), alreadySent: false });
    expect(await outbox.get('smtp-trouble')).toMatchObject({ status: 'sent', attempts: 2, sentAt: NOW });
    expect(await outbox.deliver('smtp-trouble')).toMatchObject({ alreadySent: true });
    expect((await outbox.pending()).map((n) => n.idempotencyKey)).not.toContain('smtp-trouble');
    await settle();
    expect(sink.messages).toHaveLength(1);
  });

  it('fails fast when the SMTP server is gone', async () => {
    const dead = await startSmtpSink();
    await dead.stop();
    const deadOutbox = new NoticeOutbox(db.knex, createMailTransport({ smtpUrl: dead.url, dataDir: db.dataDir, from: FROM }), clock);

    const started = Date.now();
    await expect(deadOutbox.send(notice('smtp-gone'))).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await outbox.get('smtp-gone')).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/ECONNREFUSED/) });

    expect(await outbox.deliver('smtp-gone')).toMatchObject({ alreadySent: false });
    expect(sink.messages).toHaveLength(1);
  });

  it('lets two workers send the same key at once: one row, one message', async () => {
    // A second connection pool, as a second worker process would have.
    const otherKnex = createKnex({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    const otherTransport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: FROM });
    try {
      const other = new NoticeOutbox(otherKnex, otherTransport, clock);
      const results = await Promise.all([sent(outbox.send(notice('race'))), sent(other.send(notice('race')))]);

      expect(results[0]!.messageId).toBe(results[1]!.messageId);
      expect(results.map((r) => r.alreadySent).sort()).toEqual([false, true]);
      expect(await rowCount('race')).toBe(1);
      await settle();
      expect(sink.messages.filter((m) => m.idempotencyKey === 'race')).toHaveLength(1);
      expect(sink.messages).toHaveLength(1);
    } finally {
      await otherTransport.close();
      await otherKnex.destroy();
    }
  });

  it('returns the winner when an insert loses the race on the unique key', async () => {
    const { id } = await outbox.enqueue(notice('insert-race'));
    // Skip the read-before-insert, as if both workers had read before either inserted.
    jest.spyOn(outbox, 'get').mockResolvedValueOnce(undefined);

    expect(await outbox.enqueue(notice('insert-race'))).toEqual({ id, created: false });
    expect(await rowCount('insert-race')).toBe(1);
  });

  it('waits for a live lease, and takes over an expired one', async () => {
    await outbox.enqueue(notice('lease'));
    // A worker took the lease and then died mid-send.
    await db.knex(OUTBOX_TABLE).where({ idempotency_key: 'lease' }).update({ claimed_until: new Date(NOW.getTime() + 60_000) });

    const impatient = new NoticeOutbox(db.knex, transport, clock, { waitForOtherSenderMs: 300 });
    await expect(impatient.deliver('lease')).rejects.toThrow(/being sent by another worker/);
    expect(sink.messages).toHaveLength(0);

    const later = new NoticeOutbox(db.knex, transport, () => new Date(NOW.getTime() + 61_000));
    expect(await later.deliver('lease')).toMatchObject({ alreadySent: false });
    expect(sink.messages).toHaveLength(1);
  });

  it('refuses an empty or over-long key the same way on every database', async () => {
    await expect(outbox.enqueue(notice(''))).rejects.toThrow(RangeError);
    await expect(outbox.enqueue(notice('k'.repeat(192)))).rejects.toThrow(/1–191 characters/);
    expect(await outbox.enqueue(notice('k'.repeat(191)))).toMatchObject({ created: true });
  });

  it('rejects delivering a key that was never enqueued', async () => {
    await expect(outbox.deliver('never-enqueued')).rejects.toThrow(/No notice in the outbox/);
  });

  it('stores a notice whose template fails to render as failed, with the reason, and never sends it', async () => {
    const record = { type: 'project' as const, id: 42 };
    const result = await outbox.send({ ...notice('bad-context'), context: {}, record });
    expect(result).toEqual({ id: expect.any(Number), status: 'failed', reason: expect.stringMatching(/"recipientName" not defined/) });
    expect(await outbox.get('bad-context')).toMatchObject({ status: 'failed', attempts: 0, failedAt: NOW, record, lastError: expect.stringMatching(/recipientName/) });
    // Again: the same answer from the row, no second row, nothing sent.
    expect(await outbox.send({ ...notice('bad-context'), context: {} })).toEqual(result);
    expect(await rowCount('bad-context')).toBe(1);
    expect((await outbox.pending()).map((n) => n.idempotencyKey)).not.toContain('bad-context');
    await settle();
    expect(sink.messages).toHaveLength(0);
  });

  it('fails an unknown template and an address that is not one, without sending', async () => {
    expect(await outbox.send({ ...notice('no-such-template'), template: 'no-such-template' })).toMatchObject({ status: 'failed', reason: expect.stringMatching(/Unknown notice template "no-such-template"/) });
    expect(await outbox.send({ ...notice('bad-address'), to: { email: 'Wang <wang@x.example>, li@x.example' } })).toMatchObject({ status: 'failed', reason: expect.stringMatching(/is not an e-mail address/) });
    expect(await outbox.get('bad-address')).toMatchObject({ status: 'failed', record: null });
    await settle();
    expect(sink.messages).toHaveLength(0);
  });

  it('marks a notice the SMTP server refuses for good (550) failed, and never asks again', async () => {
    sink.refuseRecipient('gone@customer.example');
    const result = await outbox.send({ ...notice('refused'), to: { email: 'gone@customer.example' } });
    expect(result).toMatchObject({ status: 'failed', reason: expect.stringMatching(/SMTP server refused the message: .*550/) });
    expect(await outbox.get('refused')).toMatchObject({ status: 'failed', attempts: 1, failedAt: NOW, sentAt: null });
    expect(await outbox.deliver('refused')).toMatchObject({ status: 'failed' });
    expect(sink.recipientAttempts('gone@customer.example')).toBe(1);
    expect(sink.messages).toHaveLength(0);
  });

  it('lists failed notices newest first, paged', async () => {
    const later = new NoticeOutbox(db.knex, transport, () => new Date(NOW.getTime() + 60_000));
    await outbox.send({ ...notice('failed-older'), template: 'nope-1' });
    await later.send({ ...notice('failed-newer'), template: 'nope-2' });
    const page = await listFailedNotices(db.knex, { limit: 1, offset: 0 });
    expect(page.items.map((n) => n.idempotencyKey)).toEqual(['failed-newer']);
    expect(page.total).toBeGreaterThanOrEqual(2);
    const keys = (await listFailedNotices(db.knex, { limit: 100, offset: 0 })).items.map((n) => n.idempotencyKey);
    expect(keys.indexOf('failed-newer')).toBeLessThan(keys.indexOf('failed-older'));
    expect(keys).not.toContain('send-once');
  });

  it('without SMTP_URL writes the message as an .eml file in the data dir', async () => {
    const fileOutbox = new NoticeOutbox(db.knex, createMailTransport({ dataDir: db.dataDir, from: FROM, log: () => {} }), clock);
    const first = await sent(fileOutbox.send(notice('file/mode')));
    const again = await sent(fileOutbox.send(notice('file/mode')));

    expect(again.alreadySent).toBe(true);
    const files = fs.readdirSync(path.join(db.dataDir, 'mail')).filter((f) => f.endsWith('-file_mode.eml'));
    expect(files).toHaveLength(1);
    const eml = fs.readFileSync(path.join(db.dataDir, 'mail', files[0]!), 'utf8');
    expect(eml).toContain(`Message-ID: ${first.messageId}`);
    expect(eml).toContain('X-Aftercare-Idempotency-Key: file/mode');
    expect(await outbox.get('file/mode')).toMatchObject({ status: 'sent', messageId: first.messageId });
    expect(sink.messages).toHaveLength(0);
  });
});
