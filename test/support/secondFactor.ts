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
import type { Page as BrowserPage } from 'playwright-core';
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
 * A fresh code for `secret` at the time `now` gives (the phone's clock: the console's, where a test
 * fixes it): the earliest step the product accepts (the current one and one either side) that was
 * not given yet. With the real clock it waits for the next step when all three were given; with a
 * fixed clock no later step comes, so it says so.
 */
export async function freshCode(secret: string, now?: () => Date): Promise<string> {
  const periodMs = TOTP_PERIOD_S * 1000;
  for (;;) {
    const current = Math.floor((now ? now() : new Date()).getTime() / periodMs);
    const step = Math.max(current - 1, (lastStep.get(secret) ?? -Infinity) + 1);
    if (step <= current + 1) {
      lastStep.set(secret, step);
      return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_S, timestamp: step * periodMs });
    }
    if (now) throw new Error('Every code the fixed clock accepts was used: move the clock on');
    await sleep((current + 1) * periodMs - Date.now() + 50);
  }
}

/** Whether a path (with its query, if any) is the enrolment or the gate page. */
export function factorPage(path: string): 'enrol' | 'verify' | null {
  const bare = path.split('?')[0];
  if (bare === ENROL_PAGE) return 'enrol';
  if (bare === GATE_PAGE) return 'verify';
  return null;
}

/**
 * In Chromium, right after sending the sign-in form with `token`: when the console holds the session
 * at the second factor, passes it as the person would (enrols from the secret shown and follows the
 * recovery codes page on, or types a fresh code), landing where the sign-in was going. `now`: the
 * console's clock where a test fixes it.
 */
export async function passSecondFactor(page: BrowserPage, token: string, now?: () => Date): Promise<void> {
  await page.waitForLoadState();
  const held = factorPage(new URL(page.url()).pathname);
  if (held === 'enrol') {
    const secret = secretOnPage(await page.content());
    if (!secret) return;
    rememberSecret(token, secret);
    await page.fill('form.factor-confirm #f-code', await freshCode(secret, now));
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === ENROL_PAGE), page.click('form.factor-confirm button[type=submit]')]);
    await page.waitForLoadState();
    await page.locator('ol.recovery-codes').waitFor();
    // The recovery codes page links on to where the sign-in was going.
    await Promise.all([page.waitForURL((url) => url.pathname !== ENROL_PAGE), page.click('ol.recovery-codes ~ p a')]);
  } else if (held === 'verify') {
    const secret = secretOf(token);
    if (!secret) throw new Error('The session is held at the second factor, and no secret is kept for this token');
    await page.fill('form.second-factor #f-code', await freshCode(secret, now));
    await Promise.all([page.waitForURL((url) => url.pathname !== GATE_PAGE), page.click('form.second-factor button[type=submit]')]);
  }
}
