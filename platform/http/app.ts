import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createAuditTrail, setAuditErrorCode, type AuditTrail } from './audit';
import { callerOf, identifyCaller, type IdentifyToken } from './auth';
import { INTERNAL_ERROR_BODY, notFound, toApiError } from './errors';
import { words } from '../../domain/words';
import { errorBodyIn, readerLocale } from './problemMessages';
import { HEALTH_PATH, healthHandler, registerHealthDocs } from './health';
import type { ApiDeps, ApiLogger } from './module';
import { createOpenApiRegistry, generateOpenApiDocument, type OpenApiDocument } from './openapi';
import { requestIdOf, assignRequestId } from './requestId';
import { requestLogging } from './requestLog';
import { errorLoggerOf, rootLogger } from '../logging';
import { httpRequestMetrics } from '../metrics';
import { apiSecurityHeaders } from './securityHeaders';
import { API_PREFIX } from './route';

export type { ApiDeps, ApiModule } from './module';


const auditTrails = new WeakMap<express.Application, AuditTrail>();

/** Resolves once the audit rows of every finished request are written; call it before closing the database. */
export async function settleBackgroundWork(app: express.Application): Promise<void> {
  await auditTrails.get(app)?.settled();
}

function errorHandler(override: ApiLogger | undefined) {
  // Express recognises an error handler by its four parameters.
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    const logger = override ?? errorLoggerOf(req.log);
    if (res.headersSent) {
      logger.error(`[api] ${req.method} ${req.originalUrl} failed after answering (request ${requestIdOf(res)})`, error);
      return next(error);
    }
    const known = toApiError(error);
    if (known) {
      setAuditErrorCode(res, known.code);
      res.status(known.status).json(errorBodyIn(known, readerLocale(req, callerOf(res))));
      return;
    }
    logger.error(`[api] ${req.method} ${req.originalUrl} failed (request ${requestIdOf(res)})`, error);
    setAuditErrorCode(res, INTERNAL_ERROR_BODY.error.code);
    res.status(500).json(INTERNAL_ERROR_BODY);
  };
}

function openApiHandler(registry: OpenAPIRegistry) {
  // Built on first request, when every module has registered its routes.
  let document: OpenApiDocument | undefined;
  return (_req: Request, res: Response): void => {
    document ??= generateOpenApiDocument(registry);
    res.json(document);
  };
}

function apiRouter(deps: HttpAppDeps, openapi: OpenAPIRegistry, audit: AuditTrail): express.Router {
  const router = express.Router();
  router.use(audit.middleware);
  router.use(identifyCaller(deps.identify));
  router.use(express.json({ limit: '1mb' }));
  router.get('/openapi.json', openApiHandler(openapi));
  for (const module of deps.routers ?? []) module.register(router, openapi, deps);
  router.use((req: Request, _res: Response, next: NextFunction) => next(notFound(words('api.notFound.endpoint', { method: req.method, path: req.originalUrl.split('?')[0] ?? '' }))));
  router.use(errorHandler(deps.logger));
  return router;
}

/** What the HTTP kit needs besides the API's deps: who a bearer token belongs to (the people feature knows). */
export interface HttpAppDeps extends ApiDeps {
  identify: IdentifyToken;
}

/**
 * The HTTP application: /healthz, and the JSON API under /api with its OpenAPI document at
 * /api/openapi.json. Anything outside /api (e.g. the web console) can be mounted on the result, and
 * shares its request id, request log line and request histogram. The API's own entry (`api/app.ts`
 * `createApp`) adds the people feature: its token check and its users routes.
 */
export function createHttpApp(deps: HttpAppDeps): express.Application {
  const log = deps.log ?? rootLogger;
  const app = express();
  app.disable('x-powered-by');
  app.use(apiSecurityHeaders());
  app.use(assignRequestId);
  if (deps.metrics) app.use(httpRequestMetrics(deps.metrics));
  app.use(requestLogging(log));

  const openapi = createOpenApiRegistry();
  app.get(HEALTH_PATH, healthHandler(deps));
  registerHealthDocs(openapi);

  const audit = createAuditTrail(deps.knex, deps.logger ?? errorLoggerOf(log));
  auditTrails.set(app, audit);
  app.use(API_PREFIX, apiRouter(deps, openapi, audit));
  return app;
}
