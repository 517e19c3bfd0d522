import path from 'node:path';
import { z } from 'zod';
import { LOG_LEVELS, type LogLevelName } from '../logging';
import { DEFAULT_API_METRICS_PORT, DEFAULT_METRICS_HOST, DEFAULT_WORKER_METRICS_PORT, type MetricsAddress } from '../metrics';

const SPAN = /^[1-9]\d*(s|m|h|d)$/;
const SPAN_HINT = 'must be a whole number of s, m, h or d, like 12h or 7d';

/** A metrics port, or `off` for no endpoint. */
const metricsPort = (fallback: number) =>
  z
    .union([z.literal('off'), z.coerce.number().int().min(1, 'must be a port (1–65535) or off').max(65535, 'must be a port (1–65535) or off')])
    .default(fallback);
/** Settings `npm start` and `npm run cluster` both take, checked the same way by both. */
const portSchema = z.coerce.number().int().min(0).max(65535);
const adminTokenSchema = z.string().min(16, 'must be at least 16 characters');

/** An issuer is reached over https; plain http only on this machine (a provider the tests or a developer run). */
function secureOrLoopback(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname));
}

/** Single sign-on's settings come all together or not at all. */
const OIDC_REQUIRED = ['AFTERCARE_OIDC_ISSUER', 'AFTERCARE_OIDC_CLIENT_ID', 'AFTERCARE_OIDC_CLIENT_SECRET'] as const;

/** The path the provider sends people back to; register `${AFTERCARE_PUBLIC_URL}${OIDC_CALLBACK_PATH}` with it. */
export const OIDC_CALLBACK_PATH = '/sign-in/oidc/callback';

/** Every setting comes from the environment and is checked once, at start, with one line per problem. */
const envSchema = z.object({
  PORT: portSchema.default(3000),
  DATABASE_URL: z
    .string()
    .refine((v) => /^mysql:\/\//.test(v), 'must be a mysql:// URL (leave it unset for the embedded SQLite store)')
    .optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d+$/, 'must be host:port, e.g. temporal.example.com:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('aftercare'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  AFTERCARE_DATA_DIR: z.string().min(1).default('./data'),
  AFTERCARE_ADMIN_TOKEN: adminTokenSchema.optional(),
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\//.test(v), 'must be an smtp:// or smtps:// URL (leave it unset to write .eml files)')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Aftercare <aftercare@localhost>'),
  AFTERCARE_PUBLIC_URL: z.string().url('must be an absolute URL, e.g. https://aftercare.example.com').optional(),
  NOTICE_WORKER_CONCURRENCY: z.coerce.number().int().min(1, 'must be at least 1').max(1000).default(4),
  WORKER_SHUTDOWN_GRACE: z.string().regex(/^\d+(ms|s|m)$/, 'must be like 10s, 500ms or 1m').default('10s'),
  CONSOLE_SESSION_IDLE: z.string().regex(SPAN, SPAN_HINT).default('12h'),
  CONSOLE_SESSION_MAX: z.string().regex(SPAN, SPAN_HINT).default('7d'),
  CONSOLE_SIGNIN_LIMIT: z.string().regex(/^[1-9]\d*\/[1-9]\d*(s|m|h|d)$/, 'must be attempts/window, like 100/15m').default('100/15m'),
  AFTERCARE_CONSOLE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AFTERCARE_TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/,\s]+|loopback|linklocal|uniquelocal)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*$/, 'must be true, false, a number of proxies, or addresses/subnets (loopback, 10.0.0.0/8, …) separated by commas')
    .optional(),
  AFTERCARE_INVITATION_VALID: z.string().regex(SPAN, SPAN_HINT).default('72h'),
  AFTERCARE_RESET_VALID: z.string().regex(SPAN, SPAN_HINT).default('1h'),
  AFTERCARE_SECOND_FACTOR_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  AFTERCARE_SECOND_FACTOR_MAX_WAIT: z.string().regex(SPAN, SPAN_HINT).default('15m'),
  AFTERCARE_SETUP_VALID: z.string().regex(SPAN, SPAN_HINT).default('24h'),
  AFTERCARE_TOKEN_VALID: z.string().regex(SPAN, SPAN_HINT).default('90d'),
  AFTERCARE_TOKEN_MAX_VALID: z.string().regex(SPAN, SPAN_HINT).default('365d'),
  // admin@localhost must pass: a plain shape, not the web's idea of an address.
  AFTERCARE_ADMIN_EMAIL: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'must be an e-mail address, like admin@example.com').default('admin@localhost'),
  AFTERCARE_LOG_LEVEL: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
    .optional(),
  AFTERCARE_OIDC_ISSUER: z
    .string()
    .url('must be the provider\'s issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0')
    .refine((url) => !URL.canParse(url) || secureOrLoopback(url), 'must be https (plain http only on this machine: localhost, 127.0.0.1, [::1])')
    .optional(),
  AFTERCARE_OIDC_CLIENT_ID: z.string().trim().min(1).optional(),
  AFTERCARE_OIDC_CLIENT_SECRET: z.string().min(16, 'must be at least 16 characters (the secret the provider issued for this client)').optional(),
  AFTERCARE_OIDC_NAME: z.string().trim().min(1).max(60, 'must be at most 60 characters').optional(),
  AFTERCARE_METRICS_HOST: z.string().min(1).default(DEFAULT_METRICS_HOST),
  AFTERCARE_METRICS_PORT: metricsPort(DEFAULT_API_METRICS_PORT),
  AFTERCARE_WORKER_METRICS_PORT: metricsPort(DEFAULT_WORKER_METRICS_PORT),
});

/** A console time span: a positive whole number of seconds, minutes, hours or days. */
const SPAN_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `12h` → 43 200 000; the regex above guarantees the shape. */
export function spanMs(span: string): number {
  const unit = span.slice(-1) as keyof typeof SPAN_UNITS_MS;
  return Number(span.slice(0, -1)) * SPAN_UNITS_MS[unit];
}

export interface AppConfig {
  port: number;
  databaseUrl?: string;
  temporalAddress?: string;
  temporalNamespace: string;
  taskQueue: string;
  temporalUiPort: number;
  temporalDevPort: number;
  dataDir: string;
  adminToken?: string;
  /** AFTERCARE_ADMIN_EMAIL: the first administrator, whose set-up link npm start prints on an empty database. */
  adminEmail: string;
  /** How long the first administrator's set-up link lives (AFTERCARE_SETUP_VALID, 24 h). */
  setupLinkMs: number;
  /** How long machine tokens live unless asked (AFTERCARE_TOKEN_VALID, 90 d), and at most (AFTERCARE_TOKEN_MAX_VALID, 365 d). */
  tokenLifetimes: { defaultMs: number; maxMs: number };
  smtpUrl?: string;
  mailFrom: string;
  /** Base URL people reach the console at, used in notice links; defaults to http://localhost:PORT. */
  publicUrl: string;
  workerShutdownGrace: string;
  /** Notice activities one worker process runs at once, on the `<taskQueue>-notices` queue. */
  noticeConcurrency: number;
  console: ConsoleConfig;
  /** AFTERCARE_LOG_LEVEL when set; each entry point has its own default (platform/logging.ts). */
  logLevel?: LogLevelName;
  /** Where the API's `/metrics` (request histogram, Node process metrics) is served; none if off. */
  apiMetrics?: MetricsAddress;
  /** Where the Temporal SDK serves the worker's metrics; none if off. */
  workerMetrics?: MetricsAddress;
  /** Single sign-on for staff (OpenID Connect), when AFTERCARE_OIDC_* are set. */
  oidc?: OidcConfig;
}

/** Single sign-on through an OpenID provider (people/oidc/). */
export interface OidcConfig {
  /** AFTERCARE_OIDC_ISSUER: discovery reads `<issuer>/.well-known/openid-configuration`, lazily. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Shown on the sign-in button: AFTERCARE_OIDC_NAME, else the issuer's host. */
  name: string;
  /** `${AFTERCARE_PUBLIC_URL}/sign-in/oidc/callback`. */
  redirectUri: string;
}

export interface ConsoleConfig {
  /** A console session ends after this long without a request… */
  sessionIdleMs: number;
  /** …and this long after sign-in in any case. */
  sessionMaxMs: number;
  /** Failed sign-ins allowed per client address within the window. */
  signInLimit: { attempts: number; windowMs: number };
  /** Key of the CSRF tokens; unset → random per process (set it when several API processes serve the console). */
  csrfSecret?: string;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For to believe for the client's address; false by default. */
  trustProxy: boolean | number | string;
  /** How long invitation and password-reset links live. */
  linkLifetimes: { invitationMs: number; resetMs: number };
  /** The key TOTP secrets are sealed with (unset: a built-in one), and the longest wait after wrong codes. */
  secondFactor: { key?: string; maxWaitMs: number };
}

/** AFTERCARE_TRUST_PROXY as Express takes it: a boolean, a number of hops, or a list of addresses and subnets. */
export function trustProxyValue(text: string | undefined): boolean | number | string {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  return text;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Empty strings are treated as unset: `FOO= npm start` should not count as a value. */
const presentIn = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = presentIn(env);
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  if (spanMs(e.CONSOLE_SESSION_IDLE) > spanMs(e.CONSOLE_SESSION_MAX)) {
    throw new ConfigError([`CONSOLE_SESSION_IDLE: must not be longer than CONSOLE_SESSION_MAX (${e.CONSOLE_SESSION_MAX})`]);
  }
  const oidcSet = OIDC_REQUIRED.filter((name) => e[name] !== undefined);
  if (oidcSet.length > 0 && oidcSet.length < OIDC_REQUIRED.length) {
    const missing = OIDC_REQUIRED.filter((name) => e[name] === undefined);
    throw new ConfigError(missing.map((name) => `${name}: required for single sign-on, since ${oidcSet.join(' and ')} ${oidcSet.length > 1 ? 'are' : 'is'} set (set all of ${OIDC_REQUIRED.join(', ')}, or none)`));
  }
  if (e.AFTERCARE_OIDC_NAME !== undefined && oidcSet.length === 0) {
    throw new ConfigError([`AFTERCARE_OIDC_NAME: names a single sign-on that is not set (set ${OIDC_REQUIRED.join(', ')} too, or leave it unset)`]);
  }
  const publicUrl = (e.AFTERCARE_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  if (spanMs(e.AFTERCARE_TOKEN_VALID) > spanMs(e.AFTERCARE_TOKEN_MAX_VALID)) {
    throw new ConfigError([`AFTERCARE_TOKEN_VALID: must not be longer than AFTERCARE_TOKEN_MAX_VALID (${e.AFTERCARE_TOKEN_MAX_VALID})`]);
  }
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    temporalUiPort: e.TEMPORAL_UI_PORT,
    temporalDevPort: e.TEMPORAL_DEV_PORT,
    dataDir: path.resolve(e.AFTERCARE_DATA_DIR),
    adminToken: e.AFTERCARE_ADMIN_TOKEN,
    adminEmail: e.AFTERCARE_ADMIN_EMAIL.toLowerCase(),
    setupLinkMs: spanMs(e.AFTERCARE_SETUP_VALID),
    tokenLifetimes: { defaultMs: spanMs(e.AFTERCARE_TOKEN_VALID), maxMs: spanMs(e.AFTERCARE_TOKEN_MAX_VALID) },
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    publicUrl,
    workerShutdownGrace: e.WORKER_SHUTDOWN_GRACE,
    console: {
      sessionIdleMs: spanMs(e.CONSOLE_SESSION_IDLE),
      sessionMaxMs: spanMs(e.CONSOLE_SESSION_MAX),
      signInLimit: { attempts: Number(e.CONSOLE_SIGNIN_LIMIT.split('/')[0]), windowMs: spanMs(e.CONSOLE_SIGNIN_LIMIT.split('/')[1]!) },
      csrfSecret: e.AFTERCARE_CONSOLE_SECRET,
      trustProxy: trustProxyValue(e.AFTERCARE_TRUST_PROXY),
      linkLifetimes: { invitationMs: spanMs(e.AFTERCARE_INVITATION_VALID), resetMs: spanMs(e.AFTERCARE_RESET_VALID) },
      secondFactor: { key: e.AFTERCARE_SECOND_FACTOR_KEY, maxWaitMs: spanMs(e.AFTERCARE_SECOND_FACTOR_MAX_WAIT) },
    },
    noticeConcurrency: e.NOTICE_WORKER_CONCURRENCY,
    logLevel: e.AFTERCARE_LOG_LEVEL,
    apiMetrics: e.AFTERCARE_METRICS_PORT === 'off' ? undefined : { host: e.AFTERCARE_METRICS_HOST, port: e.AFTERCARE_METRICS_PORT },
    workerMetrics: e.AFTERCARE_WORKER_METRICS_PORT === 'off' ? undefined : { host: e.AFTERCARE_METRICS_HOST, port: e.AFTERCARE_WORKER_METRICS_PORT },
    ...(e.AFTERCARE_OIDC_ISSUER && e.AFTERCARE_OIDC_CLIENT_ID && e.AFTERCARE_OIDC_CLIENT_SECRET
      ? {
          oidc: {
            issuer: e.AFTERCARE_OIDC_ISSUER,
            clientId: e.AFTERCARE_OIDC_CLIENT_ID,
            clientSecret: e.AFTERCARE_OIDC_CLIENT_SECRET,
            name: e.AFTERCARE_OIDC_NAME ?? new URL(e.AFTERCARE_OIDC_ISSUER).host,
            redirectUri: `${publicUrl}${OIDC_CALLBACK_PATH}`,
          },
        }
      : {}),
  };
}

const clusterEnvSchema = z.object({
  // The cluster's API must answer on a real port: the cluster waits for it there.
  PORT: portSchema.min(1, 'must be a port from 1 to 65535 under npm run cluster').optional(),
  AFTERCARE_ADMIN_TOKEN: adminTokenSchema.optional(),
  AFTERCARE_CLUSTER_DIR: z.string().min(1).optional(),
  AFTERCARE_CLUSTER_PORT_BASE: z.coerce.number().optional(),
});

/** What `npm run cluster` takes from the environment (the configuration table in the README). */
export interface ClusterConfig {
  /** AFTERCARE_CLUSTER_DIR, default `<appRoot>/data/cluster`. */
  dataDir: string;
  /** AFTERCARE_CLUSTER_PORT_BASE, default 17000 (checked by `clusterPorts`). */
  portBase: number;
  /** PORT: the API's port; unset, the port base + 80. */
  apiPort?: number;
  /** AFTERCARE_ADMIN_TOKEN: the bootstrap admin's token; unset, generated once and kept in the cluster's data folder. */
  adminToken?: string;
}

/** The cluster's settings, checked as `loadConfig` checks them (PORT and AFTERCARE_ADMIN_TOKEN mean the same under both commands). */
export function loadClusterConfig(env: NodeJS.ProcessEnv, appRoot: string): ClusterConfig {
  const parsed = clusterEnvSchema.safeParse(presentIn(env));
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  const e = parsed.data;
  return {
    dataDir: path.resolve(e.AFTERCARE_CLUSTER_DIR ?? path.join(appRoot, 'data', 'cluster')),
    portBase: e.AFTERCARE_CLUSTER_PORT_BASE ?? 17000,
    ...(e.PORT !== undefined ? { apiPort: e.PORT } : {}),
    ...(e.AFTERCARE_ADMIN_TOKEN !== undefined ? { adminToken: e.AFTERCARE_ADMIN_TOKEN } : {}),
  };
}
