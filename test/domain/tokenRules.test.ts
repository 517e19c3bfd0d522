import { ROLES } from '../../domain/access';
import { actingRole, DAY_MS, DEFAULT_TOKEN_LIFETIMES, maxDays, mayDelegate, tokenExpiry, tokenState } from '../../people/tokenRules';

describe('machine token rules', () => {
  const now = new Date('2026-12-08T00:00:00Z');

  it('lets everyone make a token of their own role', () => {
    for (const role of ROLES) expect(mayDelegate(role, role)).toBe(true);
  });

  it('makes tokens of the maker’s own role only: roles do not nest, so a lower one could reach what the maker cannot', () => {
    for (const maker of ROLES) for (const role of ROLES) expect({ maker, role, may: mayDelegate(maker, role) }).toEqual({ maker, role, may: maker === role });
    // The review's cases: a service manager reads no claims, a sales clerk does; leadership settles nothing.
    expect(mayDelegate('service_manager', 'sales_clerk')).toBe(false);
    expect(mayDelegate('leadership', 'finance')).toBe(false);
    expect(mayDelegate('admin', 'leadership')).toBe(false);
    expect(mayDelegate('admin', 'engineer')).toBe(false);
    expect(mayDelegate('service_manager', 'finance')).toBe(false);
    expect(mayDelegate('service_manager', 'admin')).toBe(false);
    expect(mayDelegate('engineer', 'dispatcher')).toBe(false);
    expect(mayDelegate('dispatcher', 'project_manager')).toBe(false);
  });

  it('keeps the outside roles to themselves: no dealer token from an admin, no staff token from a dealer', () => {
    expect(mayDelegate('admin', 'dealer')).toBe(false);
    expect(mayDelegate('admin', 'customer')).toBe(false);
    expect(mayDelegate('dealer', 'engineer')).toBe(false);
    expect(mayDelegate('customer', 'dealer')).toBe(false);
  });

  it('expires after 90 days unless asked, at most after a year', () => {
    expect(tokenExpiry(now, undefined)).toEqual(new Date(now.getTime() + 90 * DAY_MS));
    expect(tokenExpiry(now, 7)).toEqual(new Date(now.getTime() + 7 * DAY_MS));
    expect(tokenExpiry(now, 365)).toEqual(new Date(now.getTime() + 365 * DAY_MS));
    expect(tokenExpiry(now, 366)).toBe('too_long');
    expect(maxDays(DEFAULT_TOKEN_LIFETIMES)).toBe(365);
  });

  it('takes its lifetimes from the configuration, the default never past the longest', () => {
    expect(tokenExpiry(now, undefined, { defaultMs: 10 * DAY_MS, maxMs: 30 * DAY_MS })).toEqual(new Date(now.getTime() + 10 * DAY_MS));
    expect(tokenExpiry(now, 31, { defaultMs: 10 * DAY_MS, maxMs: 30 * DAY_MS })).toBe('too_long');
    expect(tokenExpiry(now, undefined, { defaultMs: 60 * DAY_MS, maxMs: 30 * DAY_MS })).toEqual(new Date(now.getTime() + 30 * DAY_MS));
  });

  it('says whether a token is live, revoked or expired (the instant of expiry is already past)', () => {
    expect(tokenState({ revokedAt: null, expiresAt: null }, now)).toBe('live');
    expect(tokenState({ revokedAt: null, expiresAt: new Date(now.getTime() + 1) }, now)).toBe('live');
    expect(tokenState({ revokedAt: null, expiresAt: now }, now)).toBe('expired');
    expect(tokenState({ revokedAt: now, expiresAt: new Date(now.getTime() + DAY_MS) }, now)).toBe('revoked');
  });

  it('acts with the token’s role while its holder may still delegate it', () => {
    expect(actingRole('admin', null)).toBe('admin');
    // A holder whose role changed since: the token acts no more (it had the role its maker had).
    expect(actingRole('admin', 'engineer')).toBeNull();
    expect(actingRole('senior_engineer', 'engineer')).toBeNull();
    expect(actingRole('engineer', 'service_manager')).toBeNull();
    expect(actingRole('service_manager', 'service_manager')).toBe('service_manager');
  });
});
