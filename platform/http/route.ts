import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import type { User } from '../../domain/people';
import type { Scope } from '../../domain/access';
import { checkRouteAccess, requireRecord, requireRuleRole, scopeForRoute, type RouteAccess } from './access';
import { setAuditAction } from './audit';
import { requireAccess, type Access } from './auth';
import type { FieldProblem } from './errors';
import { IdempotencyHeaders, idempotencyKeyOf } from './idempotency';
import type { ApiDeps, ApiModule } from './module';
import { BEARER_AUTH, ErrorSchema } from './openapi';
import { setMetricsRoute } from '../metrics';
import type { Locale } from '../../domain/locale';
import { invalidFields, PROBLEM_PARSE, problemsOf, readerLocale } from './problemMessages';

/** Where every ApiModule's router is mounted. */
export const API_PREFIX = '/api';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

// Params and query arrive as strings: use z.coerce for numbers and dates.
type InputObject = z.ZodObject<z.ZodRawShape, z.core.$ZodObjectConfig>;

export interface ResponseSpec {
  description: string;
  /** The JSON body; omit it for an empty response. */
  body?: z.ZodType;
}

export interface RouteSpec<B, P, Q, R, A extends Access> {
  method: HttpMethod;
  /** Relative to /api, in express syntax: `/tickets/:id`. */
  path: string;
  roles: A;
  /** The resource rule the route answers to (api/access.ts, domain/access.ts). Required: the matrix test enumerates it. */
  access: RouteAccess;
  summary: string;
  description?: string;
  tags?: string[];
  body?: B;
  params?: P;
  query?: Q;
  /** Successful answers, returned by the handler. */
  responses: R;
  /** Error answers the handler may cause by throwing (e.g. `{ 409: 'E-mail already in use' }`), for the document. */
  errors?: Record<number, string>;
  /** Honours an `Idempotency-Key` header (steps and creates): documented, checked, handed to the handler. */
  idempotent?: boolean;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteContext<B, P, Q, A extends Access> {
  body: Parsed<B>;
  params: Parsed<P>;
  query: Parsed<Q>;
  /** The caller; null only on public routes called without a valid token. */
  user: A extends 'public' ? User | null : User;
  /** What the caller reaches of the route's resource (domain/access.ts): lists answer only this. */
  scope: Scope;
  deps: ApiDeps;
  req: Request;
  /** Set `res.locals.audit = { entityType, entityId }` to name what a state change acted on. */
  res: Response;
  /** The request's `Idempotency-Key`, on routes declared idempotent. */
  idempotencyKey: string | undefined;
}

/** One of the declared responses, its body typed by that response's schema. */
export type Reply<R> = {
  [S in keyof R & number]: R[S] extends { body: infer T extends z.ZodType } ? { status: S; body: z.input<T> } : { status: S; body?: undefined };
}[keyof R & number];

/** Return a Reply, or nothing once the handler has written the response itself (files, redirects). */
export type RouteHandler<B, P, Q, R, A extends Access> = (context: RouteContext<B, P, Q, A>) => Promise<Reply<R> | void>;

/** `/tickets/:id` → `/api/tickets/{id}` */
function openApiPath(path: string): string {
  return `${API_PREFIX}${path.replace(/:(\w+)/g, '{$1}')}`;
}

function errorResponse(description: string): ResponseConfig {
  return { description, content: { 'application/json': { schema: ErrorSchema } } };
}

function openApiRoute(spec: RouteSpec<z.ZodType, InputObject, InputObject, Record<number, ResponseSpec>, Access>): RouteConfig {
  const responses: RouteConfig['responses'] = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = response.body
      ? { description: response.description, content: { 'application/json': { schema: response.body } } }
      : { description: response.description };
  }
  for (const [status, description] of Object.entries(spec.errors ?? {})) responses[status] = errorResponse(description);
  if (spec.body || spec.params || spec.query) responses['400'] ??= errorResponse('Invalid input; `details` names every bad field');
  if (spec.idempotent) responses['422'] ??= errorResponse('The Idempotency-Key was already used for a different request');
  if (spec.roles !== 'public') responses['401'] ??= errorResponse('Missing, unknown or revoked bearer token');
  if (Array.isArray(spec.roles)) responses['403'] ??= errorResponse('The caller’s role may not do this');
  if (spec.access.rule === 'record') responses['404'] ??= errorResponse('No such record, or one out of the caller’s reach (the two answer alike)');
  const roles = spec.roles === 'public' ? 'anyone' : spec.roles === 'authenticated' ? 'any signed-in user' : spec.roles.join(', ');
  return {
    method: spec.method,
    path: openApiPath(spec.path),
    summary: spec.summary,
    description: [spec.description, `Allowed: ${roles}.`].filter(Boolean).join('\n\n'),
    tags: spec.tags,
    'x-roles': spec.roles,
    'x-access': spec.access,
    ...(spec.roles === 'public' ? {} : { security: [{ [BEARER_AUTH]: [] }] }),
    request: {
      ...(spec.body ? { body: { required: true, content: { 'application/json': { schema: spec.body } } } } : {}),
      params: spec.params,
      query: spec.query,
      ...(spec.idempotent ? { headers: IdempotencyHeaders } : {}),
    },
    responses,
  };
}


/**
 * Parses params, query and body together so one 400 names every bad field. Problems in the path
 * parameters come apart: the record they name is looked up (404) before the rest is judged.
 */
function parseInput(spec: { body?: z.ZodType; params?: z.ZodType; query?: z.ZodType }, req: Request, locale: Locale) {
  const problems = { params: [] as FieldProblem[], rest: [] as FieldProblem[] };
  const parse = (schema: z.ZodType | undefined, value: unknown, location: 'params' | 'query' | 'body'): unknown => {
    if (!schema) return undefined;
    const result = schema.safeParse(value, PROBLEM_PARSE);
    if (result.success) return result.data;
    problems[location === 'params' ? 'params' : 'rest'].push(...problemsOf(result.error, location, locale));
    return undefined;
  };
  const input = {
    params: parse(spec.params, req.params, 'params'),
    query: parse(spec.query, req.query, 'query'),
    body: parse(spec.body, req.body, 'body'),
  };
  return { input, problems };
}

function send(res: Response, reply: { status: number; body?: unknown }): void {
  if (reply.body === undefined) res.status(reply.status).end();
  else res.status(reply.status).json(reply.body);
}

/**
 * One API operation from one declaration: the zod schemas document it in the OpenAPI document,
 * validate its input and type its handler. Checks the caller's token and role first (401/403),
 * then the path (400) and the record it names (404 when out of the caller's reach), then the rest
 * of the input (400), then runs the handler; thrown errors reach the API's error handler.
 */
export function defineRoute<
  R extends Record<number, ResponseSpec>,
  A extends Access,
  B extends z.ZodType | undefined = undefined,
  P extends InputObject | undefined = undefined,
  Q extends InputObject | undefined = undefined,
>(spec: RouteSpec<B, P, Q, R, A>, handler: RouteHandler<NoInfer<B>, NoInfer<P>, NoInfer<Q>, NoInfer<R>, NoInfer<A>>): ApiModule {
  if (Array.isArray(spec.roles) && spec.roles.length === 0) throw new Error(`${spec.method} ${spec.path}: roles is empty; use 'public' or name a role`);
  checkRouteAccess(`${spec.method} ${spec.path}`, (spec as { access?: RouteAccess }).access);
  const pattern = `${API_PREFIX}${spec.path}`;
  const action = `${spec.method.toUpperCase()} ${pattern}`;
  return {
    register(router, openapi, deps) {
      openapi.registerPath(openApiRoute(spec as RouteSpec<z.ZodType, InputObject, InputObject, Record<number, ResponseSpec>, Access>));
      router[spec.method](spec.path, async (req: Request, res: Response, next: NextFunction) => {
        setAuditAction(res, action);
        setMetricsRoute(res, pattern);
        try {
          // 401/403 by role, then 400 for the path, 404 for a record out of reach, then 400 for the rest.
          const user = requireAccess(spec.roles, res);
          requireRuleRole(spec.access, user);
          const locale = readerLocale(req, user);
          const { input, problems } = parseInput(spec as { body?: z.ZodType; params?: z.ZodType; query?: z.ZodType }, req, locale);
          if (problems.params.length > 0) throw invalidFields([...problems.params, ...problems.rest], locale);
          await requireRecord(spec.access, user, deps.knex, (input.params ?? {}) as Record<string, unknown>);
          if (problems.rest.length > 0) throw invalidFields(problems.rest, locale);
          const idempotencyKey = spec.idempotent ? idempotencyKeyOf(req) : undefined;
          const context = { ...input, user, scope: scopeForRoute(spec.access, user), deps, req, res, idempotencyKey } as RouteContext<B, P, Q, A>;
          const reply = await handler(context);
          if (reply) send(res, reply);
          else if (!res.headersSent) res.status(204).end();
        } catch (error) {
          next(error);
        }
      });
    },
  };
}
