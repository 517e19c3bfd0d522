import { ROLES, type Role } from '../../domain/access';
import { ADMIN_GRANTED, isStaff, mayChange, mayGrant, STAFF_RANK } from '../../people/roleRules';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem, personalParts } from '../../people/passwordRules';
import { addressMayTry, DEFAULT_ADDRESS_LIMIT, FREE_FAILURES, MAX_DELAY_MS, signInDelayMs, waitBeforeTryMs } from '../../people/signInRules';
import { checkNewPassword, isCommonPassword } from '../../people/passwords';

/** Every (granter, role) pair, with the answer written out row by row: the whole rule at a glance. */
const STAFF_BY_SERVICE_MANAGER: Role[] = ['project_manager', 'dispatcher', 'engineer', 'senior_engineer', 'service_manager', 'technical_appraiser', 'sales_clerk'];

describe('who may grant which role', () => {
  it.each(ROLES.flatMap((granter) => ROLES.map((role) => [granter, role] as const)))('%s granting %s', (granter, role) => {
    const expected = granter === 'admin' || (granter === 'service_manager' && STAFF_BY_SERVICE_MANAGER.includes(role));
    expect(mayGrant(granter, role)).toBe(expected);
  });

  it('no one but an admin grants admin or finance, and no one grants a role ranked above their own', () => {
    for (const granter of ROLES) {
      for (const role of ROLES) {
        if (!mayGrant(granter, role)) continue;
        if (ADMIN_GRANTED.includes(role)) expect(granter).toBe('admin');
        if (isStaff(role) && granter !== 'admin') expect(STAFF_RANK[role]!).toBeLessThanOrEqual(STAFF_RANK[granter]!);
        if (!isStaff(role)) expect(granter).toBe('admin');
      }
    }
  });

  it.each(ROLES.flatMap((changer) => ROLES.map((current) => [changer, current] as const)))('%s changing an account that is %s', (changer, current) => {
    // An admin changes any account; a service manager only one strictly below their own rank (no peer).
    const expected = changer === 'admin' || (changer === 'service_manager' && STAFF_BY_SERVICE_MANAGER.includes(current) && current !== 'service_manager');
    expect(mayChange(changer, current)).toBe(expected);
  });

  it('ranks every staff role and none of the outside ones', () => {
    expect(ROLES.filter((role) => !isStaff(role))).toEqual(['dealer', 'customer']);
  });
});

describe('password rules', () => {
  const owner = { email: 'zhang.wei@maker.test', name: 'Zhang Wei' };
  const never = () => false;

  it('asks for at least 12 characters, counting a character as people do, and at most 256', () => {
    expect(passwordProblem('a'.repeat(PASSWORD_MIN_LENGTH - 1), owner, never)).toBe('too_short');
    expect(passwordProblem('b'.repeat(PASSWORD_MIN_LENGTH), owner, never)).toBeNull();
    expect(passwordProblem('售后服务很重要的密码短', owner, never)).toBe('too_short'); // 11 characters, 33 bytes
    expect(passwordProblem('售后服务很重要的密码短语', owner, never)).toBeNull();
    expect(passwordProblem('🔒'.repeat(12), owner, never)).toBeNull();
    expect(passwordProblem('c'.repeat(PASSWORD_MAX_LENGTH + 1), owner, never)).toBe('too_long');
  });

  it('has no composition rules: lower-case words alone are fine', () => {
    expect(passwordProblem('correct horse battery staple', owner, never)).toBeNull();
  });

  it('refuses the common passwords, whatever their case', () => {
    const common = (p: string) => p === 'passwordpassword';
    expect(passwordProblem('PasswordPassword', owner, common)).toBe('common');
  });

  it('refuses a password containing the e-mail local part or the name, or a part of either of 3 characters or more', () => {
    expect(personalParts(owner)).toEqual(expect.arrayContaining(['zhang.wei', 'zhangwei', 'zhang', 'wei']));
    expect(passwordProblem('my-zhang.wei-secret', owner, never)).toBe('personal');
    expect(passwordProblem('ZhangWei is my name', owner, never)).toBe('personal');
    expect(passwordProblem('the wei of the river', owner, never)).toBe('personal');
    expect(passwordProblem('li na writes poems', { email: 'l@x.test', name: 'Li Na' }, never)).toBeNull();
    expect(passwordProblem('my friend lina writes', { email: 'l@x.test', name: 'Li Na' }, never)).toBe('personal');
    expect(passwordProblem('nothing personal here', { email: null, name: null }, never)).toBeNull();
  });

  it('checks in order: length first, then the list, then the person', () => {
    expect(passwordProblem('zhang', owner, () => true)).toBe('too_short');
    expect(passwordProblem('zhangzhangzhang', owner, () => true)).toBe('common');
  });

  it('knows the common passwords of @zxcvbn-ts/language-common, and the real policy uses them', () => {
    expect(isCommonPassword('123456789012')).toBe(true);
    expect(isCommonPassword('qwertyuiopasdfgh')).toBe(false);
    expect(checkNewPassword('1q2w3e4r5t6y', owner)).toBe('common');
    expect(checkNewPassword('Trustno1Trustno1', owner)).toBeNull();
    expect(checkNewPassword('a tram in the rain at dusk', owner)).toBeNull();
  });
});

describe('sign-in delays and limits', () => {
  it('costs nothing for the first failures, then doubles from 1 s up to a minute, never locking out', () => {
    const delays = Array.from({ length: 20 }, (_, n) => signInDelayMs(n));
    expect(delays.slice(0, FREE_FAILURES)).toEqual([0, 0, 0, 0, 0]);
    expect(delays.slice(FREE_FAILURES, FREE_FAILURES + 7)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000]);
    for (let n = 1; n < delays.length; n++) expect(delays[n]!).toBeGreaterThanOrEqual(delays[n - 1]!);
    expect(signInDelayMs(1_000_000)).toBe(MAX_DELAY_MS);
    expect(signInDelayMs(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('says how long is left to wait after the last failure', () => {
    const at = new Date('2026-12-07T10:00:00Z');
    const after = (ms: number) => new Date(at.getTime() + ms);
    expect(waitBeforeTryMs(4, at, at)).toBe(0);
    expect(waitBeforeTryMs(5, at, after(400))).toBe(600);
    expect(waitBeforeTryMs(5, at, after(1_000))).toBe(0);
    expect(waitBeforeTryMs(7, at, after(1_000))).toBe(3_000);
    expect(waitBeforeTryMs(50, at, after(59_999))).toBe(1);
    expect(waitBeforeTryMs(50, null, at)).toBe(0);
  });

  it('allows an address 100 failures per 15 minutes by default', () => {
    expect(DEFAULT_ADDRESS_LIMIT).toEqual({ attempts: 100, windowMs: 15 * 60_000 });
    expect(addressMayTry(99, DEFAULT_ADDRESS_LIMIT)).toBe(true);
    expect(addressMayTry(100, DEFAULT_ADDRESS_LIMIT)).toBe(false);
  });
});
