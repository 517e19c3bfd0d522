import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 for tests: no TLS, no auth, keeps every message in memory.
 *
 *   const sink = await startSmtpSink();
 *   const transport = createMailTransport({ smtpUrl: sink.url, dataDir, from });
 *   ...
 *   const [mail] = await sink.waitFor(1);
 *   expect(mail.subject).toContain('…');
 *   sink.rejectMessages(true);   // every DATA is answered 451 until switched off
 *   sink.refuseRecipient('gone@customer.test');   // RCPT TO answered 550, for good
 *   sink.hang();   // connections accepted, never answered (no greeting) until
 *   sink.release();   // the held connections are greeted and go on
 *   await sink.stop();
 */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The message exactly as received, headers and MIME body. */
  raw: string;
  /** Unfolded, RFC 2047-decoded headers; lower-case names, first occurrence wins. */
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  idempotencyKey: string | undefined;
  /** The decoded text/plain body (best effort: single part or first text/plain part). */
  text: string;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL / createMailTransport. */
  url: string;
  port: number;
  /** Accepted messages, in arrival order (rejected ones are not kept). */
  messages: ReceivedMail[];
  /** Resolves with the messages once at least `count` arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** While on, every message is refused with `451 Temporary failure`, like a server in trouble. */
  rejectMessages(on: boolean): void;
  /** This address is refused at RCPT TO with `550 No such user`, a permanent refusal. */
  refuseRecipient(email: string): void;
  /** RCPT TO answers seen, refused ones included (how many times the server was asked). */
  recipientAttempts(email: string): number;
  /** From now on connections are accepted and never answered: no greeting, like a server that hangs. */
  hang(): void;
  /** Connections accepted while hanging and still open, waiting for their greeting. */
  heldConnections(): number;
  /** Greets the held connections (they go on as usual) and answers new ones at once again. */
  release(): void;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let rejecting = false;
  const refused = new Set<string>();
  const attempts = new Map<string, number>();
  let hanging = false;
  /** Held connections by session id: the greeting goes out when their callback is called. */
  const held = new Map<string, () => void>();

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1000,
    onConnect(session, callback) {
      if (!hanging) return callback();
      held.set(session.id, () => callback());
    },
    onClose(session) {
      held.delete(session.id);
    },
    onRcptTo(address, _session, callback) {
      const email = address.address.toLowerCase();
      attempts.set(email, (attempts.get(email) ?? 0) + 1);
      if (refused.has(email)) {
        callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (rejecting) {
          callback(Object.assign(new Error('Temporary failure, try again later'), { responseCode: 451 }));
          return;
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        messages.push(parseMail(Buffer.concat(chunks).toString('utf8'), { from, to: session.envelope.rcptTo.map((r) => r.address) }));
        for (const wake of waiters) wake();
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitFor(count, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP sink: expected ${count} message(s) within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    rejectMessages(on) {
      rejecting = on;
    },
    hang() {
      hanging = true;
    },
    heldConnections: () => held.size,
    release() {
      hanging = false;
      const greetings = [...held.values()];
      held.clear();
      for (const greet of greetings) greet();
    },
    refuseRecipient(email) {
      refused.add(email.toLowerCase());
    },
    recipientAttempts(email) {
      return attempts.get(email.toLowerCase()) ?? 0;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function parseMail(raw: string, envelope: ReceivedMail['envelope']): ReceivedMail {
  const { headers, body } = splitMessage(raw);
  return {
    envelope,
    raw,
    headers,
    subject: headers.subject ?? '',
    messageId: headers['message-id'] ?? '',
    idempotencyKey: headers['x-aftercare-idempotency-key'],
    text: textBody(headers, body),
  };
}

function splitMessage(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.search(/\r?\n\r?\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] ??= decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** RFC 2047 encoded words, e.g. `=?UTF-8?B?5rWL6K+V?=`; adjacent words join without the space between them. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, encoding: string, text: string) => {
      const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text.replace(/_/g, ' '));
      return new TextDecoder(charset).decode(bytes);
    });
}

function decodeQuotedPrintable(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function textBody(headers: Record<string, string>, body: string): string {
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (boundary) {
    // Parts after the first boundary; the one after the closing `--boundary--` starts with '--'.
    for (const part of body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--'))) {
      const parsed = splitMessage(part.replace(/^\r?\n/, ''));
      const text = textBody(parsed.headers, parsed.body);
      if (text) return text;
    }
    return '';
  }
  if (!/^text\/plain/i.test(type)) return '';
  const charset = /charset="?([^";]+)"?/i.exec(type)?.[1] ?? 'utf-8';
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const bytes =
    encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : Buffer.from(body, 'utf8');
  return new TextDecoder(charset).decode(bytes);
}
