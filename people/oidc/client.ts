/**
 * The OpenID Connect client of the console's single sign-on, on openid-client (an OpenID Certified
 * relying party library): the authorization code flow with PKCE (S256), state and nonce, checked by
 * the library on the way back. The provider's metadata is discovered on first use and kept once it
 * was read; a failed discovery is retried at the next sign-in, so a provider that is down when the
 * API starts neither stops it nor stays broken after it comes back.
 */
import * as openid from 'openid-client';
import type { OidcConfig } from '../../platform/config/config';
import { currentLogger } from '../../platform/logging';

/** What every request to the provider may take, in seconds. */
const PROVIDER_TIMEOUT_S = 10;
const SCOPE = 'openid email profile';
/** The claims single sign-on reads; the rest of a userinfo answer is not kept. */
const MATCHING_CLAIMS = ['email', 'email_verified', 'xms_edov'] as const;

export interface StartedSignIn {
  /** Where to send the browser: the provider's authorization endpoint with the request. */
  url: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Why the provider's answer signs nobody in: it refused or answered wrongly, or could not be reached. */
export type ProviderFailure = 'provider_error' | 'provider_down';

export type FinishedSignIn = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: ProviderFailure };

/** The error and the errors it wraps (openid-client wraps what fetch threw), outermost first. */
function chainOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** A network failure or timeout (the provider is down or unreachable), as opposed to an answer that says no. */
function unreachable(error: unknown): boolean {
  return chainOf(error).some((e) => {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_)/.test(code)) return true;
    if (e instanceof TypeError && typeof message === 'string' && /fetch failed/i.test(message)) return true;
    const status = (e as { response?: { status?: unknown }; status?: unknown }).response?.status;
    return typeof status === 'number' && status >= 500;
  });
}

/** A line for the log: what went wrong, never a code, token or secret. */
function described(error: unknown): Array<Record<string, unknown>> {
  return chainOf(error).map((e) => {
    const { name, code, error: oauthError, status, message } = e as { name?: unknown; code?: unknown; error?: unknown; status?: unknown; message?: unknown };
    return { name, code, error: oauthError, status, message: typeof message === 'string' ? message.slice(0, 200) : undefined };
  });
}

export class OidcClient {
  private configuration: Promise<openid.Configuration> | null = null;

  constructor(private readonly settings: OidcConfig) {}

  get name(): string {
    return this.settings.name;
  }

  private discover(): Promise<openid.Configuration> {
    if (!this.configuration) {
      const insecure = new URL(this.settings.issuer).protocol === 'http:';
      this.configuration = openid
        .discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret, undefined, {
          // Plain http only for a provider on this machine (the configuration refuses any other).
          execute: insecure ? [openid.allowInsecureRequests] : [],
          timeout: PROVIDER_TIMEOUT_S,
        })
        .then((configuration) => {
          configuration.timeout = PROVIDER_TIMEOUT_S;
          return configuration;
        })
        .catch((error: unknown) => {
          // Not kept: the next sign-in tries again.
          this.configuration = null;
          throw error;
        });
    }
    return this.configuration;
  }

  /** A new sign-in at the provider, or null when the provider cannot be reached (or its metadata read). */
  async start(): Promise<StartedSignIn | null> {
    let configuration: openid.Configuration;
    try {
      configuration = await this.discover();
    } catch (error) {
      currentLogger().warn({ oidc: described(error), issuer: this.settings.issuer }, '[oidc] the provider could not be discovered');
      return null;
    }
    const codeVerifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const nonce = openid.randomNonce();
    const url = openid.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: SCOPE,
      code_challenge: await openid.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, codeVerifier };
  }

  /**
   * Finishes a sign-in from the provider's redirect back (`callbackUrl`, as the browser asked for it):
   * the code is exchanged with the PKCE verifier, the ID token checked (signature, issuer, audience,
   * expiry, nonce), the state compared. The claims are the ID token's, with the address and whether it
   * is verified from userinfo when the ID token does not carry them.
   */
  async finish(callbackUrl: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<FinishedSignIn> {
    try {
      const configuration = await this.discover();
      const tokens = await openid.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      const idClaims: Record<string, unknown> = { ...tokens.claims() };
      if (idClaims.email === undefined || (idClaims.email_verified === undefined && idClaims.xms_edov === undefined)) {
        const info = await openid.fetchUserInfo(configuration, tokens.access_token, String(idClaims.sub));
        for (const claim of MATCHING_CLAIMS) if (info[claim] !== undefined) idClaims[claim] = info[claim];
      }
      return { ok: true, claims: idClaims };
    } catch (error) {
      const reason: ProviderFailure = unreachable(error) ? 'provider_down' : 'provider_error';
      currentLogger().warn({ oidc: described(error), reason }, '[oidc] the provider did not sign the person in');
      return { ok: false, reason };
    }
  }
}
