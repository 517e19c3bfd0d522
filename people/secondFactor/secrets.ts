/**
 * The second factor's secrets: TOTP through otpauth (RFC 6238), the secret sealed for storage, and
 * recovery codes.
 *
 * A TOTP secret must be readable again to check codes, so it cannot be hashed: it is sealed with
 * AES-256-GCM under a key derived (HKDF-SHA256) from AFTERCARE_SECOND_FACTOR_KEY, so a database dump
 * alone does not give it away. Without that setting a built-in key is used, which only hides the
 * secret from a glance; docs/security.md says to set it. Recovery codes are 80 random bits, so a
 * plain sha256 of each is enough to store.
 */
import crypto from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { RECOVERY_ALPHABET, RECOVERY_CODE_COUNT, RECOVERY_CODE_LENGTH, TOTP_DIGITS, TOTP_PERIOD_S, TOTP_WINDOW, normalizeCode, stepAt } from './rules';

const ISSUER = 'Aftercare';
/** Used only when no key is configured: it keeps a secret out of sight, not out of reach. */
const BUILT_IN_KEY = 'aftercare-second-factor-built-in-key';
const SEALED = /^v1\.([\w-]+)\.([\w-]+)\.([\w-]+)$/;

function keyFrom(material: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', material, 'aftercare', 'totp-secret', 32));
}

/** Seals and opens TOTP secrets with the configured key (and opens ones sealed before a key was set). */
export class SecretBox {
  private readonly keys: Buffer[];

  constructor(configuredKey?: string) {
    this.keys = configuredKey ? [keyFrom(configuredKey), keyFrom(BUILT_IN_KEY)] : [keyFrom(BUILT_IN_KEY)];
  }

  seal(secret: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /** The secret, or null when no key of ours opens it (the key was changed). */
  open(sealed: string): string | null {
    const parts = SEALED.exec(sealed);
    if (!parts) return null;
    for (const key of this.keys) {
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1]!, 'base64url'));
        decipher.setAuthTag(Buffer.from(parts[2]!, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // Not this key: try the next.
      }
    }
    return null;
  }
}

/** A new TOTP secret, base32 (160 bits, as RFC 4226 recommends for HMAC-SHA1). */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

function totp(secret: string, label = ''): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_S, secret: OTPAuth.Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secret: string, accountName: string): string {
  return totp(secret, accountName).toString();
}

/** The step a code matches within the window around `nowMs`, or null. */
export function matchingStep(secret: string, code: string, nowMs: number): number | null {
  const delta = totp(secret).validate({ token: normalizeCode(code), timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : stepAt(nowMs) + delta;
}

/** Fresh recovery codes (shown once) and their hashes (stored). */
export function newRecoveryCodes(): Array<{ code: string; hash: string }> {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const code = Array.from({ length: RECOVERY_CODE_LENGTH }, () => RECOVERY_ALPHABET[crypto.randomInt(RECOVERY_ALPHABET.length)]).join('');
    return { code, hash: recoveryCodeHash(code) };
  });
}

export function recoveryCodeHash(code: string): string {
  return crypto.createHash('sha256').update(normalizeCode(code)).digest('hex');
}
