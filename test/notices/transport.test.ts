import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMailTransport, IDEMPOTENCY_HEADER, messageIdFor, type OutgoingMail } from '../../platform/notices';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';

const FROM = 'Aftercare <aftercare@factory.example>';
const mail = (key: string): OutgoingMail => ({
  to: 'wang@customer.example',
  toName: '王经理',
  subject: '项目已启动：P-1 一号线改造',
  html: '<p>您好</p>',
  text: '您好，项目已启动。\n',
  idempotencyKey: key,
});

describe('messageIdFor', () => {
  it('is derived from the key alone, so a resend carries the same id', () => {
    expect(messageIdFor('project-1/started', FROM)).toBe(messageIdFor('project-1/started', FROM));
    expect(messageIdFor('project-1/started', FROM)).toMatch(/^<project-1_started\.[0-9a-f]{16}@factory\.example>$/);
  });

  it('keeps keys apart that sanitize alike', () => {
    expect(messageIdFor('a/b', FROM)).not.toBe(messageIdFor('a:b', FROM));
  });
});

describe('SMTP transport', () => {
  let sink: SmtpSink;
  beforeEach(async () => {
    sink = await startSmtpSink();
  });
  afterEach(async () => {
    await sink.stop();
  });

  it('delivers with the deterministic Message-ID and the idempotency header', async () => {
    const transport = createMailTransport({ smtpUrl: sink.url, dataDir: '/nonexistent', from: FROM });
    const { messageId } = await transport.send(mail('project-1/started/pm'));
    await transport.close();

    const [received] = await sink.waitFor(1);
    expect(messageId).toBe(messageIdFor('project-1/started/pm', FROM));
    expect(received!.messageId).toBe(messageId);
    expect(received!.idempotencyKey).toBe('project-1/started/pm');
    expect(received!.headers[IDEMPOTENCY_HEADER.toLowerCase()]).toBe('project-1/started/pm');
    expect(received!.subject).toBe('项目已启动：P-1 一号线改造');
    expect(received!.headers.to).toContain('王经理');
    expect(received!.envelope).toEqual({ from: 'aftercare@factory.example', to: ['wang@customer.example'] });
    expect(received!.text).toContain('您好，项目已启动。');
  });

  it('fails with the server reply when the server refuses', async () => {
    sink.rejectMessages(true);
    const transport = createMailTransport({ smtpUrl: sink.url, dataDir: '/nonexistent', from: FROM });
    await expect(transport.send(mail('k1'))).rejects.toThrow(/451/);
    expect(sink.messages).toHaveLength(0);
  });
});

describe('file transport (no SMTP_URL)', () => {
  it('writes one .eml per message under <dataDir>/mail and logs one line', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-mail-'));
    try {
      const lines: string[] = [];
      const transport = createMailTransport({ dataDir, from: FROM, log: (line) => lines.push(line) });
      const { messageId } = await transport.send(mail('project-1/started/pm'));

      const files = fs.readdirSync(path.join(dataDir, 'mail'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^\d{8}T\d{9}Z-project-1_started_pm\.eml$/);
      const eml = fs.readFileSync(path.join(dataDir, 'mail', files[0]!), 'utf8');
      expect(eml).toContain(`Message-ID: ${messageId}`);
      expect(eml).toContain(`${IDEMPOTENCY_HEADER}: project-1/started/pm`);
      expect(lines).toEqual([expect.stringContaining(files[0]!)]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
