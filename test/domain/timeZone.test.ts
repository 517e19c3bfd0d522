/**
 * One time-zone check (issue #20): domain/calendar.ts `isTimeZone` is the only one, and every place
 * that takes a zone (the API's fields, the policy, notices) accepts and refuses the same names.
 */
import { isTimeZone } from '../../domain';
import { validatePolicyOverride } from '../../domain/policy';
import { TimeZoneSchema } from '../../platform/http/fields';
import { renderNotice } from '../../platform/notices';

const CASES: Array<[zone: string, valid: boolean]> = [
  ['Asia/Shanghai', true],
  ['UTC', true],
  ['Europe/Berlin', true],
  ['America/Argentina/Buenos_Aires', true],
  ['Mars/Base', false],
  ['', false],
  [' Asia/Shanghai', false],
  ['+08:00', false],
  ['Asia/Shanghai/Pudong', false],
];

/** Whether each place that takes a zone takes this one. */
const acceptedBy = (zone: string) => ({
  domain: isTimeZone(zone),
  apiField: TimeZoneSchema.safeParse(zone).success,
  policy: validatePolicyOverride({ dealer: { settlementTimeZone: zone } }).ok,
  notices: (() => {
    try {
      renderNotice('test-notice', 'en', { recipientName: 'Ann Lee', sentAt: '2026-11-23T06:05:00.000Z' }, { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  })(),
});

describe('the one time-zone check', () => {
  it.each(CASES)('%j: valid = %s, the same everywhere', (zone, valid) => {
    expect(acceptedBy(zone)).toEqual({ domain: valid, apiField: valid, policy: valid, notices: valid });
  });

  it('refuses what is not text', () => {
    expect(isTimeZone(undefined)).toBe(false);
    expect(isTimeZone(8)).toBe(false);
  });

  it('names the field when the policy refuses a zone', () => {
    expect(validatePolicyOverride({ dealer: { settlementTimeZone: 'Mars/Base' } })).toMatchObject({
      ok: false,
      issues: [{ field: 'dealer.settlementTimeZone', message: 'must be an IANA time zone such as Asia/Shanghai, got "Mars/Base"' }],
    });
  });
});
