import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import type { Router } from 'express';
import type { Knex } from 'knex';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging';
import type { HealthDeps } from './health';
import type { NoticeOutbox } from '../notices/outbox';

export interface ApiLogger {
  error(message: string, error?: unknown): void;
}

/** Everything the API stands on, passed in explicitly so tests can hand in their own. */
export interface ApiDeps {
  knex: Knex;
  temporal?: { client: Client; taskQueue: string; namespace: string };
  /** /healthz: how Temporal is checked, and the warnings features add (schedule/calendars/health.ts). */
  health?: HealthDeps['health'];
  /** Feature modules, mounted under /api after the built-in ones (users). */
  routers?: ApiModule[];
  /** Where unexpected errors and failed audit writes go; by default `log`, with the request's id. */
  logger?: ApiLogger;
  /** The pino logger request lines go to (each request gets a child with its `reqId`); the root logger by default. */
  log?: Logger;
  /** Records `aftercare_http_request_duration_seconds` here when given (served by platform/metrics.ts). */
  metrics?: Registry;
  /**
   * The address people reach us at (AFTERCARE_PUBLIC_URL), without a trailing slash: every absolute
   * link an answer carries starts with it, never with the request's Host header, which a client chooses.
   */
  publicUrl?: string;
  /** Mail the API sends itself (invitations, password resets) through the outbox, with links to `publicUrl`. */
  mail?: { outbox: NoticeOutbox; publicUrl: string };
  /** How long invitation and password-reset links live (AFTERCARE_INVITATION_VALID, AFTERCARE_RESET_VALID). */
  linkLifetimes?: { invitationMs: number; resetMs: number };
  /** How long machine tokens live unless asked, and at most (AFTERCARE_TOKEN_VALID, AFTERCARE_TOKEN_MAX_VALID). */
  tokenLifetimes?: { defaultMs: number; maxMs: number };
}

/**
 * A piece of the API. `router` is mounted at /api (body parsed, caller identified, errors handled);
 * `openapi` collects the document served at /api/openapi.json. `defineRoute` returns one of these.
 */
/** The public address for links in answers: AFTERCARE_PUBLIC_URL, or the mail's (the same setting), or the local default. */
export function publicUrlOf(deps: Pick<ApiDeps, 'publicUrl' | 'mail'>): string {
  return (deps.publicUrl ?? deps.mail?.publicUrl ?? 'http://localhost:3000').replace(/\/$/, '');
}

export interface ApiModule {
  register(router: Router, openapi: OpenAPIRegistry, deps: ApiDeps): void;
}

/** Several modules as one, so a feature file can export a single `ApiModule`. */
export function apiModule(...parts: ApiModule[]): ApiModule {
  return {
    register(router, openapi, deps) {
      for (const part of parts) part.register(router, openapi, deps);
    },
  };
}
