/**
 * Passing the console's second factor as a person would (issue #21: admins and finance reach no
 * console page without it, whichever way they signed in, the bootstrap admin token aside): read the
 * secret the enrolment page shows as text, and type the code an authenticator app would show.
 *
 * The secrets are kept per API token (module-wide), so a later sign-in with the same token answers
 * the gate page. A code's 30-second step is good once, so each code given for a secret is of a step
 * later than the last one given (the product accepts the step either side of the current one).
 */
import * as OTPAuth from 'otpauth';
import { TOTP_DIGITS, TOTP_PERIOD_S } from '../../people/secondFactor/rules';

export const ENROL_PAGE = '/profile/second-factor';
export const GATE_PAGE = '/second-factor';

const secrets = new Map<string, string>();
const lastStep = new Map<string, number>();

export function rememberSecret(token: string, secret: string): void {
  secrets.set(token, secret.replace(/\s/g, ''));
}

export function secretOf(token: string): string | undefined {
  return secrets.get(token);
}

/** The secret as the enrolment page shows it (in groups of four), or null when the page shows none. */
export function secretOnPage(html: string): string | null {
  const shown = /class="factor-secret">([^<]+)</.exec(html)?.[1];
  return shown ? shown.replace(/\s/g, '') : null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fresh code for `secret`: the current step's, or the next one's when the current step was used
 * already (accepted within the window), waiting for it only when that one is used too.
 */
export async function freshCode(secret: string, now: () => number = Date.now): Promise<string> {
  const periodMs = TOTP_PERIOD_S * 1000;
  for (;;) {
    const current = Math.floor(now() / periodMs);
    const used = lastStep.get(secret) ?? -Infinity;
    const step = used < current ? current : used === current ? current + 1 : null;
    if (step !== null) {
      lastStep.set(secret, step);
      return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_S, timestamp: step * periodMs });
    }
    await sleep((current + 1) * periodMs - now() + 50);
  }
}

/** Whether a path (with its query, if any) is the enrolment or the gate page. */
export function factorPage(path: string): 'enrol' | 'verify' | null {
  const bare = path.split('?')[0];
  if (bare === ENROL_PAGE) return 'enrol';
  if (bare === GATE_PAGE) return 'verify';
  return null;
}
