/**
 * Single sign-on on the console (OpenID Connect, for staff).
 *
 *   GET /sign-in/oidc?next=…     starts: a new state, nonce and PKCE verifier, sealed in a cookie of
 *                                this browser (people/oidc/pending.ts); 303 → the provider
 *   GET /sign-in/oidc/callback   finishes: the provider's answer checked (state, PKCE, the ID token and
 *                                its nonce), the person matched by their verified address to an active
 *                                staff account (people/oidc/rules.ts); a session opened as after a good
 *                                password; 303 → the page asked for (`next`, a local path) or home
 *
 * A refusal (no such account, not staff, an unverified address, a callback that is not this
 * browser's, the provider said no or cannot be reached) shows the sign-in page with why, in the page's
 * language, and goes on the audit trail. It counts against the client's address like a wrong password
 * when this browser had a sign-in under way (its sealed cookie): both paths are GETs any other site can
 * make a browser send, and those must not use up a person's sign-in limit.
 * Without AFTERCARE_OIDC_* both paths lead back to the sign-in page.
 */
import type { Request, Response } from 'express';
import { HOME_PATH, type ConsoleArea } from '../../platform/console/context';
import { emptyForm, formWithProblem } from '../../platform/console/forms';
import { OIDC_CALLBACK_PATH } from '../../platform/config/config';
import type { MessageKey } from '../../platform/i18n/catalogue';
import { DEFAULT_SIGN_IN_LIMIT } from '../../platform/console/security';
import { clientAddress, nextPath, OIDC_START_PATH, peopleDeps, sendLoginPage, startSession } from '../console/signIn';
import { addressMaySignIn } from '../useCases';
import { OidcClient } from './client';
import { setPendingCookie, takePendingCookie } from './pending';
import { pendingIsFresh, type OidcRefusal } from './rules';
import { recordOidcFailure, signInWithOidc } from './useCases';

type Refusal = OidcRefusal | 'bad_state' | 'provider_error' | 'provider_down';

/** Each refusal's status and words; a deactivated account reads like an unknown one (the audit row says which). */
const REFUSALS: Record<Refusal, { status: number; words: MessageKey }> = {
  unknown_account: { status: 403, words: 'sso.refused.unknown_account' },
  deactivated: { status: 403, words: 'sso.refused.unknown_account' },
  not_staff: { status: 403, words: 'sso.refused.not_staff' },
  email_unverified: { status: 403, words: 'sso.refused.email_unverified' },
  email_missing: { status: 403, words: 'sso.refused.email_missing' },
  bad_state: { status: 400, words: 'sso.refused.bad_state' },
  provider_error: { status: 401, words: 'sso.refused.provider_error' },
  provider_down: { status: 503, words: 'sso.refused.provider_down' },
};

export const oidcArea: ConsoleArea = {
  paths: [OIDC_START_PATH, OIDC_CALLBACK_PATH],
  register(router, ctx) {
    const settings = ctx.deps.oidc;
    if (!settings) {
      router.get([OIDC_START_PATH, OIDC_CALLBACK_PATH], (_req, res) => res.redirect(303, '/'));
      return;
    }
    const client = new OidcClient(settings);
    const people = peopleDeps(ctx);
    const limit = ctx.deps.signInLimit ?? DEFAULT_SIGN_IN_LIMIT;
    const keep = (next: string) => (next === HOME_PATH ? '' : next);

    /** `count`: whether to count it against the address now (false when it was counted already, or no sign-in of this browser was under way). */
    const refuse = async (req: Request, res: Response, reason: Refusal, next: string, count: boolean, extra: { email?: string | null; userId?: number | null } = {}) => {
      const refusal = REFUSALS[reason];
      if (count) await recordOidcFailure(clientAddress(req), people);
      await ctx.audit(req, res, { statusCode: refusal.status, user: null, details: { outcome: 'oidc_refused', reason, ...(extra.userId ? { userId: extra.userId } : {}) } });
      const problem = ctx.t(req, res, refusal.words, { name: settings.name, email: extra.email ?? '' });
      sendLoginPage(ctx, req, res, refusal.status, emptyForm(), { problem, next: keep(next) });
    };
    const tooMany = async (req: Request, res: Response, next: string) => {
      await ctx.audit(req, res, { statusCode: 429, user: null, details: { outcome: 'address_limited', with: 'oidc' } });
      sendLoginPage(ctx, req, res, 429, formWithProblem({}, ctx.t(req, res, 'signin.tooMany')), { next: keep(next) });
    };

    router.get(OIDC_START_PATH, async (req, res) => {
      const next = nextPath(req.query.next);
      if (ctx.signedInUser(res)) return res.redirect(303, next);
      if (!(await addressMaySignIn(clientAddress(req), limit, people))) return tooMany(req, res, next);
      const started = await client.start();
      if (!started) return refuse(req, res, 'provider_down', next, false);
      setPendingCookie(req, res, { state: started.state, nonce: started.nonce, codeVerifier: started.codeVerifier, next, startedAt: ctx.now().getTime() }, settings.clientSecret);
      res.redirect(303, started.url);
    });

    router.get(OIDC_CALLBACK_PATH, async (req, res) => {
      const pending = takePendingCookie(req, res, settings.clientSecret);
      const next = nextPath(pending?.next);
      if (!(await addressMaySignIn(clientAddress(req), limit, people))) return tooMany(req, res, next);
      if (!pending) return refuse(req, res, 'bad_state', next, false);
      if (!pendingIsFresh(pending.startedAt, ctx.now().getTime()) || req.query.state !== pending.state) return refuse(req, res, 'bad_state', next, true);
      // The callback as the provider was told it (the public URL, whatever the proxy in front rewrote), with the answer's query.
      const callbackUrl = new URL(settings.redirectUri);
      callbackUrl.search = new URL(req.originalUrl, 'http://callback.invalid').search;
      const finished = await client.finish(callbackUrl, pending);
      if (!finished.ok) return refuse(req, res, finished.reason, next, true);
      const result = await signInWithOidc(finished.claims, clientAddress(req), limit, people);
      if (result.ok) return startSession(ctx, req, res, { id: result.session.id, sessionId: result.session.sessionId, user: result.user }, 'oidc', next, result.acceptedInvitation ? { acceptedInvitation: true } : {});
      if (result.reason === 'address_limited') return tooMany(req, res, next);
      return refuse(req, res, result.reason, next, false, { email: result.email, userId: result.userId });
    });
  },
};
