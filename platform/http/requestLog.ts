import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { withLogger, type Logger } from '../logging';
import { routePatternOf } from '../metrics';
import { requestIdOf } from './requestId';

const patternOf = (req: IncomingMessage, res: ServerResponse) => routePatternOf(req as Request, res as Response);

/**
 * One JSON line per answered request (method, matched route pattern, status, time) and `req.log`, a
 * child logger carrying the request id as `reqId`, current for everything the request awaits
 * (platform/logging.ts `currentLogger`). Mount after assignRequestId. Never logs the raw URL: a
 * survey link or a calendar feed carries its token in it.
 */
export function requestLogging(logger: Logger) {
  const middleware = pinoHttp({
    logger,
    genReqId: (_req, res) => requestIdOf(res as Response),
    quietReqLogger: true,
    serializers: {
      req: (req: { method: string }) => ({ method: req.method }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Every answer at info, its status in the line: an unexpected error has its own error line, with
    // the stack, from the error handler (platform/http/app.ts); a 503 from /healthz is an answer.
    useLevel: 'info',
    customSuccessObject: (req, res, value: object) => ({ ...value, route: patternOf(req, res) }),
    // pino-http makes up an Error (with a stack of its own) for any 5xx; the real one is logged where it is handled.
    customErrorObject: (req, res, _error, { err: _made, ...value }: { err?: unknown }) => ({ ...value, route: patternOf(req, res) }),
    customSuccessMessage: (req, res) => `${req.method} ${patternOf(req, res)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${patternOf(req, res)} ${res.statusCode}`,
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    middleware(req, res, () => withLogger(req.log, next));
  };
}
