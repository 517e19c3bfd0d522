import path from 'node:path';
import { ConfigError, loadConfig } from '../../platform/config/config';

describe('configuration from the environment', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      temporalAddress: undefined,
      temporalNamespace: 'default',
      taskQueue: 'aftercare',
      dataDir: path.resolve('./data'),
      smtpUrl: undefined,
      publicUrl: 'http://localhost:3000',
    });
  });

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'mysql://app:secret@db:3306/aftercare',
      TEMPORAL_ADDRESS: 'temporal.example.com:7233',
      TEMPORAL_NAMESPACE: 'aftercare-prod',
      AFTERCARE_DATA_DIR: '/var/lib/aftercare',
      AFTERCARE_ADMIN_TOKEN: 'a-long-enough-admin-token',
      SMTP_URL: 'smtps://user:pw@mail.example.com:465',
      MAIL_FROM: 'Service <service@example.com>',
      AFTERCARE_PUBLIC_URL: 'https://aftercare.example.com/',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'mysql://app:secret@db:3306/aftercare',
      temporalAddress: 'temporal.example.com:7233',
      temporalNamespace: 'aftercare-prod',
      dataDir: '/var/lib/aftercare',
      adminToken: 'a-long-enough-admin-token',
      smtpUrl: 'smtps://user:pw@mail.example.com:465',
      mailFrom: 'Service <service@example.com>',
      publicUrl: 'https://aftercare.example.com',
    });
  });

  describe('machine tokens and the first administrator', () => {
    it('gives tokens 90 days unless asked and a year at most, and the set-up link of admin@localhost 24 hours, by default', () => {
      expect(loadConfig({})).toMatchObject({ tokenLifetimes: { defaultMs: 90 * 86_400_000, maxMs: 365 * 86_400_000 }, setupLinkMs: 24 * 3_600_000, adminEmail: 'admin@localhost' });
    });

    it('reads them, and refuses a default longer than the longest, naming the variable', () => {
      expect(loadConfig({ AFTERCARE_TOKEN_VALID: '30d', AFTERCARE_TOKEN_MAX_VALID: '60d', AFTERCARE_SETUP_VALID: '2h', AFTERCARE_ADMIN_EMAIL: 'Ops@Example.com' })).toMatchObject({
        tokenLifetimes: { defaultMs: 30 * 86_400_000, maxMs: 60 * 86_400_000 },
        setupLinkMs: 2 * 3_600_000,
        adminEmail: 'ops@example.com',
      });
      expect(() => loadConfig({ AFTERCARE_TOKEN_VALID: '400d' })).toThrow(/AFTERCARE_TOKEN_VALID: must not be longer than AFTERCARE_TOKEN_MAX_VALID/);
      expect(() => loadConfig({ AFTERCARE_SETUP_VALID: 'a day' })).toThrow(/AFTERCARE_SETUP_VALID/);
      expect(() => loadConfig({ AFTERCARE_ADMIN_EMAIL: 'nobody' })).toThrow(/AFTERCARE_ADMIN_EMAIL/);
    });
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', SMTP_URL: '' })).toMatchObject({ databaseUrl: undefined, smtpUrl: undefined });
  });

  it('reports every problem at once, one line each, naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'postgres://x', TEMPORAL_ADDRESS: 'no-port', AFTERCARE_ADMIN_TOKEN: 'short', SMTP_URL: 'http://mail' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    for (const name of ['PORT', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'AFTERCARE_ADMIN_TOKEN', 'SMTP_URL']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
    expect((error as Error).message).toContain('Invalid configuration');
  });

  describe('logs and metrics', () => {
    it('serves metrics on loopback by default: the API on 9464, the worker (the Temporal SDK) on 9465; no log level unless set', () => {
      expect(loadConfig({})).toMatchObject({
        logLevel: undefined,
        apiMetrics: { host: '127.0.0.1', port: 9464 },
        workerMetrics: { host: '127.0.0.1', port: 9465 },
      });
    });

    it('reads the level in any case, other addresses, and off', () => {
      expect(loadConfig({ AFTERCARE_LOG_LEVEL: 'DEBUG', AFTERCARE_METRICS_HOST: '0.0.0.0', AFTERCARE_METRICS_PORT: '9100', AFTERCARE_WORKER_METRICS_PORT: 'off' })).toMatchObject({
        logLevel: 'debug',
        apiMetrics: { host: '0.0.0.0', port: 9100 },
        workerMetrics: undefined,
      });
    });

    it('names a bad level or port', () => {
      let error: unknown;
      try {
        loadConfig({ AFTERCARE_LOG_LEVEL: 'loud', AFTERCARE_METRICS_PORT: 'ninety', AFTERCARE_WORKER_METRICS_PORT: '0' });
      } catch (e) {
        error = e;
      }
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['AFTERCARE_LOG_LEVEL', 'AFTERCARE_METRICS_PORT', 'AFTERCARE_WORKER_METRICS_PORT']);
    });
  });

  describe('console sessions', () => {
    it('expire after 12 hours idle and 7 days in all, with 100 failed sign-ins per address per 15 minutes, no proxy trusted, links for 72 h and 1 h, by default', () => {
      expect(loadConfig({}).console).toEqual({
        sessionIdleMs: 12 * 3_600_000,
        sessionMaxMs: 7 * 86_400_000,
        signInLimit: { attempts: 100, windowMs: 15 * 60_000 },
        csrfSecret: undefined,
        trustProxy: false,
        linkLifetimes: { invitationMs: 72 * 3_600_000, resetMs: 3_600_000 },
        secondFactor: { key: undefined, maxWaitMs: 15 * 60_000 },
      });
    });

    it('reads the second factor’s key and longest wait, refusing a short key', () => {
      const key = 'k'.repeat(32);
      expect(loadConfig({ AFTERCARE_SECOND_FACTOR_KEY: key, AFTERCARE_SECOND_FACTOR_MAX_WAIT: '1h' }).console.secondFactor).toEqual({ key, maxWaitMs: 3_600_000 });
      expect(() => loadConfig({ AFTERCARE_SECOND_FACTOR_KEY: 'short' })).toThrow(/AFTERCARE_SECOND_FACTOR_KEY/);
      expect(() => loadConfig({ AFTERCARE_SECOND_FACTOR_MAX_WAIT: '15 minutes' })).toThrow(/AFTERCARE_SECOND_FACTOR_MAX_WAIT/);
    });

    it('reads the proxies to trust as Express takes them, and refuses what Express would not', () => {
      expect(loadConfig({ AFTERCARE_TRUST_PROXY: 'true' }).console.trustProxy).toBe(true);
      expect(loadConfig({ AFTERCARE_TRUST_PROXY: 'false' }).console.trustProxy).toBe(false);
      expect(loadConfig({ AFTERCARE_TRUST_PROXY: '1' }).console.trustProxy).toBe(1);
      expect(loadConfig({ AFTERCARE_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).console.trustProxy).toBe('loopback, 10.0.0.0/8');
      expect(() => loadConfig({ AFTERCARE_TRUST_PROXY: 'everyone' })).toThrow(/AFTERCARE_TRUST_PROXY/);
      expect(loadConfig({ AFTERCARE_INVITATION_VALID: '7d', AFTERCARE_RESET_VALID: '30m' }).console.linkLifetimes).toEqual({ invitationMs: 7 * 86_400_000, resetMs: 30 * 60_000 });
      expect(() => loadConfig({ AFTERCARE_INVITATION_VALID: '72 hours' })).toThrow(/AFTERCARE_INVITATION_VALID/);
    });

    it('reads the console settings', () => {
      const secret = 'x'.repeat(32);
      expect(loadConfig({ CONSOLE_SESSION_IDLE: '30m', CONSOLE_SESSION_MAX: '1d', CONSOLE_SIGNIN_LIMIT: '5/1h', AFTERCARE_CONSOLE_SECRET: secret }).console).toEqual({
        sessionIdleMs: 30 * 60_000,
        sessionMaxMs: 86_400_000,
        signInLimit: { attempts: 5, windowMs: 3_600_000 },
        csrfSecret: secret,
        trustProxy: false,
        linkLifetimes: { invitationMs: 72 * 3_600_000, resetMs: 3_600_000 },
        secondFactor: { key: undefined, maxWaitMs: 15 * 60_000 },
      });
    });

    it('refuses bad spans, a short secret and an idle limit beyond the maximum, naming the variable', () => {
      const problems = (env: Record<string, string>) => {
        try {
          loadConfig(env);
        } catch (error) {
          return (error as ConfigError).problems;
        }
        return [];
      };
      expect(problems({ CONSOLE_SESSION_IDLE: '12 hours', CONSOLE_SESSION_MAX: '0d', CONSOLE_SIGNIN_LIMIT: '10', AFTERCARE_CONSOLE_SECRET: 'short' }).map((p) => p.split(':')[0])).toEqual([
        'CONSOLE_SESSION_IDLE',
        'CONSOLE_SESSION_MAX',
        'CONSOLE_SIGNIN_LIMIT',
        'AFTERCARE_CONSOLE_SECRET',
      ]);
      expect(problems({ CONSOLE_SESSION_IDLE: '8d' })).toEqual(['CONSOLE_SESSION_IDLE: must not be longer than CONSOLE_SESSION_MAX (7d)']);
    });
  });

  describe('single sign-on (OpenID Connect)', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    const full = { AFTERCARE_OIDC_ISSUER: 'https://login.example.com/realms/staff', AFTERCARE_OIDC_CLIENT_ID: 'aftercare', AFTERCARE_OIDC_CLIENT_SECRET: 'a-client-secret-of-32-characters' };

    it('is off with none of the settings', () => {
      expect(loadConfig({}).oidc).toBeUndefined();
    });

    it('takes the three settings, names the button after the issuer host, and derives the redirect from the public URL', () => {
      expect(loadConfig({ ...full, AFTERCARE_PUBLIC_URL: 'https://aftercare.example.com/' }).oidc).toEqual({
        issuer: 'https://login.example.com/realms/staff',
        clientId: 'aftercare',
        clientSecret: 'a-client-secret-of-32-characters',
        name: 'login.example.com',
        redirectUri: 'https://aftercare.example.com/sign-in/oidc/callback',
      });
      expect(loadConfig({ ...full, AFTERCARE_OIDC_NAME: ' Company account ' }).oidc).toMatchObject({ name: 'Company account', redirectUri: 'http://localhost:3000/sign-in/oidc/callback' });
    });

    it('refuses a partial setting, naming what is missing', () => {
      expect(problems({ AFTERCARE_OIDC_ISSUER: full.AFTERCARE_OIDC_ISSUER })).toEqual([
        'AFTERCARE_OIDC_CLIENT_ID: required for single sign-on, since AFTERCARE_OIDC_ISSUER is set (set all of AFTERCARE_OIDC_ISSUER, AFTERCARE_OIDC_CLIENT_ID, AFTERCARE_OIDC_CLIENT_SECRET, or none)',
        'AFTERCARE_OIDC_CLIENT_SECRET: required for single sign-on, since AFTERCARE_OIDC_ISSUER is set (set all of AFTERCARE_OIDC_ISSUER, AFTERCARE_OIDC_CLIENT_ID, AFTERCARE_OIDC_CLIENT_SECRET, or none)',
      ]);
      expect(problems({ AFTERCARE_OIDC_CLIENT_ID: 'x', AFTERCARE_OIDC_CLIENT_SECRET: full.AFTERCARE_OIDC_CLIENT_SECRET }).map((p) => p.split(':')[0])).toEqual(['AFTERCARE_OIDC_ISSUER']);
      expect(problems({ AFTERCARE_OIDC_NAME: 'Company account' }).map((p) => p.split(':')[0])).toEqual(['AFTERCARE_OIDC_NAME']);
    });

    it('refuses an issuer over plain http except on this machine, and a short secret', () => {
      expect(problems({ ...full, AFTERCARE_OIDC_ISSUER: 'http://login.example.com' }).map((p) => p.split(':')[0])).toEqual(['AFTERCARE_OIDC_ISSUER']);
      expect(problems({ ...full, AFTERCARE_OIDC_ISSUER: 'not a url' }).map((p) => p.split(':')[0])).toEqual(['AFTERCARE_OIDC_ISSUER']);
      expect(problems({ ...full, AFTERCARE_OIDC_CLIENT_SECRET: 'short' }).map((p) => p.split(':')[0])).toEqual(['AFTERCARE_OIDC_CLIENT_SECRET']);
      expect(loadConfig({ ...full, AFTERCARE_OIDC_ISSUER: 'http://127.0.0.1:8080/realms/dev' }).oidc?.name).toBe('127.0.0.1:8080');
    });
  });
});
