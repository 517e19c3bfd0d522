/**
 * The gate on console sessions: the session store the console resumes sessions with, holding a
 * session a person opened by signing in (password or OIDC, both through openForUser) at the second
 * factor page until it passes, or at the enrolment page while their role requires a factor they
 * have not set up. The gate is on the session, not in a sign-in handler, so every way in meets it.
 * Sessions opened with an API token are held the same way when the person's role requires a factor
 * (admin, finance), except those of the bootstrap admin token (rules.ts gateFor); other roles' token
 * sessions are machines' (scripts): the token is a secret of 256 random bits, and a script has no phone.
 */
import type { Knex } from 'knex';
import type { ConsoleSessionStore, SessionHold } from '../../platform/console/context';
import { ConsoleSessionsRepository } from '../sessions';
import type { Gate } from './rules';
import { sessionGate } from './useCases';

export const GATE_PAGE = '/second-factor';
export const ENROL_PAGE = '/profile/second-factor';
/**
 * Reachable whatever the hold: signing out, changing the language, and the pages of invitation, reset
 * and e-mail confirmation links, which need no session (and whose token must not travel on in a `next`).
 */
const ALWAYS_OPEN = ['/logout', '/locale', '/password', '/password/forgot', '/profile/email/confirm'];

const HOLDS: Record<Gate, SessionHold | null> = {
  open: null,
  verify: { page: GATE_PAGE, open: [GATE_PAGE, ...ALWAYS_OPEN] },
  enrol: { page: ENROL_PAGE, open: [ENROL_PAGE, ...ALWAYS_OPEN] },
};

export function gatedSessions(knex: Knex): ConsoleSessionStore {
  const sessions = new ConsoleSessionsRepository(knex);
  return {
    async resume(sessionId, limits, now) {
      const resumed = await sessions.resume(sessionId, limits, now);
      if (!resumed.user) return resumed;
      return { user: resumed.user, hold: HOLDS[await sessionGate(resumed.session, resumed.user, { knex })] };
    },
  };
}
