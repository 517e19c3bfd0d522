/** Who may sign in through single sign-on (people/oidc/rules.ts), and the sealed cookie of a sign-in under way (people/oidc/pending.ts). */
import { ROLES, type Role } from '../../domain/access';
import { isStaff } from '../../people/roleRules';
import { accountRefusal, claimedEmail, claimsRefusal, emailVerified, PENDING_SIGN_IN_MS, pendingIsFresh } from '../../people/oidc/rules';
import { openPending, sealPending, type PendingSignIn } from '../../people/oidc/pending';

describe('the claims single sign-on needs', () => {
  it('takes the address lower-cased and trimmed, and nothing that is not one address', () => {
    expect(claimedEmail({ email: '  Grace.Hopper@Maker.TEST ' })).toBe('grace.hopper@maker.test');
    for (const email of [undefined, null, 42, '', 'no-at-sign', 'two words@maker.test', 'a@b@c', `${'x'.repeat(190)}@maker.test`]) expect(claimedEmail({ email })).toBeNull();
  });

  it('wants the provider to vouch for the address: email_verified true (or Entra ID’s xms_edov), never a missing or false one', () => {
    expect(emailVerified({ email_verified: true })).toBe(true);
    expect(emailVerified({ email_verified: 'true' })).toBe(true);
    expect(emailVerified({ xms_edov: true })).toBe(true);
    for (const claims of [{}, { email_verified: false }, { email_verified: 'false' }, { email_verified: 1 }, { xms_edov: false }]) expect(emailVerified(claims)).toBe(false);
  });

  it('refuses claims without an address first, then an unverified one', () => {
    expect(claimsRefusal({ email_verified: true })).toBe('email_missing');
    expect(claimsRefusal({ email: 'a@maker.test', email_verified: false })).toBe('email_unverified');
    expect(claimsRefusal({ email: 'a@maker.test' })).toBe('email_unverified');
    expect(claimsRefusal({ email: 'a@maker.test', email_verified: true })).toBeNull();
  });
});

describe('the account a verified address may sign in to', () => {
  it('must exist: a sign-in never creates an account', () => {
    expect(accountRefusal(null)).toBe('unknown_account');
  });

  it('must be active', () => {
    expect(accountRefusal({ active: false, role: 'engineer' })).toBe('deactivated');
  });

  it.each(ROLES.map((role) => [role]))('%s: staff sign in, dealers and customers do not', (role: Role) => {
    const expected = role === 'dealer' || role === 'customer' ? 'not_staff' : null;
    expect(accountRefusal({ active: true, role })).toBe(expected);
    expect(isStaff(role)).toBe(expected === null);
  });
});

describe('a sign-in under way', () => {
  const now = Date.UTC(2026, 11, 8, 3, 0, 0);

  it('may finish within ten minutes, not later, and not from a start in the future', () => {
    expect(pendingIsFresh(now, now)).toBe(true);
    expect(pendingIsFresh(now - PENDING_SIGN_IN_MS, now)).toBe(true);
    expect(pendingIsFresh(now - PENDING_SIGN_IN_MS - 1, now)).toBe(false);
    expect(pendingIsFresh(now + 30_000, now)).toBe(true);
    expect(pendingIsFresh(now + 120_000, now)).toBe(false);
    expect(pendingIsFresh(Number.NaN, now)).toBe(false);
  });

  const pending: PendingSignIn = { state: 'state-1', nonce: 'nonce-1', codeVerifier: 'verifier-1', next: '/projects?stage=installing', startedAt: now };
  const secret = 'a-client-secret-of-32-characters';

  it('is sealed: read back with the same secret, and it carries nothing readable', () => {
    const sealed = sealPending(pending, secret);
    expect(openPending(sealed, secret)).toEqual(pending);
    for (const plain of ['state-1', 'nonce-1', 'verifier-1', 'projects']) expect(Buffer.from(sealed.replace(/\./g, ''), 'base64url').toString('latin1')).not.toContain(plain);
    // A new seal each time: the same sign-in twice never gives the same cookie.
    expect(sealPending(pending, secret)).not.toBe(sealed);
  });

  it('refuses a cookie altered, sealed with another secret, or not ours at all', () => {
    const sealed = sealPending(pending, secret);
    const [iv, tag, body] = sealed.split('.') as [string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(openPending(`${iv}.${tag}.${flipped.toString('base64url')}`, secret)).toBeNull();
    expect(openPending(sealed, 'another-client-secret-32-chars!!')).toBeNull();
    for (const value of ['', 'abc', 'a.b.c', `${sealed}.x`]) expect(openPending(value, secret)).toBeNull();
  });
});
