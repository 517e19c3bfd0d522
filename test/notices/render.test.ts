import fs from 'node:fs';
import { listTemplates, NoticeRenderError, renderNotice, UnknownTemplateError, type Locale } from '../../platform/notices';
import { formatDate, formatDuration } from '../../platform/notices/format';

const AT = '2026-11-23T06:05:00.000Z'; // 14:05 in Asia/Shanghai
const SHANGHAI: Record<Locale, string> = { 'zh-CN': '2026年11月23日 14:05', en: '23 Nov 2026, 14:05' };
const CJK = /[\u4e00-\u9fff]/;

const project = { code: 'P-2026-017', name: 'Line 3 retrofit', customer: 'Eastern Grid Co.', contractNo: 'C-88' };
const device = { model: 'AC-900', serial: 'SN-0001' };

/** A valid context per template, and which of its keys are optional. Every template must have one. */
const samples: Record<string, { context: Record<string, unknown>; optional?: string[] }> = {
  'test-notice': { context: { recipientName: 'Ann Lee', sentAt: AT } },
  invitation: { context: { recipientName: 'Ann Lee', email: 'ann@maker.test', inviterName: 'Administrator', link: 'https://aftercare.test/password?token=abc', expiresAt: AT } },
  'password-reset': { context: { recipientName: 'Ann Lee', email: 'ann@maker.test', link: 'https://aftercare.test/password?token=abc', expiresAt: AT } },
  'email-change': { context: { recipientName: 'Ann Lee', email: 'ann.lee@new.test', oldEmail: 'ann@maker.test', link: 'https://aftercare.test/profile/email/confirm?token=abc', expiresAt: AT } },
  'email-changed': { context: { recipientName: 'Ann Lee', email: 'ann.lee@new.test', oldEmail: 'ann@maker.test', changedAt: AT } },
  'deadline-reminder': {
    context: { recipientName: 'Ann Lee', task: 'Weekly installation report', dueAt: AT, project, device, actionUrl: 'https://aftercare.test/tasks/1?a=1&b=2' },
    optional: ['project', 'device'],
  },
  escalation: {
    context: { recipientName: 'Bo Chen', missed: 'Weekly installation report', dueAt: AT, responsibleName: 'Ann Lee', project, device, actionUrl: 'https://aftercare.test/tasks/1' },
    optional: ['project', 'device'],
  },
  'project-started': {
    context: { recipientName: 'Ann Lee', project, projectManager: 'Ann Lee', startedAt: AT, devices: [device, { model: 'AC-900', serial: 'SN-0002' }], actionUrl: 'https://aftercare.test/projects/17' },
  },
  'project-completed': {
    context: {
      recipientName: 'Ann Lee',
      project,
      completedAt: AT,
      warrantyPeriod: 'P12M',
      devices: [{ ...device, warrantyStart: '2026-11-23', warrantyEnd: '2027-11-22' }],
      actionUrl: 'https://aftercare.test/projects/17',
    },
  },
  'project-cancelled': { context: { recipientName: 'Ann Lee', project, cancelledAt: AT, cancelledBy: 'Bo Chen', reason: 'Contract withdrawn' } },
  'trial-extended': {
    context: { recipientName: 'Ann Lee', project, openIssues: 3, extensions: 1, maxExtensions: 2, endsAt: AT, actionUrl: 'https://aftercare.test/projects/17' },
  },
  'doa-excluded': {
    context: { recipientName: 'Ann Lee', project, device, exclusion: 'damage caused by people (not operated as documented)', reportedAt: AT, actionUrl: 'https://aftercare.test/projects/17/doa/SN-0001' },
    optional: ['reportedAt'],
  },
  'doa-return-requested': {
    context: { recipientName: 'Ann Lee', project, device, dueAt: AT, actionUrl: 'https://aftercare.test/projects/17/doa/SN-0001' },
  },
  'doa-charged': {
    context: { recipientName: 'Ann Lee', project, device, reason: 'the damaged unit was not returned in time', amount: { amount: 12_800_000, currency: 'CNY' }, dueAt: AT, actionUrl: 'https://aftercare.test/projects/17/doa/SN-0001' },
    optional: ['amount'],
  },
  'dealer-writeoff': {
    context: {
      dealer: 'Jiangxi Medical Supplies',
      period: '2026-11',
      version: 1,
      total: { amount: 6_868_900, currency: 'CNY' },
      lines: [{ claimId: 12, lineNo: 1, kind: 'part', kindName: { en: 'part', zh: '配件' }, amount: { amount: 6_868_900, currency: 'CNY' } }],
      confirmDueAt: AT,
    },
    optional: ['confirmDueAt'],
  },
  'dealer-card-not-recognised': {
    context: { recipientName: 'Dealer A', device, customerName: 'Zhang San', saleDate: '2026-11-03', dueAt: AT, reason: 'the warranty card was not completed within the time allowed', actionUrl: 'https://aftercare.test/dealer/sales/3' },
  },
  'dealer-claim-lines': {
    context: { recipientName: 'Dealer A', claimId: 12, deviceSerial: 'SN-0001', what: 'the old parts were not returned in time', lines: '1, 2', dueAt: AT, actionUrl: 'https://aftercare.test/dealer/claims/12' },
  },
  'dealer-task-arranged': {
    context: { recipientName: 'Zhang San', dealer: 'Dealer A', deviceSerial: 'SN-0001', visitAt: AT, arrangement: 'engineer Wang visits with a spare pump' },
  },
  'ticket-clock': {
    context: { recipientName: 'Bo Chen', ticket: { id: 42, symptom: 'no image', customer: 'Eastern Grid Co.', level: 1 }, device, clock: { en: 'Response', zh: '响应' }, breached: true, again: false, dueAt: AT, assigneeName: 'Ann Lee', actionUrl: 'https://aftercare.test/tickets/42' },
    optional: ['device', 'assigneeName', 'breached', 'again'],
  },
  'ticket-assigned': {
    context: { recipientName: 'Bo Chen', ticket: { id: 42, symptom: 'no image', customer: 'Eastern Grid Co.', level: 1 }, device, openedAt: AT, actionUrl: 'https://aftercare.test/tickets/42' },
    optional: ['device'],
  },
  'care-task-reminder': {
    context: { recipientName: 'Ann Lee', plan: { id: 7, customer: 'Eastern Grid Co.' }, task: { key: 'inspection:3', label: { en: 'Inspection visit', zh: '巡检' }, dueAt: AT, windowEnd: AT }, actionUrl: 'https://aftercare.test/care-plans/7' },
  },
  'care-follow-up': {
    context: { recipientName: 'Ann Lee', plan: { id: 7, customer: 'Eastern Grid Co.' }, reason: 'low satisfaction', call: 'call:2', score: 2, problems: null, attempts: null, ticketId: null, dueAt: AT, actionUrl: 'https://aftercare.test/care-plans/7' },
    optional: ['score', 'problems', 'attempts', 'ticketId'],
  },
  'care-warranty-expiring': {
    context: { recipientName: 'Ann Lee', plan: { id: 7, customer: 'Eastern Grid Co.' }, warrantyEndsAt: AT, hasContract: false, actionUrl: 'https://aftercare.test/care-plans/7' },
    optional: ['hasContract'],
  },
  'care-warranty-expired': {
    context: { recipientName: 'Ann Lee', plan: { id: 7, customer: 'Eastern Grid Co.' }, warrantyEndsAt: AT, hasContract: true, actionUrl: 'https://aftercare.test/care-plans/7' },
    optional: ['hasContract'],
  },
  'care-contract-renewal': {
    context: { recipientName: 'Ann Lee', plan: { id: 7, customer: 'Eastern Grid Co.' }, contract: { id: 'C1', endsAt: AT }, actionUrl: 'https://aftercare.test/care-plans/7' },
  },
  'ticket-resolved': {
    context: { recipientName: 'Ann Lee', ticket: { id: 42, symptom: 'no image', customer: 'Eastern Grid Co.', level: 1 }, device, workDone: 'replaced the detector cable', total: { amount: 55_000, currency: 'CNY' }, free: false, resolvedAt: AT, actionUrl: 'https://aftercare.test/tickets/42' },
    optional: ['device', 'free'],
  },
  'ticket-quote': {
    context: { recipientName: 'Ann Lee', ticket: { id: 42, symptom: 'no image', customer: 'Eastern Grid Co.', level: 3 }, device, labourHours: 1.5, labourRate: { amount: 20_000, currency: 'CNY' }, labour: { amount: 30_000, currency: 'CNY' }, travel: { amount: 5_000, currency: 'CNY' }, parts: { amount: 10_000, currency: 'CNY' }, total: { amount: 45_000, currency: 'CNY' }, note: 'tube worn', quotedAt: AT, actionUrl: 'https://aftercare.test/tickets/42' },
    optional: ['device', 'note'],
  },
  'ticket-survey': {
    context: { recipientName: 'Ann Lee', ticket: { id: 42, symptom: 'no image', customer: 'Eastern Grid Co.', level: 3 }, device, dueAt: AT, actionUrl: 'https://aftercare.test/survey/abc' },
    optional: ['device'],
  },
  'doa-charge-reversed': {
    context: { recipientName: 'Ann Lee', project, device, dueAt: AT, returnedAt: AT, actionUrl: 'https://aftercare.test/projects/17' },
  },
  'calendar-year-missing': {
    context: { recipientName: 'Ann Lee', calendar: { key: 'cn', name: 'PRC statutory holidays' }, year: 2027, neededAt: AT, actionUrl: 'https://aftercare.test/api/calendars/cn' },
  },
};

const cases = listTemplates().flatMap((template) => (['zh-CN', 'en'] as const).map((locale) => [template, locale] as const));

describe('notice templates', () => {
  it('has a sample context for every template folder', () => {
    expect(Object.keys(samples).sort()).toEqual(listTemplates());
  });

  it.each(cases)('%s renders in %s', (template, locale) => {
    const { subject, html, text } = renderNotice(template, locale, samples[template]!.context);
    expect(subject).toMatch(/\S/);
    expect(subject).not.toMatch(/\n/);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`<html lang="${locale}">`);
    expect(html).toContain('Asia/Shanghai');
    expect(text).toMatch(/\S/);
    for (const part of [subject, html, text]) {
      if (locale === 'zh-CN') expect(part).toMatch(CJK);
      else expect(part).not.toMatch(CJK);
    }
    // Every template shows at least one instant, in the recipient's zone and language.
    expect(text).toContain(SHANGHAI[locale]);
    expect(html).toContain(SHANGHAI[locale]);
  });

  it.each(cases)('%s (%s) throws when a required variable is missing', (template, locale) => {
    const { context, optional = [] } = samples[template]!;
    for (const key of Object.keys(context).filter((k) => !optional.includes(k))) {
      const { [key]: _omitted, ...rest } = context;
      expect(() => renderNotice(template, locale, rest)).toThrow(NoticeRenderError);
    }
  });

  it('renders without the optional parts', () => {
    const { project: _p, device: _d, ...context } = samples['deadline-reminder']!.context;
    const { text } = renderNotice('deadline-reminder', 'en', context);
    expect(text).not.toContain('Project:');
    expect(text).toContain('Weekly installation report');
  });

  it('names the missing variable', () => {
    expect(() => renderNotice('test-notice', 'en', { sentAt: AT })).toThrow(/test-notice\/en\.\w+: "recipientName" not defined/);
  });

  it('escapes values in HTML but not in the text part', () => {
    const context = { ...samples['test-notice']!.context, recipientName: '<b>Ann & Co</b>' };
    const { html, text } = renderNotice('test-notice', 'en', context);
    expect(html).toContain('&lt;b&gt;Ann &amp; Co&lt;/b&gt;');
    expect(text).toContain('<b>Ann & Co</b>');
  });

  it('lists devices with their warranty dates', () => {
    const { text } = renderNotice('project-completed', 'zh-CN', samples['project-completed']!.context);
    expect(text).toContain('12个月');
    expect(text).toContain('AC-900，序列号 SN-0001：2026年11月23日 至 2027年11月22日');
  });

  it('formats dates in the time zone it is given', () => {
    const { subject } = renderNotice('deadline-reminder', 'en', samples['deadline-reminder']!.context, { timeZone: 'Europe/Berlin' });
    expect(subject).toContain('23 Nov 2026, 07:05');
    expect(() => renderNotice('test-notice', 'en', samples['test-notice']!.context, { timeZone: 'Mars/Base' })).toThrow(/Unknown time zone/);
  });

  it('falls back to English for an unknown locale and reads zh variants as zh-CN', () => {
    expect(renderNotice('test-notice', 'fr', samples['test-notice']!.context).locale).toBe('en');
    expect(renderNotice('test-notice', 'zh', samples['test-notice']!.context).locale).toBe('zh-CN');
  });

  it('rejects an unknown template by name', () => {
    expect(() => renderNotice('no-such-template', 'en', {})).toThrow(UnknownTemplateError);
    expect(() => renderNotice('../templates', 'en', {})).toThrow(/Unknown notice template "\.\.\/templates" \(known: calendar-year-missing, care-contract-renewal, care-follow-up, care-task-reminder, care-warranty-expired, care-warranty-expiring, deadline-reminder/);
  });

  it.each([
    ['en', /No service manager is on record; this went to the administrators/],
    ['zh-CN', /系统中没有登记服务经理，本通知已发送给管理员/],
  ] as const)('says in %s when an escalation went to the administrators, and only then', (locale, note) => {
    const toAdmins = renderNotice('escalation', locale, { ...samples.escalation!.context, sentToAdmins: true });
    expect(toAdmins.text).toMatch(note);
    expect(toAdmins.html).toMatch(note);
    const toManager = renderNotice('escalation', locale, { ...samples.escalation!.context, sentToAdmins: false });
    expect(toManager.text).not.toMatch(note);
    expect(toManager.html).not.toMatch(note);
  });

  it('compiles each template once', () => {
    renderNotice('escalation', 'en', samples.escalation!.context);
    const read = jest.spyOn(fs, 'readFileSync');
    try {
      renderNotice('escalation', 'en', samples.escalation!.context);
      expect(read).not.toHaveBeenCalled();
    } finally {
      read.mockRestore();
    }
  });
});

describe('money in doa-charged', () => {
  const context = { ...samples['doa-charged']!.context, amount: { amount: 12_800_000, currency: 'CNY' } };

  it.each([
    ['zh-CN', 'zh-CN'],
    ['en', 'en-GB'],
  ] as const)('shows the amount with Intl in %s, with its currency', (locale, intl) => {
    const formatted = new Intl.NumberFormat(intl, { style: 'currency', currency: 'CNY' }).format(128_000);
    const { text, html } = renderNotice('doa-charged', locale, context);
    expect(formatted).toContain('128,000.00');
    expect(text).toContain(formatted);
    expect(html).toContain(formatted);
  });

  it('shows yen without minor units', () => {
    const { text } = renderNotice('doa-charged', 'en', { ...context, amount: { amount: 56_000, currency: 'JPY' } });
    expect(text).toContain(new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'JPY' }).format(56_000));
  });

  it('refuses a plain number: amounts carry their currency', () => {
    expect(() => renderNotice('doa-charged', 'en', { ...context, amount: 128000 })).toThrow(NoticeRenderError);
  });
});

describe('date helper', () => {
  it('formats an instant per locale and zone', () => {
    expect(formatDate(AT, 'zh-CN', 'Asia/Shanghai')).toBe('2026年11月23日 14:05');
    expect(formatDate(new Date(AT), 'en', 'Asia/Shanghai')).toBe('23 Nov 2026, 14:05');
    expect(formatDate(AT, 'en', 'Asia/Shanghai', 'date')).toBe('23 Nov 2026');
  });

  it('never shifts a date-only value', () => {
    expect(formatDate('2026-11-23', 'en', 'America/Los_Angeles')).toBe('23 Nov 2026');
    expect(formatDate('2026-11-23', 'zh-CN', 'Pacific/Kiritimati')).toBe('2026年11月23日');
  });

  it('rejects what is not a date', () => {
    expect(() => formatDate(undefined, 'en', 'UTC')).toThrow(/expected an ISO date/);
    expect(() => formatDate('soon', 'en', 'UTC')).toThrow(/expected an ISO date/);
  });
});

describe('duration helper', () => {
  it.each([
    ['P3M', '3 months', '3个月'],
    ['P1M', '1 month', '1个月'],
    ['P12M', '12 months', '12个月'],
    ['P1Y2M', '1 year 2 months', '1年2个月'],
    ['P15D', '15 days', '15天'],
    ['P2W', '2 weeks', '2周'],
    ['PT4H', '4 hours', '4小时'],
    ['PT1H30M', '1 hour 30 minutes', '1小时30分钟'],
    ['PT0.5H', '0.5 hours', '0.5小时'],
    ['PT10S', '10 seconds', '10秒'],
  ])('%s → "%s" / "%s"', (iso, en, zh) => {
    expect(formatDuration(iso, 'en')).toBe(en);
    expect(formatDuration(iso, 'zh-CN')).toBe(zh);
  });

  it.each(['', 'P', 'PT', '3M', 'P3X', undefined, 3])('rejects %p', (value) => {
    expect(() => formatDuration(value, 'en')).toThrow(/expected an ISO-8601 duration/);
  });
});
