/** The field schemas every write body is built from: what the mailer, Intl/luxon and the columns can use. */
import { DateSchema, EmailSchema, InstantSchema, isMailerAddress, line, MoneySchema, prose, TimeZoneSchema } from '../../platform/http/fields';
import { CreateProjectBody, FinalAcceptanceBody, NewCustomerSchema } from '../../processes/delivery/useCases/schemas';
import { CreateUserBody } from '../../people/routes';

const messages = (result: { success: boolean; error?: { issues: { message: string }[] } }) => result.error?.issues.map((i) => i.message).join('; ') ?? '';

describe('TimeZoneSchema', () => {
  it.each(['Asia/Shanghai', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT-8'])('accepts %s', (zone) => expect(TimeZoneSchema.safeParse(zone).success).toBe(true));
  it.each(['Mars/Olympus', 'Asia/Shanghai ', '', 'Beijing', 'UTC+8', 'Etc/GMT+15', 'x'.repeat(65), 'Asia/Shang\u0000hai'])('refuses %p', (zone) => {
    const result = TimeZoneSchema.safeParse(zone);
    expect(result.success).toBe(false);
  });
  it('says what it wants', () => expect(messages(TimeZoneSchema.safeParse('Mars/Olympus'))).toContain('IANA time zone'));
});

describe('EmailSchema and isMailerAddress', () => {
  it.each(['wang.fang@hospital.example', "o'brien@maker.test", 'a+tag@x.cn'])('accepts %s', (email) => expect(EmailSchema.safeParse(email).success).toBe(true));
  it.each(['nope', 'a@b', 'a b@c.com', '"x"@b.co', 'Name <a@b.co>', 'a@b.co, c@d.co', 'a@b.co\n', ' a@b.co', `${'a'.repeat(190)}@b.co`])('refuses %p', (email) =>
    expect(EmailSchema.safeParse(email).success).toBe(false),
  );
  it('asks nodemailer: an address it would read as someone else, or as two, is not one', () => {
    expect(isMailerAddress('a@b.co')).toBe(true);
    expect(isMailerAddress('"x"@b.co')).toBe(false);
    expect(isMailerAddress('a@b.co, c@d.co')).toBe(false);
    expect(isMailerAddress('Ann <a@b.co>')).toBe(false);
  });
});

describe('DateSchema and InstantSchema', () => {
  it.each(['2026-11-24', '2028-02-29', '1900-01-01'])('accepts the date %s', (date) => expect(DateSchema.safeParse(date).success).toBe(true));
  it.each(['2026-02-30', '2027-02-29', '2026-13-01', '2026-11-24T00:00:00Z', '24.11.2026', '0000-01-01', '1899-12-31'])('refuses the date %p', (date) =>
    expect(DateSchema.safeParse(date).success).toBe(false),
  );
  it.each(['2026-11-24T09:30:00+08:00', '2026-11-24T01:30:00Z', '2026-11-24T01:30:00.123Z'])('accepts the instant %s', (at) => expect(InstantSchema.safeParse(at).success).toBe(true));
  it.each(['yesterday', '2026-11-24', '2026-02-30T10:00:00Z', '2026-11-24T25:00:00Z'])('refuses the instant %p', (at) => expect(InstantSchema.safeParse(at).success).toBe(false));
});

describe('text fields', () => {
  it('trims and bounds one-line text to the column', () => {
    expect(line(5).parse('  abc  ')).toBe('abc');
    expect(line(5).safeParse('abcdef').success).toBe(false);
    expect(line(5).safeParse('   ').success).toBe(false);
  });
  it.each(['a\nb', 'a\u0000b', 'a\u001bb', 'a\ud800b', '\udfff'])('refuses %p on one line', (text) => expect(line().safeParse(text).success).toBe(false));
  it('allows line breaks in prose but no NUL or unpaired surrogate', () => {
    expect(prose().safeParse('line one\nline two\ttabbed').success).toBe(true);
    expect(prose().safeParse('a\u0000b').success).toBe(false);
    expect(prose().safeParse('a\ud83d').success).toBe(false);
    expect(prose().safeParse('设备 😀 ok').success).toBe(true);
  });
});

describe('MoneySchema', () => {
  it('accepts integer minor units with a known currency', () => expect(MoneySchema.parse({ amount: 12_800_000, currency: 'CNY' })).toEqual({ amount: 12_800_000, currency: 'CNY' }));
  it('refuses a plain number, saying the new form', () => {
    const result = MoneySchema.safeParse(128000);
    expect(result.success).toBe(false);
    expect(messages(result)).toContain('{"amount": 12800000, "currency": "CNY"}');
  });
  it.each([
    [{ amount: 1280.5, currency: 'CNY' }, 'amount'],
    [{ amount: -1, currency: 'CNY' }, 'amount'],
    [{ amount: 2 ** 53, currency: 'CNY' }, 'amount'],
    [{ amount: '100', currency: 'CNY' }, 'amount'],
    [{ amount: 100, currency: 'RMB' }, 'currency'],
    [{ amount: 100, currency: 'cny' }, 'currency'],
    [{ amount: 100 }, 'currency'],
    [{ amount: 100, currency: 'CNY', note: 'x' }, ''],
  ])('refuses %p at %p', (value, field) => {
    const result = MoneySchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.join('.')).toBe(field);
  });
});

describe('bodies hold what the columns hold', () => {
  const customer = { name: 'Hospital', contacts: [{ name: 'Wang Fang', email: 'wf@h.test' }] };
  it('a contact role fits customer_contacts.role (32)', () => {
    expect(NewCustomerSchema.safeParse({ ...customer, contacts: [{ ...customer.contacts[0], role: 'r'.repeat(32) }] }).success).toBe(true);
    expect(NewCustomerSchema.safeParse({ ...customer, contacts: [{ ...customer.contacts[0], role: 'r'.repeat(33) }] }).success).toBe(false);
  });
  it('quality scores are whole points (the score column is an integer)', () => {
    const body = { passed: true, signatures: [], scores: { hardware: 28.5, software: 45, documents: 9, satisfaction: 10 } };
    expect(FinalAcceptanceBody.safeParse(body).error?.issues.map((i) => i.path.join('.'))).toEqual(['scores.hardware']);
  });
  it('ids fit INT UNSIGNED', () => {
    const user = { name: 'D', email: 'd@x.test', role: 'dealer' };
    expect(CreateUserBody.safeParse({ ...user, dealerId: 4_294_967_295 }).success).toBe(true);
    expect(CreateUserBody.safeParse({ ...user, dealerId: 4_294_967_296 }).success).toBe(false);
  });
  it('an unknown field is refused, not dropped', () => {
    const result = CreateUserBody.safeParse({ name: 'A', email: 'a@x.test', role: 'engineer', admin: true });
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });
  it('a project names the bad device price by its path', () => {
    const body = { contractNo: 'HT-1', name: 'P', customer, projectManager: { name: 'PM', email: 'pm@x.test' }, devices: [{ model: 'M', serial: 'S', catalogPrice: 128000 }] };
    expect(CreateProjectBody.safeParse(body).error?.issues.map((i) => i.path.join('.'))).toEqual(['devices.0.catalogPrice']);
  });
});
