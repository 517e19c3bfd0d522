import type express from 'express';
import { settleBackgroundWork, startApiServer, type ApiDeps, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { AuditRepository, type AuditEntry } from '../../platform/db/audit';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { createTestDatabase, type TestDatabase } from '../support/db';

export interface CallOptions {
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as-is with content-type application/json (for malformed bodies). */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Parsed JSON from the server: tests poke into it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

export interface ApiHarness {
  db: TestDatabase;
  app: express.Application;
  server: ApiServer;
  adminToken: string;
  users: UsersRepository;
  audit: AuditRepository;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** Errors the app logged (message, error). */
  logged: Array<[string, unknown]>;
  /** Audit rows, newest first. They are written after the response: this waits until there are `atLeast`. */
  auditRows(atLeast: number): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

/** The real app on a fresh primary database (or `sharedDb`, which the caller closes), listening on a free port. */
export async function startApi(extraDeps: Partial<ApiDeps> = {}, sharedDb?: TestDatabase): Promise<ApiHarness> {
  const db = sharedDb ?? (await createTestDatabase());
  const users = new UsersRepository(db.knex);
  const adminToken = generateToken();
  await users.ensureAdmin(adminToken);
  const logged: Array<[string, unknown]> = [];
  const app = createApp({ knex: db.knex, logger: { error: (message, error) => logged.push([message, error]) }, ...extraDeps });
  const server = await startApiServer(app, 0, '127.0.0.1');
  const audit = new AuditRepository(db.knex);

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined || options.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = options.rawBody ?? JSON.stringify(options.body);
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body: payload });
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('application/json');
    return { status: response.status, headers: response.headers, body: isJson && text ? JSON.parse(text) : text };
  };

  return {
    db,
    app,
    server,
    adminToken,
    users,
    audit,
    call,
    logged,
    auditRows: async (atLeast) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        await settleBackgroundWork(app);
        const rows = await audit.list({ limit: 100 });
        if (rows.length >= atLeast || Date.now() > deadline) return rows;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: async () => {
      await server.close();
      if (!sharedDb) await db.destroy();
    },
  };
}
