import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { Client } from '@temporalio/client';
import { z } from './zod';

export const HEALTH_PATH = '/healthz';

// Short enough for a load balancer's probe; a check that takes longer counts as down.
const CHECK_TIMEOUT_MS = 2000;

export const HealthWarningSchema = z
  .object({
    code: z.literal('calendar_year_missing'),
    calendar: z.string(),
    year: z.number().int(),
    message: z.string(),
  })
  .openapi('HealthWarning');

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    database: z.enum(['up', 'down']),
    temporal: z.enum(['up', 'down', 'not_configured']),
    /** Not failures (the status stays ok): things an operator should see to, e.g. a calendar year to load. */
    warnings: z.array(HealthWarningSchema),
  })
  .openapi('Health');

export type HealthWarning = z.infer<typeof HealthWarningSchema>;

export type Health = z.infer<typeof HealthSchema>;

/** `check`'s answer, or `fallback` when it fails or outlasts the timeout (a dead pool can wait a minute for a connection). */
async function withinTimeout<T>(check: () => Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch(() => fallback), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const passes = (check: () => Promise<boolean>): Promise<boolean> => withinTimeout(check, false);

/** What /healthz warns about besides its checks, gathered by the features that know (a calendar year to load). */
export type HealthWarnings = () => Promise<HealthWarning[]>;

/** What /healthz stands on (a part of the API's deps). */
export interface HealthDeps {
  knex: Knex;
  temporal?: { client: Client };
  /** `temporal` overrides how Temporal is checked (by default `temporal.client`'s connection); `warnings` lists what an operator should see to. */
  health?: { temporal?(): Promise<boolean>; warnings?: HealthWarnings };
}

function temporalCheck(deps: HealthDeps): (() => Promise<boolean>) | null {
  const { health, temporal } = deps;
  if (health?.temporal) return health.temporal;
  if (!temporal) return null;
  const { connection } = temporal.client;
  return async () => {
    await connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({}));
    return true;
  };
}


export async function checkHealth(knex: Knex, temporal: (() => Promise<boolean>) | null, warningsOf: HealthWarnings = async () => []): Promise<Health> {
  const [databaseUp, temporalUp] = await Promise.all([
    passes(async () => {
      await knex.raw('select 1');
      return true;
    }),
    temporal ? passes(temporal) : null,
  ]);
  const database = databaseUp ? 'up' : 'down';
  const temporalState = temporalUp === null ? 'not_configured' : temporalUp ? 'up' : 'down';
  const warnings = databaseUp ? await withinTimeout(warningsOf, []) : [];
  return { status: databaseUp && temporalUp !== false ? 'ok' : 'degraded', database, temporal: temporalState, warnings };
}

/** GET /healthz, public: 200 when every configured part is up, 503 otherwise. */
export function healthHandler(deps: HealthDeps) {
  const temporal = temporalCheck(deps);
  return async (_req: Request, res: Response): Promise<void> => {
    const health = await checkHealth(deps.knex, temporal, deps.health?.warnings);
    res.set('Cache-Control', 'no-store');
    res.status(health.status === 'ok' ? 200 : 503).json(health);
  };
}

export function registerHealthDocs(openapi: OpenAPIRegistry): void {
  openapi.registerPath({
    method: 'get',
    path: HEALTH_PATH,
    summary: 'Liveness of the API and what it depends on',
    tags: ['operations'],
    responses: {
      200: { description: 'Every configured part is up (warnings may still list things to see to)', content: { 'application/json': { schema: HealthSchema } } },
      503: { description: 'The database or Temporal is down', content: { 'application/json': { schema: HealthSchema } } },
    },
  });
}
