/**
 * The second factor's records: the sealed TOTP secret, the last accepted step, the run of wrong
 * codes, and the recovery codes' hashes. Every write that must not happen twice (a step, a recovery
 * code, a counted try) is one conditional UPDATE, so two requests at once never both win. Pass a
 * transaction as `db` to make several calls atomic.
 */
import type { Knex } from 'knex';
import { toDate, toRequiredDate } from '../../platform/db/mapping';

export interface SecondFactorRecord {
  userId: number;
  /** Sealed (secrets.ts SecretBox); never leaves the people feature. */
  sealedSecret: string;
  createdAt: Date;
  /** Null while the person has not confirmed a first code. */
  enrolledAt: Date | null;
  /** While pending: the console session its secret was shown to. */
  pendingSessionId: number | null;
  lastStep: number | null;
  failedCodes: number;
  lastFailedCodeAt: Date | null;
}

interface FactorRow {
  user_id: number;
  secret: string;
  created_at: unknown;
  enrolled_at: unknown;
  pending_session_id?: number | null;
  last_step: number | string | null;
  failed_codes: number;
  last_failed_code_at: unknown;
}

const toRecord = (row: FactorRow): SecondFactorRecord => ({
  userId: Number(row.user_id),
  sealedSecret: row.secret,
  createdAt: toRequiredDate(row.created_at),
  enrolledAt: toDate(row.enrolled_at),
  pendingSessionId: row.pending_session_id === null || row.pending_session_id === undefined ? null : Number(row.pending_session_id),
  lastStep: row.last_step === null ? null : Number(row.last_step),
  failedCodes: Number(row.failed_codes),
  lastFailedCodeAt: toDate(row.last_failed_code_at),
});

export class SecondFactorsRepository {
  constructor(private readonly db: Knex) {}

  async get(userId: number): Promise<SecondFactorRecord | null> {
    const row = (await this.db('user_second_factors').where({ user_id: userId }).first()) as FactorRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Whether the person has a confirmed factor. */
  async enrolled(userId: number): Promise<boolean> {
    return (await this.db('user_second_factors').where({ user_id: userId }).whereNotNull('enrolled_at').first('user_id')) !== undefined;
  }

  /**
   * Starts an enrolment with this sealed secret for this console session, unless one is done, or
   * pending for the same session: then that one stays. A secret pending for another session is
   * replaced, so whoever once saw the page (with the person's password) holds no secret the person
   * later confirms. `started` says whether a new secret was stored.
   */
  async startEnrolment(userId: number, sealedSecret: string, now: Date, sessionId: number | null = null): Promise<SecondFactorRecord & { started: boolean }> {
    const existing = await this.get(userId);
    if (existing?.enrolledAt || (existing && existing.pendingSessionId === sessionId)) return { ...existing, started: false };
    if (existing) {
      // Only while still pending for that other session: a confirmation meanwhile wins.
      const replaced = await this.db('user_second_factors')
        .where({ user_id: userId })
        .whereNull('enrolled_at')
        .where((q) => (existing.pendingSessionId === null ? q.whereNull('pending_session_id') : q.where({ pending_session_id: existing.pendingSessionId })))
        .update({ secret: sealedSecret, created_at: now, pending_session_id: sessionId });
      return { ...(await this.get(userId))!, started: replaced > 0 };
    }
    try {
      await this.db('user_second_factors').insert({ user_id: userId, secret: sealedSecret, created_at: now, failed_codes: 0, pending_session_id: sessionId });
    } catch (error) {
      // Two tabs at once: the other one's secret is the one to show.
      const winner = await this.get(userId);
      if (!winner) throw error;
      return { ...winner, started: false };
    }
    return { ...(await this.get(userId))!, started: true };
  }

  /** Confirms a pending enrolment at the step of its first code; false when it was confirmed meanwhile. */
  async confirm(userId: number, step: number, now: Date): Promise<boolean> {
    return (await this.db('user_second_factors').where({ user_id: userId }).whereNull('enrolled_at').update({ enrolled_at: now, last_step: step, failed_codes: 0, last_failed_code_at: null })) > 0;
  }

  /** Takes a step: false when it (or a later one) was taken already, so a code works once. */
  async acceptStep(userId: number, step: number): Promise<boolean> {
    const changed = await this.db('user_second_factors')
      .where({ user_id: userId })
      .andWhere((q) => q.whereNull('last_step').orWhere('last_step', '<', step))
      .update({ last_step: step });
    return changed > 0;
  }

  /**
   * Counts a try before its code is checked, as the `seen`-th failure in a row: false when another try
   * counted meanwhile (a burst of tries at once then gets one check, not many).
   */
  async countTry(userId: number, seen: number, now: Date): Promise<boolean> {
    return (await this.db('user_second_factors').where({ user_id: userId, failed_codes: seen }).update({ failed_codes: seen + 1, last_failed_code_at: now })) > 0;
  }

  /** A good code ends the run of wrong ones. */
  async clearFailures(userId: number): Promise<void> {
    await this.db('user_second_factors').where({ user_id: userId }).update({ failed_codes: 0, last_failed_code_at: null });
  }

  /** Forgets the factor and its recovery codes; true when there was one. */
  async remove(userId: number): Promise<boolean> {
    await this.db('user_recovery_codes').where({ user_id: userId }).delete();
    return (await this.db('user_second_factors').where({ user_id: userId }).delete()) > 0;
  }

  /** The person's recovery codes become these (the old ones stop working). */
  async replaceRecoveryCodes(userId: number, hashes: string[], now: Date): Promise<void> {
    await this.db('user_recovery_codes').where({ user_id: userId }).delete();
    await this.db('user_recovery_codes').insert(hashes.map((hash) => ({ user_id: userId, code_hash: hash, created_at: now })));
  }

  /** Uses an unused recovery code: false when it is unknown or was used (at once in another tab too). */
  async useRecoveryCode(userId: number, hash: string, now: Date): Promise<boolean> {
    return (await this.db('user_recovery_codes').where({ user_id: userId, code_hash: hash }).whereNull('used_at').update({ used_at: now })) > 0;
  }

  async unusedRecoveryCodes(userId: number): Promise<number> {
    const row = (await this.db('user_recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }
}
