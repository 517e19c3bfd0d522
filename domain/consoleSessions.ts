/**
 * When a console session is still good. Pure: the repository loads the row, the console asks here.
 *
 * A session lives while it is used at least every `idleMs` and for at most `absoluteMs` in all,
 * and ends for good at sign-out, when its API token is revoked, when its user is deactivated or when
 * they set a new password (every session but the one they set it in), or when an admin resets
 * their second factor.
 */

export const SESSION_END_REASONS = ['signed_out', 'token_revoked', 'user_deactivated', 'password_changed', 'second_factor_reset'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export interface SessionLimits {
  /** Longest gap between two requests. */
  idleMs: number;
  /** Longest life from sign-in, however busy. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 12 * 60 * 60 * 1000, absoluteMs: 7 * 24 * 60 * 60 * 1000 };

export interface SessionFacts {
  createdAt: Date;
  lastSeenAt: Date;
  revokedReason: SessionEndReason | null;
  tokenRevoked: boolean;
  userActive: boolean;
}

export type SessionVerdict = { live: true } | { live: false; reason: SessionEndReason | 'idle' | 'expired'; revokeAs: SessionEndReason | null };

/** Live, or why not; `revokeAs` is the reason to record when the session must be ended now. */
export function sessionVerdict(session: SessionFacts, now: Date, limits: SessionLimits): SessionVerdict {
  if (session.revokedReason) return { live: false, reason: session.revokedReason, revokeAs: null };
  if (session.tokenRevoked) return { live: false, reason: 'token_revoked', revokeAs: 'token_revoked' };
  if (!session.userActive) return { live: false, reason: 'user_deactivated', revokeAs: 'user_deactivated' };
  if (now.getTime() >= session.createdAt.getTime() + limits.absoluteMs) return { live: false, reason: 'expired', revokeAs: null };
  if (now.getTime() >= session.lastSeenAt.getTime() + limits.idleMs) return { live: false, reason: 'idle', revokeAs: null };
  return { live: true };
}

/** Until when the browser should keep the cookie: the absolute end; the server checks idleness itself. */
export function sessionEndsAt(createdAt: Date, limits: SessionLimits): Date {
  return new Date(createdAt.getTime() + limits.absoluteMs);
}
