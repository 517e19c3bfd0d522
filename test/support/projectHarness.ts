/**
 * The whole system for project-delivery tests: the real API over HTTP, a real worker on its own task
 * queue, the test Temporal server, a fresh database and an SMTP sink. Policies are in seconds.
 */
import type express from 'express';
import { settleBackgroundWork, startApiServer, type ApiDeps, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { deadlinesModule } from '../../reports/deadlines/routes';
import { noticesModule } from '../../platform/notices/routes';
import { projectsModule } from '../../processes/delivery/api';
import type { ApiModule } from '../../platform/http/module';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import type { PolicyOverride } from '../../domain/policy';
import type { ReceivedMail } from './smtpSink';
import { startTestSystem, type TestSystem } from './services';

// Parsed JSON from the server: tests poke into it freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Answer {
  status: number;
  body: Json;
}

/** A delivery policy measured in seconds, so a whole project runs in a test. */
export const SECONDS_POLICY: PolicyOverride = {
  delivery: {
    initialAcceptanceRequired: true,
    weeklyReportEvery: 'PT30S',
    weeklyReportGrace: 'PT5S',
    trialRun: 'PT8S',
    trialReportLead: 'PT4S',
    trialExtendBy: 'PT5S',
    trialMaxExtensions: 2,
  },
  doa: { shipWithin: 'PT20S', returnWithin: 'PT6S', returnReminderBefore: 'PT3S' },
  warranty: { startsAt: 'finalAcceptance', length: 'P12M' },
};

export const BOTH_SIGN = [
  { name: 'Wang Fang', party: 'customer' },
  { name: 'Zhang Wei', party: 'company' },
];

export const PM = { name: 'Zhang Wei', email: 'pm@maker.test', locale: 'zh-CN' as const };
export const SERVICE_MANAGER = { name: 'Liu Yang', email: 'service-manager@maker.test', locale: 'en' as const };
export const CUSTOMER_CONTACT = { name: 'Wang Fang', email: 'wang.fang@hospital.test', locale: 'zh-CN' as const };

export interface ProjectHarness {
  system: TestSystem;
  server: ApiServer;
  /** The Express app behind `server`: `settleBackgroundWork(app)` before reading the audit trail. */
  app: express.Application;
  /** Token of a project manager (may act on projects). */
  pmToken: string;
  /** Token of the service manager: starts the projects, since their policies set commercial terms (DOA, warranty). */
  smToken: string;
  /** Token of a dispatcher (reads every project for context, takes no step). */
  readerToken: string;
  call(method: string, path: string, body?: unknown, token?: string, headers?: Record<string, string>): Promise<Answer>;
  /** Posts a new project as the service manager; `overrides` are merged into a valid default body. */
  createProject(overrides?: Record<string, unknown>): Promise<Answer>;
  step(projectId: number, step: string, body?: unknown): Promise<Answer>;
  project(projectId: number): Promise<Json>;
  /** Waits until the project's stored timeline has an event of `kind` (count times). */
  waitForEvent(projectId: number, kind: string, count?: number, timeoutMs?: number): Promise<Json[]>;
  waitForStage(projectId: number, stage: string, timeoutMs?: number): Promise<Json>;
  /** Waits until the project answers with `check(project)` true. */
  waitFor(projectId: number, what: string, check: (project: Json) => boolean, timeoutMs?: number): Promise<Json>;
  /** Mails received so far whose subject or idempotency key matches. */
  mails(filter?: (mail: ReceivedMail) => boolean): ReceivedMail[];
  waitForMails(filter: (mail: ReceivedMail) => boolean, count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

let contractSeq = 0;
export function uniqueContractNo(prefix = 'HT'): string {
  contractSeq += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${contractSeq}`;
}

/**
 * `app`: what the test wants of the API beyond the defaults (a log to read back, a metrics registry),
 * and the routers to serve when it drives more than the projects (by default projects, deadlines, notices).
 */
export async function startProjectHarness(name: string, app: Pick<ApiDeps, 'log' | 'metrics'> & { routers?: ApiModule[] } = {}): Promise<ProjectHarness> {
  const { routers = [projectsModule, deadlinesModule, noticesModule], ...deps } = app;
  const system = await startTestSystem(name);
  const users = new UsersRepository(system.db.knex);
  const adminToken = generateToken();
  await users.ensureAdmin(adminToken);
  const pm = await users.create({ name: PM.name, email: PM.email, role: 'project_manager', locale: 'zh-CN' });
  const pmToken = await users.issueToken(pm.id, 'test');
  const dispatcher = await users.create({ name: 'Chen Jie', email: 'dispatcher@maker.test', role: 'dispatcher', locale: 'zh-CN' });
  const readerToken = await users.issueToken(dispatcher.id, 'test');
  const serviceManager = await users.create({ name: SERVICE_MANAGER.name, email: SERVICE_MANAGER.email, role: 'service_manager', locale: 'en' });
  const smToken = await users.issueToken(serviceManager.id, 'test');

  const api = createApp({
    ...deps,
    knex: system.db.knex,
    temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' },
    routers,
    logger: { error: (message, error) => console.error(message, error) },
  });
  const server = await startApiServer(api, 0, '127.0.0.1');

  const call = async (method: string, path: string, body?: unknown, token = pmToken, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      // The tests read the API in English (its users are zh-CN): a test of another language says so in `headers`.
      headers: { authorization: `Bearer ${token}`, 'accept-language': 'en', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  const project = async (projectId: number) => {
    const answer = await call('GET', `/api/projects/${projectId}`, undefined, readerToken);
    if (answer.status !== 200) throw new Error(`GET project ${projectId}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };

  const poll = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, lastSeen?: () => Promise<unknown>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        const seen = lastSeen ? `; last seen: ${JSON.stringify(await lastSeen()).slice(0, 4000)}` : '';
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const mails = (filter: (mail: ReceivedMail) => boolean = () => true) => system.smtp.messages.filter(filter);

  return {
    system,
    server,
    app: api,
    pmToken,
    smToken,
    readerToken,
    call,
    createProject: (overrides = {}) =>
      call('POST', '/api/projects', {
        contractNo: uniqueContractNo(),
        name: 'DR room installation',
        customer: { name: 'Nanchang First Hospital', address: '1 Bayi Avenue', class: 'key', contacts: [CUSTOMER_CONTACT] },
        projectManager: PM,
        serviceManager: SERVICE_MANAGER,
        devices: [
          { model: 'DR-7000', serial: `DR-${uniqueContractNo('SN')}`, brand: 'Tengyang', catalogPrice: { amount: 12_800_000, currency: 'CNY' } },
          { model: 'BC-300', serial: `BC-${uniqueContractNo('SN')}`, brand: 'Tengyang', catalogPrice: { amount: 5_600_000, currency: 'CNY' } },
        ],
        policy: SECONDS_POLICY,
        ...overrides,
        // The project manager (PM's e-mail) manages it and records the steps.
      }, smToken),
    step: (projectId, step, body = {}) => call('POST', `/api/projects/${projectId}/${step}`, body),
    project,
    waitForEvent: (projectId, kind, count = 1, timeoutMs = 300_000) =>
      poll(`${count} × ${kind} on project ${projectId}`, async () => {
        const events = (await project(projectId)).timeline.filter((e: Json) => e.kind === kind);
        return events.length >= count ? events : undefined;
      }, timeoutMs, async () => (await project(projectId)).timeline.map((e: Json) => e.kind)),
    waitFor: (projectId, what, check, timeoutMs = 300_000) =>
      poll(`project ${projectId}: ${what}`, async () => {
        const body = await project(projectId);
        return check(body) ? body : undefined;
      }, timeoutMs, () => project(projectId)),
    waitForStage: (projectId, stage, timeoutMs = 300_000) =>
      poll(`project ${projectId} in stage ${stage}`, async () => {
        const body = await project(projectId);
        return body.stage === stage ? body : undefined;
      }, timeoutMs, () => project(projectId)),
    mails,
    waitForMails: (filter, count, timeoutMs = 300_000) =>
      poll(`${count} matching mails`, async () => {
        const found = mails(filter);
        return found.length >= count ? found : undefined;
      }, timeoutMs),
    async stop() {
      // Tests leave projects mid-way (a trial months long, a case waiting for its return): end them.
      const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
      for await (const workflow of running) {
        await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
      }
      await settleBackgroundWork(api);
      await server.close();
      await system.stop();
    },
  };
}

/** Mails for one project: their idempotency keys start with its workflow ids. */
export const forProject = (projectId: number) => (mail: ReceivedMail) => Boolean(mail.idempotencyKey?.includes(`-${projectId}:`) || mail.idempotencyKey?.includes(`-${projectId}-`));
export const withKey = (fragment: string) => (mail: ReceivedMail) => Boolean(mail.idempotencyKey?.includes(fragment));
