import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/errors';
import { fromJson, insertedId, toDate, toJson, toRequiredDate } from '../db/mapping';
import { isPermanentRenderError, isPermanentSmtpRefusal, recipientProblem } from './failures';
import { resolveLocale, type Locale } from '../../domain/locale';
import { renderNotice, type RenderedNotice } from './render';
import type { MailTransport } from './transport';

/*
 * Exactly-once, as the recipient sees it. Each notice is one row keyed by the caller's idempotency
 * key (unique index), so a retried activity finds its row instead of creating a second one, and a
 * row marked `sent` is never sent again. A sender first takes a short lease on the row, so two
 * workers never talk to the SMTP server about the same row at once. The only window left for a
 * duplicate is a crash (or lost database) after the SMTP server accepted the message and before the
 * row is marked sent: the retry sends again, with the same Message-ID (derived from the key), which
 * lets the receiving side recognise and drop the copy.
 *
 * A notice that can never go out (it does not render, the address is not one, the SMTP server refuses
 * it for good with a 5xx) becomes a `failed` row with the reason, and send() answers
 * `{ status: 'failed' }` instead of throwing: a notice never fails the process that asked for it.
 */

export const OUTBOX_TABLE = 'notice_outbox';

export type NoticeStatus = 'pending' | 'sent' | 'failed';

/** The record a notice is about; a failure is also shown on its timeline. */
export interface NoticeRecord {
  type: 'project';
  id: number;
}

export interface NoticeRequest {
  /** Business key of this notice, e.g. `project-42/started/pm`; at most 191 characters. */
  idempotencyKey: string;
  template: string;
  locale: Locale;
  to: { email: string; name?: string };
  context: Record<string, unknown>;
  /** Recipient's IANA time zone for dates in the text; defaults to Asia/Shanghai. */
  timeZone?: string;
  record?: NoticeRecord;
}

export interface OutboxNotice {
  id: number;
  idempotencyKey: string;
  template: string;
  locale: Locale;
  to: { email: string; name?: string };
  subject: string;
  html: string;
  text: string;
  context: Record<string, unknown>;
  status: NoticeStatus;
  attempts: number;
  lastError: string | null;
  messageId: string | null;
  createdAt: Date;
  sentAt: Date | null;
  failedAt: Date | null;
  record: NoticeRecord | null;
}

export interface SentResult {
  status: 'sent';
  messageId: string;
  /** True when an earlier call (or another worker) had already sent it. */
  alreadySent: boolean;
}

/** The notice will never go out; `reason` says why (also in the row's `last_error`). */
export interface FailedResult {
  status: 'failed';
  reason: string;
}

export type DeliveryResult = SentResult | FailedResult;

export class NoticeNotFoundError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`No notice in the outbox with idempotency key "${idempotencyKey}"`);
    this.name = 'NoticeNotFoundError';
  }
}

/** Another worker holds the row's lease and has not finished; retry the activity later. */
export class NoticeBusyError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`Notice "${idempotencyKey}" is being sent by another worker`);
    this.name = 'NoticeBusyError';
  }
}

export interface OutboxTiming {
  /** A sender's lease on a row; longer than the transport's worst case (10 s connect + 10 s greeting + 30 s idle socket). */
  leaseMs: number;
  /** How long deliver() waits for another worker's send before giving up with NoticeBusyError. */
  waitForOtherSenderMs: number;
}

const DEFAULT_TIMING: OutboxTiming = { leaseMs: 2 * 60_000, waitForOtherSenderMs: 30_000 };
const POLL_MS = 100;
const MAX_ERROR_LENGTH = 2000;
const MAX_KEY_LENGTH = 191;

interface OutboxRow {
  id: number | string;
  idempotency_key: string;
  template: string;
  locale: string;
  to_email: string;
  to_name: string | null;
  subject: string;
  html: string;
  text: string;
  context: unknown;
  status: string;
  attempts: number | string;
  last_error: string | null;
  message_id: string | null;
  created_at: unknown;
  sent_at: unknown;
  failed_at: unknown;
  record_type: string | null;
  record_id: number | string | null;
}

function toNotice(row: OutboxRow): OutboxNotice {
  return {
    id: Number(row.id),
    idempotencyKey: row.idempotency_key,
    template: row.template,
    locale: row.locale as Locale,
    to: row.to_name === null ? { email: row.to_email } : { email: row.to_email, name: row.to_name },
    subject: row.subject,
    html: row.html,
    text: row.text,
    context: fromJson<Record<string, unknown>>(row.context),
    status: row.status as NoticeStatus,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    messageId: row.message_id,
    createdAt: toRequiredDate(row.created_at),
    sentAt: toDate(row.sent_at),
    failedAt: toDate(row.failed_at),
    record: row.record_type === 'project' && row.record_id !== null ? { type: 'project', id: Number(row.record_id) } : null,
  };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class NoticeOutbox {
  private readonly timing: OutboxTiming;

  constructor(
    private readonly knex: Knex,
    private readonly transport: MailTransport,
    private readonly clock: () => Date = () => new Date(),
    timing: Partial<OutboxTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  /**
   * Renders and stores the notice once; the same key again returns the existing row. A notice that
   * cannot be rendered or addressed is stored as `failed` with the reason.
   */
  async enqueue(notice: NoticeRequest): Promise<{ id: number; created: boolean }> {
    // Checked here because SQLite would store a longer key that MySQL refuses.
    if (notice.idempotencyKey.length === 0 || notice.idempotencyKey.length > MAX_KEY_LENGTH) {
      throw new RangeError(`Idempotency key must be 1–${MAX_KEY_LENGTH} characters, got ${notice.idempotencyKey.length}`);
    }
    const existing = await this.get(notice.idempotencyKey);
    if (existing) return { id: existing.id, created: false };
    const prepared = this.prepare(notice);
    const rendered = 'rendered' in prepared ? prepared.rendered : undefined;
    const failure = 'failure' in prepared ? prepared.failure.slice(0, MAX_ERROR_LENGTH) : undefined;
    const now = this.clock();
    try {
      const result = await this.knex(OUTBOX_TABLE).insert({
        idempotency_key: notice.idempotencyKey,
        // The column holds 64 characters; an unknown name longer than that is cut, its reason says it whole.
        template: notice.template.slice(0, 64),
        locale: rendered?.locale ?? resolveLocale(notice.locale),
        to_email: notice.to.email,
        to_name: notice.to.name?.slice(0, 191) ?? null,
        subject: rendered?.subject ?? '',
        html: rendered?.html ?? '',
        text: rendered?.text ?? '',
        context: toJson(notice.context),
        status: rendered ? 'pending' : 'failed',
        attempts: 0,
        last_error: failure ?? null,
        failed_at: failure ? now : null,
        record_type: notice.record?.type ?? null,
        record_id: notice.record?.id ?? null,
        created_at: now,
      });
      return { id: insertedId(result), created: true };
    } catch (error) {
      // Lost a race with another worker enqueuing the same key: its row is the notice.
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.get(notice.idempotencyKey);
      if (!winner) throw error;
      return { id: winner.id, created: false };
    }
  }

  /** The rendered notice, or why it can never be sent. Other errors (a broken template folder) throw. */
  private prepare(notice: NoticeRequest): { rendered: RenderedNotice } | { failure: string } {
    const badRecipient = recipientProblem(notice.to.email);
    if (badRecipient) return { failure: badRecipient };
    try {
      return { rendered: renderNotice(notice.template, notice.locale, notice.context, { timeZone: notice.timeZone }) };
    } catch (error) {
      if (isPermanentRenderError(error)) return { failure: error.message };
      throw error;
    }
  }

  /**
   * Sends the stored notice unless it was sent (or failed for good) already. A permanent SMTP refusal
   * marks the row failed; on any other transport failure the attempt and error are recorded and the
   * error is re-thrown, so the calling activity is retried.
   */
  async deliver(idempotencyKey: string): Promise<DeliveryResult> {
    const giveUpAt = Date.now() + this.timing.waitForOtherSenderMs;
    for (;;) {
      const notice = await this.get(idempotencyKey);
      if (!notice) throw new NoticeNotFoundError(idempotencyKey);
      if (notice.status === 'sent') return { status: 'sent', messageId: notice.messageId ?? '', alreadySent: true };
      if (notice.status === 'failed') return { status: 'failed', reason: notice.lastError ?? 'failed' };
      if (await this.claim(idempotencyKey)) return this.sendClaimed(notice);
      if (Date.now() >= giveUpAt) throw new NoticeBusyError(idempotencyKey);
      await sleep(POLL_MS);
    }
  }

  /** What an activity calls: enqueue, then deliver. Throws only for what a retry may fix. */
  async send(notice: NoticeRequest): Promise<DeliveryResult & { id: number }> {
    const { id } = await this.enqueue(notice);
    return { id, ...(await this.deliver(notice.idempotencyKey)) };
  }

  /** Notices not sent yet, oldest first. */
  async pending(): Promise<OutboxNotice[]> {
    const rows = (await this.knex(OUTBOX_TABLE).where({ status: 'pending' }).orderBy('id')) as OutboxRow[];
    return rows.map(toNotice);
  }

  async get(idempotencyKey: string): Promise<OutboxNotice | undefined> {
    const row = (await this.knex(OUTBOX_TABLE).where({ idempotency_key: idempotencyKey }).first()) as OutboxRow | undefined;
    return row ? toNotice(row) : undefined;
  }

  /** Takes the row's lease if it is pending and nobody else holds a live one. */
  private async claim(idempotencyKey: string): Promise<boolean> {
    const now = this.clock();
    const updated = await this.knex(OUTBOX_TABLE)
      .where({ idempotency_key: idempotencyKey, status: 'pending' })
      .andWhere((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<', now))
      .update({ claimed_until: new Date(now.getTime() + this.timing.leaseMs) });
    return Number(updated) === 1;
  }

  private async sendClaimed(notice: OutboxNotice): Promise<DeliveryResult> {
    let messageId: string;
    try {
      ({ messageId } = await this.transport.send({
        to: notice.to.email,
        toName: notice.to.name,
        subject: notice.subject,
        html: notice.html,
        text: notice.text,
        idempotencyKey: notice.idempotencyKey,
      }));
    } catch (error) {
      if (isPermanentSmtpRefusal(error)) return this.markFailed(notice.idempotencyKey, `SMTP server refused the message: ${errorText(error)}`);
      await this.recordFailure(notice.idempotencyKey, error);
      throw error;
    }
    await this.knex(OUTBOX_TABLE)
      .where({ idempotency_key: notice.idempotencyKey })
      .update({
        status: 'sent',
        attempts: this.knex.raw('?? + 1', ['attempts']),
        message_id: messageId,
        sent_at: this.clock(),
        claimed_until: null,
      });
    return { status: 'sent', messageId, alreadySent: false };
  }

  private async markFailed(idempotencyKey: string, reason: string): Promise<FailedResult> {
    const stored = reason.slice(0, MAX_ERROR_LENGTH);
    await this.knex(OUTBOX_TABLE)
      .where({ idempotency_key: idempotencyKey })
      .update({
        status: 'failed',
        attempts: this.knex.raw('?? + 1', ['attempts']),
        last_error: stored,
        failed_at: this.clock(),
        claimed_until: null,
      });
    return { status: 'failed', reason: stored };
  }

  private async recordFailure(idempotencyKey: string, error: unknown): Promise<void> {
    const message = errorText(error);
    try {
      await this.knex(OUTBOX_TABLE)
        .where({ idempotency_key: idempotencyKey })
        .update({
          attempts: this.knex.raw('?? + 1', ['attempts']),
          last_error: message.slice(0, MAX_ERROR_LENGTH),
          claimed_until: null,
        });
    } catch {
      // The send error is what the caller must see; the lease simply expires.
    }
  }
}

/** Failed notices, newest first, and how many there are in all (what service managers are shown). */
export async function listFailedNotices(knex: Knex, page: { limit: number; offset: number }): Promise<{ items: OutboxNotice[]; total: number }> {
  const failed = () => knex(OUTBOX_TABLE).where({ status: 'failed' });
  const rows = (await failed()
    .orderBy([{ column: 'failed_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(page.limit)
    .offset(page.offset)) as OutboxRow[];
  const [counted] = (await failed().count({ n: '*' })) as Array<{ n: number | string }>;
  return { items: rows.map(toNotice), total: Number(counted?.n ?? 0) };
}
