import * as OTPAuth from 'otpauth';
import { ROLES } from '../../domain/access';
import {
  codeKind,
  codeWaitMs,
  DEFAULT_CODE_MAX_WAIT_MS,
  FREE_CODE_FAILURES,
  formatRecoveryCode,
  gateFor,
  mustEnrol,
  normalizeCode,
  RECOVERY_CODE_COUNT,
  stepAcceptable,
  stepAt,
} from '../../people/secondFactor/rules';
import { matchingStep, newRecoveryCodes, newTotpSecret, recoveryCodeHash, SecretBox, totpUri } from '../../people/secondFactor/secrets';
import { isBootstrapToken } from '../../people/tokenRules';

/** RFC 6238 Appendix B: the seeds and the 8-digit codes at each time, for SHA1, SHA256 and SHA512. */
const SEEDS = { SHA1: '12345678901234567890', SHA256: '12345678901234567890123456789012', SHA512: '1234567890123456789012345678901234567890123456789012345678901234' } as const;
const VECTORS: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
const RFC_SECRET = new OTPAuth.Secret({ buffer: new TextEncoder().encode(SEEDS.SHA1).buffer as ArrayBuffer }).base32;

describe('TOTP through otpauth', () => {
  it.each(VECTORS)('RFC 6238 test vectors at T = %i s', (seconds, sha1, sha256, sha512) => {
    for (const [algorithm, expected] of [['SHA1', sha1], ['SHA256', sha256], ['SHA512', sha512]] as const) {
      const secret = OTPAuth.Secret.fromLatin1(SEEDS[algorithm]);
      expect(OTPAuth.TOTP.generate({ secret, algorithm, digits: 8, period: 30, timestamp: seconds * 1000 })).toBe(expected);
    }
  });

  it.each(VECTORS)('our 6-digit SHA1 codes are the vectors’ last six digits, matched at their step (T = %i s)', (seconds, sha1) => {
    expect(matchingStep(RFC_SECRET, sha1.slice(2), seconds * 1000)).toBe(stepAt(seconds * 1000));
  });

  it('accepts a code one step either side (a drifting phone clock) and no further', () => {
    const at = 1_111_111_111_000;
    const code = OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(RFC_SECRET), timestamp: at });
    expect(matchingStep(RFC_SECRET, code, at + 30_000)).toBe(stepAt(at));
    expect(matchingStep(RFC_SECRET, code, at - 30_000)).toBe(stepAt(at));
    expect(matchingStep(RFC_SECRET, code, at + 60_000)).toBeNull();
    expect(matchingStep(RFC_SECRET, code, at - 60_000)).toBeNull();
    expect(matchingStep(RFC_SECRET, code === '000000' ? '000001' : '000000', at)).toBeNull();
  });

  it('reads spaces and dashes in a code as nothing', () => {
    const at = 59_000;
    expect(matchingStep(RFC_SECRET, '287 082', at)).toBe(1);
    expect(matchingStep(RFC_SECRET, '287-082', at)).toBe(1);
  });

  it('makes 160-bit base32 secrets and an otpauth:// URI apps scan', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = totpUri(secret, 'finance@maker.test');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Aftercare:finance%40maker\.test\?/);
    expect(new URL(uri).searchParams.get('secret')).toBe(secret);
    expect(new URL(uri).searchParams.get('digits')).toBe('6');
    expect(new URL(uri).searchParams.get('period')).toBe('30');
  });
});

describe('a code is never accepted twice', () => {
  it('is good within one step of now and only after the last accepted step', () => {
    expect(stepAcceptable(100, 100, null)).toBe(true);
    expect(stepAcceptable(99, 100, null)).toBe(true);
    expect(stepAcceptable(101, 100, null)).toBe(true);
    expect(stepAcceptable(98, 100, null)).toBe(false);
    expect(stepAcceptable(102, 100, null)).toBe(false);
    // The same code again, or an earlier one still in the window, is refused.
    expect(stepAcceptable(100, 100, 100)).toBe(false);
    expect(stepAcceptable(99, 100, 100)).toBe(false);
    expect(stepAcceptable(101, 100, 100)).toBe(true);
  });

  it('counts steps of 30 seconds from the epoch', () => {
    expect(stepAt(0)).toBe(0);
    expect(stepAt(29_999)).toBe(0);
    expect(stepAt(30_000)).toBe(1);
    expect(stepAt(59_000)).toBe(1);
  });
});

describe('the form of codes', () => {
  it('tells a TOTP code from a recovery code and refuses anything else', () => {
    expect(codeKind('123456')).toBe('totp');
    expect(codeKind(' 123 456 ')).toBe('totp');
    expect(codeKind('12345')).toBe('malformed');
    expect(codeKind('1234567')).toBe('malformed');
    expect(codeKind('abcd-efgh-jkmn-pqrs')).toBe('recovery');
    expect(codeKind('ABCD EFGH JKMN PQRS')).toBe('recovery');
    // 0, o, 1, l and i are not in the alphabet: a mistyped look-alike is no recovery code.
    expect(codeKind('abcd-efgh-jkmn-pqr0')).toBe('malformed');
    expect(codeKind('abcd-efgh-jkmn-pqri')).toBe('malformed');
    expect(codeKind('')).toBe('malformed');
    expect(normalizeCode(' Ab-Cd ')).toBe('abcd');
  });

  it('makes ten recovery codes of 80 bits, stored only as hashes of what people type', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes.map((c) => c.code)).size).toBe(RECOVERY_CODE_COUNT);
    for (const { code, hash } of codes) {
      expect(codeKind(code)).toBe('recovery');
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).not.toContain(code);
      expect(recoveryCodeHash(formatRecoveryCode(code).toUpperCase())).toBe(hash);
      expect(formatRecoveryCode(code)).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    }
  });
});

describe('sealed secrets', () => {
  it('opens what it sealed, with a fresh nonce each time, and never shows the secret in the sealed form', () => {
    const box = new SecretBox('a configured key of at least thirty-two characters');
    const secret = newTotpSecret();
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret);
    expect(box.seal(secret)).not.toBe(sealed);
    expect(box.open(sealed)).toBe(secret);
  });

  it('another key cannot open it; a secret sealed before a key was set still opens', () => {
    const secret = newTotpSecret();
    const sealed = new SecretBox('a configured key of at least thirty-two characters').seal(secret);
    expect(new SecretBox('another key, also thirty-two characters or more').open(sealed)).toBeNull();
    expect(new SecretBox().open(sealed)).toBeNull();
    expect(new SecretBox('a configured key of at least thirty-two characters').open(new SecretBox().seal(secret))).toBe(secret);
    expect(new SecretBox().open('not sealed')).toBeNull();
    expect(new SecretBox().open(`${sealed.slice(0, -2)}AA`)).toBeNull();
  });
});

describe('who must enrol, and the gate', () => {
  it.each(ROLES)('%s', (role) => {
    const required = role === 'admin' || role === 'finance';
    expect(mustEnrol(role)).toBe(required);
    const person = { apiTokenId: null, bootstrapToken: false, secondFactorAt: null };
    expect(gateFor(person, { role, enrolled: false })).toBe(required ? 'enrol' : 'open');
    expect(gateFor(person, { role, enrolled: true })).toBe('verify');
    expect(gateFor({ ...person, secondFactorAt: new Date() }, { role, enrolled: true })).toBe('open');
    // A token's session is held like a person's where the role requires a factor; else it is a machine's.
    const token = { apiTokenId: 7, bootstrapToken: false, secondFactorAt: null };
    expect(gateFor(token, { role, enrolled: true })).toBe(required ? 'verify' : 'open');
    expect(gateFor(token, { role, enrolled: false })).toBe(required ? 'enrol' : 'open');
    expect(gateFor({ ...token, secondFactorAt: new Date() }, { role, enrolled: true })).toBe('open');
  });

  it('leaves only the bootstrap admin token ungated', () => {
    const bootstrap = { apiTokenId: 1, bootstrapToken: true, secondFactorAt: null };
    expect(gateFor(bootstrap, { role: 'admin', enrolled: false })).toBe('open');
    expect(gateFor(bootstrap, { role: 'admin', enrolled: true })).toBe('open');
    expect(gateFor({ ...bootstrap, bootstrapToken: false }, { role: 'admin', enrolled: false })).toBe('enrol');
    expect(gateFor({ ...bootstrap, bootstrapToken: false }, { role: 'finance', enrolled: true })).toBe('verify');
  });

  it('knows the bootstrap token by its origin, not its name alone', () => {
    const bootstrap = { label: 'bootstrap', createdByUserId: null, expiresAt: null, holderEmail: 'admin@localhost' };
    expect(isBootstrapToken(bootstrap)).toBe(true);
    // A token someone named 'bootstrap' through the API has a maker and an expiry.
    expect(isBootstrapToken({ ...bootstrap, createdByUserId: 1 })).toBe(false);
    expect(isBootstrapToken({ ...bootstrap, expiresAt: new Date() })).toBe(false);
    expect(isBootstrapToken({ ...bootstrap, holderEmail: 'finance@example.com' })).toBe(false);
    expect(isBootstrapToken({ ...bootstrap, label: 'initial' })).toBe(false);
  });
});

describe('the wait after wrong codes', () => {
  const at = new Date('2026-12-08T10:00:00Z');
  const later = (ms: number) => new Date(at.getTime() + ms);

  it('costs nothing for the first few, then doubles from one second up to the cap', () => {
    for (let failures = 0; failures < FREE_CODE_FAILURES; failures += 1) expect(codeWaitMs(failures, at, at)).toBe(0);
    expect(codeWaitMs(FREE_CODE_FAILURES, at, at)).toBe(1_000);
    expect(codeWaitMs(FREE_CODE_FAILURES + 1, at, at)).toBe(2_000);
    expect(codeWaitMs(FREE_CODE_FAILURES + 3, at, at)).toBe(8_000);
    expect(codeWaitMs(FREE_CODE_FAILURES + 20, at, at)).toBe(DEFAULT_CODE_MAX_WAIT_MS);
    expect(codeWaitMs(FREE_CODE_FAILURES + 1_000, at, at)).toBe(DEFAULT_CODE_MAX_WAIT_MS);
    expect(codeWaitMs(FREE_CODE_FAILURES + 20, at, at, 60_000)).toBe(60_000);
  });

  it('runs from the last wrong code', () => {
    expect(codeWaitMs(FREE_CODE_FAILURES + 1, at, later(500))).toBe(1_500);
    expect(codeWaitMs(FREE_CODE_FAILURES + 1, at, later(2_000))).toBe(0);
    expect(codeWaitMs(FREE_CODE_FAILURES + 1, null, at)).toBe(0);
    expect(codeWaitMs(Number.NaN, at, at)).toBe(0);
  });
});
