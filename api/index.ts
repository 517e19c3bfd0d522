export { createApp, settleBackgroundWork, type ApiDeps, type ApiModule } from './app';
export { startApiServer, type ApiServer } from './server';
export { apiModule, type ApiLogger } from './module';
export { API_PREFIX, defineRoute, type HttpMethod, type Reply, type ResponseSpec, type RouteContext, type RouteHandler, type RouteSpec } from './route';
export type { Access } from './auth';
export type { AuditTarget } from './audit';
export { ApiError, conflict, forbidden, notFound, unauthenticated, validationFailed, type ErrorBody, type ErrorCode, type FieldProblem } from './errors';
export { LOCALES, LocaleSchema, ROLES, RoleSchema, type Locale, type Role } from './roles';
export { z } from './zod';
