import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { AuditRepository, type NewAuditEntry } from '../db/audit';
import { callerOf } from './auth';
import type { ApiLogger } from './module';
import { requestIdOf } from './requestId';

/** What a handler acted on; set it as `res.locals.audit = { entityType, entityId }`. */
export interface AuditTarget {
  entityType: string;
  entityId: string | number;
  /** What changed, when the route knows (a person's role before and after): kept in the row's details. */
  changes?: Record<string, unknown>;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_ACTION_LENGTH = 191;

/** defineRoute names the action by its route pattern, so one action reads the same for every entity. */
export function setAuditAction(res: Response, action: string): void {
  res.locals.auditAction = action;
}

/** The error handler notes the error code, so a rejected request's row says why. */
export function setAuditErrorCode(res: Response, code: string): void {
  res.locals.auditErrorCode = code;
}

function auditTargetOf(res: Response): AuditTarget | null {
  const target = res.locals.audit as Partial<AuditTarget> | undefined;
  if (!target || typeof target.entityType !== 'string') return null;
  if (typeof target.entityId !== 'string' && typeof target.entityId !== 'number') return null;
  return { entityType: target.entityType, entityId: target.entityId, ...(target.changes ? { changes: target.changes } : {}) };
}

function entryFor(req: Request, res: Response, path: string, startedAt: number): NewAuditEntry {
  const user = callerOf(res);
  const target = auditTargetOf(res);
  const action = typeof res.locals.auditAction === 'string' ? res.locals.auditAction : `${req.method} ${path}`;
  const details: Record<string, unknown> = { path, durationMs: Date.now() - startedAt };
  if (typeof res.locals.auditErrorCode === 'string') details.error = res.locals.auditErrorCode;
  if (!res.writableFinished) details.aborted = true;
  if (target?.changes) details.changes = target.changes;
  return {
    actorUserId: user?.id ?? null,
    actorRole: user?.role ?? null,
    action: action.slice(0, MAX_ACTION_LENGTH),
    entityType: target?.entityType ?? null,
    entityId: target?.entityId ?? null,
    requestId: requestIdOf(res),
    statusCode: res.statusCode,
    details,
  };
}

export interface AuditTrail {
  /** Writes one audit row per state-changing request, once the response is over. */
  middleware(req: Request, res: Response, next: NextFunction): void;
  /** Resolves when every audit row started so far is written (or its failure logged). */
  settled(): Promise<void>;
}

export function createAuditTrail(knex: Knex, logger: ApiLogger): AuditTrail {
  const audit = new AuditRepository(knex);
  const pending = new Set<Promise<void>>();

  const write = (entry: NewAuditEntry): void => {
    const writing = audit
      .record(entry)
      .then(() => undefined)
      .catch((error: unknown) => logger.error(`[api] audit write failed for request ${entry.requestId} (${entry.action})`, error))
      .finally(() => pending.delete(writing));
    pending.add(writing);
  };

  return {
    middleware(req, res, next) {
      if (!STATE_CHANGING.has(req.method)) return next();
      const startedAt = Date.now();
      // Read now: routers rewrite req.url while the request travels through them.
      const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
      // 'close' also fires when the client goes away mid-response; the action may still have happened.
      res.once('close', () => write(entryFor(req, res, path, startedAt)));
      next();
    },
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}
