import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string;
  toName?: string;
  subject: string;
  html: string;
  text: string;
  idempotencyKey: string;
}

/** What the outbox needs from a mailer; tests may pass their own. */
export interface MailTransport {
  /** Resolves once the SMTP server accepted the message (or the .eml file is written). */
  send(message: OutgoingMail): Promise<{ messageId: string }>;
  close(): Promise<void>;
}

export interface MailTransportOptions {
  /** smtp:// or smtps:// URL; unset → messages are written to `<dataDir>/mail/*.eml`. */
  smtpUrl?: string;
  dataDir: string;
  /** RFC 5322 sender, e.g. `Aftercare <aftercare@example.com>`. */
  from: string;
  /** One line per message written to disk; defaults to console.info. */
  log?: (line: string) => void;
}

export const IDEMPOTENCY_HEADER = 'X-Aftercare-Idempotency-Key';

/** Keeps the readable part of a key for file names and Message-IDs. */
export function sanitizeKey(key: string, maxLength = 100): string {
  return key.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, maxLength);
}

/**
 * The same key always gives the same Message-ID, so a receiving server or mail client can drop a
 * duplicate. The hash keeps keys distinct that sanitize to the same text.
 */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'aftercare.invalid';
  const hash = crypto.createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 16);
  return `<${sanitizeKey(idempotencyKey)}.${hash}@${domain}>`;
}

export function createMailTransport(options: MailTransportOptions): MailTransport {
  return options.smtpUrl ? createSmtpTransport(options.smtpUrl, options.from) : createFileTransport(options);
}

function mailOptions(message: OutgoingMail, from: string) {
  return {
    from,
    to: message.toName ? { name: message.toName, address: message.to } : message.to,
    subject: message.subject,
    html: message.html,
    text: message.text,
    messageId: messageIdFor(message.idempotencyKey, from),
    headers: { [IDEMPOTENCY_HEADER]: message.idempotencyKey },
  };
}

function createSmtpTransport(smtpUrl: string, from: string): MailTransport {
  // One connection per message (no pool): a failed send leaves nothing half-open behind, and the
  // short timeouts make a dead server fail the activity attempt quickly so Temporal retries it.
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: false,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(message) {
      const info = await transporter.sendMail(mailOptions(message, from));
      return { messageId: info.messageId };
    },
    async close() {
      transporter.close();
    },
  };
}

function createFileTransport(options: MailTransportOptions): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const mailDir = path.join(options.dataDir, 'mail');
  const log = options.log ?? ((line: string) => console.info(line));
  return {
    async send(message) {
      const info = await transporter.sendMail(mailOptions(message, options.from));
      await fs.promises.mkdir(mailDir, { recursive: true });
      const stamp = new Date().toISOString().replace(/[-:.]/g, '');
      const file = path.join(mailDir, `${stamp}-${sanitizeKey(message.idempotencyKey)}.eml`);
      await fs.promises.writeFile(file, info.message as Buffer);
      log(`mail: SMTP_URL unset, wrote ${file} (to ${message.to}: ${message.subject})`);
      return { messageId: info.messageId };
    },
    async close() {
      transporter.close();
    },
  };
}
