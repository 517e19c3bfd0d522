import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

// Accept a caller's id only if it is short and harmless in logs and in the audit_log column.
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Echoes `X-Request-Id` (or makes one) so a client, our logs and the audit trail share one id. */
export function assignRequestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  const id = incoming && ACCEPTABLE.test(incoming) ? incoming : crypto.randomUUID();
  res.locals.requestId = id;
  res.set('X-Request-Id', id);
  next();
}

export function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : 'unknown';
}
