import { DEFAULT_SESSION_LIMITS, sessionEndsAt, sessionVerdict, type SessionFacts } from '../../domain/consoleSessions';

const HOUR = 3_600_000;
const signedIn = new Date('2026-03-02T01:00:00Z');
const live: SessionFacts = { createdAt: signedIn, lastSeenAt: signedIn, revokedReason: null, tokenRevoked: false, userActive: true };
const at = (hours: number) => new Date(signedIn.getTime() + hours * HOUR);

describe('console session verdict', () => {
  it('keeps a session used at least every 12 hours alive up to 7 days', () => {
    expect(sessionVerdict(live, at(11.99), DEFAULT_SESSION_LIMITS)).toEqual({ live: true });
    expect(sessionVerdict({ ...live, lastSeenAt: at(7 * 24 - 1) }, at(7 * 24 - 0.01), DEFAULT_SESSION_LIMITS)).toEqual({ live: true });
  });

  it('ends a session idle for 12 hours', () => {
    expect(sessionVerdict(live, at(12), DEFAULT_SESSION_LIMITS)).toEqual({ live: false, reason: 'idle', revokeAs: null });
    expect(sessionVerdict({ ...live, lastSeenAt: at(30) }, at(42), DEFAULT_SESSION_LIMITS)).toEqual({ live: false, reason: 'idle', revokeAs: null });
  });

  it('ends a busy session 7 days after sign-in', () => {
    expect(sessionVerdict({ ...live, lastSeenAt: at(7 * 24 - 0.1) }, at(7 * 24), DEFAULT_SESSION_LIMITS)).toEqual({ live: false, reason: 'expired', revokeAs: null });
  });

  it('follows other limits', () => {
    const limits = { idleMs: HOUR, absoluteMs: 3 * HOUR };
    expect(sessionVerdict(live, at(1), limits).live).toBe(false);
    expect(sessionVerdict({ ...live, lastSeenAt: at(2.5) }, at(3), limits)).toMatchObject({ reason: 'expired' });
    expect(sessionEndsAt(signedIn, limits)).toEqual(at(3));
  });

  it('ends a signed-out session for good, and one whose token was revoked or user deactivated, asking to record why', () => {
    expect(sessionVerdict({ ...live, revokedReason: 'signed_out' }, at(0), DEFAULT_SESSION_LIMITS)).toEqual({ live: false, reason: 'signed_out', revokeAs: null });
    expect(sessionVerdict({ ...live, tokenRevoked: true }, at(0), DEFAULT_SESSION_LIMITS)).toEqual({ live: false, reason: 'token_revoked', revokeAs: 'token_revoked' });
    expect(sessionVerdict({ ...live, userActive: false }, at(0), DEFAULT_SESSION_LIMITS)).toEqual({ live: false, reason: 'user_deactivated', revokeAs: 'user_deactivated' });
    // Already recorded: nothing more to write.
    expect(sessionVerdict({ ...live, revokedReason: 'token_revoked', tokenRevoked: true }, at(0), DEFAULT_SESSION_LIMITS)).toEqual({ live: false, reason: 'token_revoked', revokeAs: null });
  });
});
