/**
 * The first administrator's set-up link. On a database where no active admin has a password yet,
 * `npm start` makes a single-use link (AFTERCARE_SETUP_VALID, 24 h) to set the password of the admin
 * with AFTERCARE_ADMIN_EMAIL (admin@localhost by default) on the usual password page, and prints it.
 * Each start makes a fresh one and ends the last; once an admin has a password, nothing is made.
 * Whoever reads the server's output already holds the bootstrap admin token, so the link gives them
 * nothing more.
 */
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { AuditRepository } from '../platform/db/audit';
import { AccountsRepository } from './accounts';
import { UsersRepository } from './repository';
import { linkUrl } from './useCases';

export const DEFAULT_SETUP_VALID_MS = 24 * 3_600_000;

export type SetupLink =
  | { state: 'made'; email: string; url: string; expiresAt: Date }
  /** An admin already has a password: nothing to set up. */
  | { state: 'done' }
  /** The address belongs to an account that is not an active admin: no link, say so. */
  | { state: 'not_admin'; email: string };

/** Whether an active admin has a password. */
async function anAdminHasAPassword(knex: Knex): Promise<boolean> {
  return (await knex('users').where({ role: 'admin', active: true }).whereNotNull('password_hash').first('id')) !== undefined;
}

export async function ensureSetupLink(knex: Knex, options: { email: string; publicUrl: string; validMs?: number; now?: Date }): Promise<SetupLink> {
  if (await anAdminHasAPassword(knex)) return { state: 'done' };
  const now = options.now ?? new Date();
  return knex.transaction(async (trx): Promise<SetupLink> => {
    const users = new UsersRepository(trx);
    const existing = await users.getByEmail(options.email);
    if (existing && (existing.role !== 'admin' || !existing.active)) return { state: 'not_admin', email: existing.email };
    const admin = existing ?? (await users.create({ name: 'Administrator', email: options.email, role: 'admin', locale: 'en' }, now));
    // createLink ends the last set-up link: only the newest printed one works.
    const { token, link } = await new AccountsRepository(trx).createLink(admin.id, 'setup', new Date(now.getTime() + (options.validMs ?? DEFAULT_SETUP_VALID_MS)), null, now);
    // On the audit trail like every change: who it is for and until when, never the link.
    await new AuditRepository(trx).record({
      at: now,
      action: 'setup link (npm start)',
      entityType: 'user',
      entityId: admin.id,
      requestId: crypto.randomUUID(),
      statusCode: 201,
      details: { outcome: 'setup_link_made', link: link.id, expiresAt: link.expiresAt.toISOString() },
    });
    return { state: 'made', email: admin.email, url: linkUrl(options.publicUrl, token), expiresAt: link.expiresAt };
  });
}

/** The one line npm start prints about it, or none. */
export function setupLinkLine(setup: SetupLink): string | null {
  if (setup.state === 'made') return `first admin: set the password of ${setup.email} at ${setup.url} (works once, until ${setup.expiresAt.toISOString()})`;
  if (setup.state === 'not_admin') return `first admin: ${setup.email} (AFTERCARE_ADMIN_EMAIL) is not an active admin account; no set-up link was made`;
  return null;
}
