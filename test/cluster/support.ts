/**
 * A cluster of its own for a test file: the production topology (platform/temporal/cluster.ts) in a temporary
 * folder on ports of its own, mail to an SMTP sink, and people with tokens to drive projects over HTTP.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKnex } from '../../platform/db/knex';
import { UsersRepository } from '../../people/repository';
import { createCluster, resolveTemporalServer, type Cluster } from '../../platform/temporal/cluster';
import { resolveTemporalCli } from '../../platform/temporal/temporalCli';
import { BOTH_SIGN, CUSTOMER_CONTACT, PM, SECONDS_POLICY, SERVICE_MANAGER, uniqueContractNo, type Answer, type Json } from '../support/projectHarness';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';
import { expectLedgerOncePerConfirmedStatement, prepareDealerLoad, type DealerLoad } from './dealerLoad';

export interface ClusterHarness {
  cluster: Cluster;
  smtp: SmtpSink;
  pmToken: string;
  smToken: string;
  /** One HTTP call; a connection error or timeout answers status 0. */
  call(method: string, path: string, body?: unknown, token?: string, headers?: Record<string, string>): Promise<Answer>;
  /** Every step answered 2xx, by project: what must be on its timeline at the end. */
  accepted: Map<number, string[]>;
  /** Dealer settlements driven through the API, each confirmation posting to the ledger. */
  dealers: DealerLoad;
  /** The cluster's folder (its databases, logs and the application's data). */
  dataDir: string;
  createProject(policy?: Json): Promise<number>;
  /**
   * A person's step, repeated with the same Idempotency-Key until the API answers 2xx, as a client
   * does when the system is in trouble; throws on a 4xx (the step was judged and refused).
   */
  step(projectId: number, step: string, body: unknown, timeoutMs?: number): Promise<Json>;
  project(projectId: number): Promise<Json>;
  waitFor(projectId: number, what: string, check: (project: Json) => boolean, timeoutMs?: number): Promise<Json>;
  /** kickoff → unboxing → weekly report → installation complete: the project's trial starts. */
  toTrial(projectId: number): Promise<void>;
  /** Trial report → final acceptance → handover: the project completes. */
  fromTrialToCompletion(projectId: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startClusterHarness(name: string): Promise<ClusterHarness> {
  const cli = resolveTemporalCli();
  if (cli.kind !== 'binary') throw new Error('the cluster tests need the Temporal CLI');
  // World-traversable: PostgreSQL runs as its own user when the tests run as root.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `aftercare-cluster-${name}-`));
  fs.chmodSync(dataDir, 0o755);
  const smtp = await startSmtpSink();
  const cluster = createCluster({
    dataDir,
    portBase: Number(process.env.AFTERCARE_CLUSTER_TEST_PORT_BASE ?? 27000),
    cli: cli.path,
    binaries: resolveTemporalServer(),
    appRoot: path.resolve(__dirname, '../..'),
    appEnv: { SMTP_URL: smtp.url, WORKER_SHUTDOWN_GRACE: '2s', NOTICE_WORKER_CONCURRENCY: '8' },
    log: () => undefined,
  });
  try {
    await cluster.startAll();
  } catch (error) {
    await cluster.stop();
    await smtp.stop();
    throw error;
  }
  const knex = createKnex({ databaseUrl: cluster.databaseUrl, dataDir });
  const users = new UsersRepository(knex);
  const pm = await users.create({ name: PM.name, email: PM.email, role: 'project_manager', locale: 'zh-CN' });
  const pmToken = await users.issueToken(pm.id, 'cluster test');
  const sm = await users.create({ name: SERVICE_MANAGER.name, email: SERVICE_MANAGER.email, role: 'service_manager', locale: 'en' });
  const smToken = await users.issueToken(sm.id, 'cluster test');
  await knex.destroy();

  const accepted = new Map<number, string[]>();
  const call = async (method: string, url: string, body?: unknown, token = pmToken, headers: Record<string, string> = {}): Promise<Answer> => {
    try {
      const response = await fetch(`${cluster.apiUrl}${url}`, {
        method,
        // Read in English (the project manager is zh-CN): the stage-lag check below reads the refusal's words.
        headers: { authorization: `Bearer ${token}`, 'accept-language': 'en', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    } catch (error) {
      return { status: 0, body: { error: String(error) } };
    }
  };
  const poll = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const value = await check();
        if (value !== undefined) return value;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${String(last ?? '')})`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  };
  const project = async (id: number) => {
    const answer = await call('GET', `/api/projects/${id}`);
    if (answer.status !== 200) throw new Error(`GET project ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const step = async (id: number, stepName: string, body: unknown, timeoutMs = 180_000) => {
    const key = crypto.randomUUID();
    let refused: (Error & { status: number }) | undefined;
    // The project's row shows a new stage a moment before its workflow reaches it (the record is written
    // first), so a step sent on seeing the page can be refused for the stage before: that is retried briefly.
    const stageLagUntil = Date.now() + 30_000;
    return poll(`${stepName} on project ${id}`, async () => {
      const answer = await call('POST', `/api/projects/${id}/${stepName}`, body, pmToken, { 'Idempotency-Key': key });
      if (answer.status >= 200 && answer.status < 300) {
        accepted.set(id, [...(accepted.get(id) ?? []), stepName]);
        return answer.body as Json;
      }
      if (answer.status === 409 && Date.now() < stageLagUntil && /is not possible in stage/.test(JSON.stringify(answer.body)) && stageLagged(stepName, answer.body)) return undefined;
      if (answer.status >= 400 && answer.status < 500) refused = Object.assign(new Error(`${stepName} on project ${id}: ${answer.status} ${JSON.stringify(answer.body)}`), { status: answer.status });
      return refused ? (true as const) : undefined;
    }, timeoutMs).then((body) => {
      if (refused) throw refused;
      return body;
    });
  };
  const waitFor = (id: number, what: string, check: (p: Json) => boolean, timeoutMs = 120_000) =>
    poll(`project ${id}: ${what}`, async () => {
      const body = await project(id);
      return check(body) ? body : undefined;
    }, timeoutMs);

  const dealers = await prepareDealerLoad(cluster.databaseUrl, dataDir, call, cluster.adminToken);

  return {
    cluster,
    smtp,
    pmToken,
    smToken,
    call,
    accepted,
    dealers,
    dataDir,
    async createProject(policy: Json = { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, initialAcceptanceRequired: false, trialRun: 'PT6S', trialReportLead: 'PT3S' } }) {
      const key = crypto.randomUUID();
      const created = await poll('a project created', async () => {
        const answer = await call('POST', '/api/projects', {
          contractNo: uniqueContractNo('CL'),
          name: 'DR room installation',
          customer: { name: 'Nanchang First Hospital', address: '1 Bayi Avenue', class: 'key', contacts: [CUSTOMER_CONTACT] },
          projectManager: PM,
          serviceManager: SERVICE_MANAGER,
          devices: [{ model: 'DR-7000', serial: `DR-${uniqueContractNo('SN')}`, brand: 'Tengyang', catalogPrice: { amount: 12_800_000, currency: 'CNY' } }],
          policy,
        }, smToken, { 'Idempotency-Key': key });
        if (answer.status === 201) return answer.body as Json;
        if (answer.status >= 400 && answer.status < 500) throw new Error(`POST /api/projects: ${answer.status} ${JSON.stringify(answer.body)}`);
        return undefined;
      }, 180_000);
      accepted.set(created.id, ['create']);
      return created.id as number;
    },
    step,
    project,
    waitFor,
    async toTrial(id: number) {
      await step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' });
      const serials: string[] = (await project(id)).devices.map((d: Json) => d.serial);
      await step(id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN });
      await step(id, 'weekly-reports', { summary: 'cabling done' });
      await step(id, 'installation-complete', { testRecords: [{ name: 'exposure test', passed: true, signatures: BOTH_SIGN }] });
    },
    async fromTrialToCompletion(id: number) {
      await waitFor(id, 'trial running', (p) => p.trial?.status === 'running' || p.stage !== 'trial_run', 180_000);
      try {
        await step(id, 'trial-report', { summary: 'ran without faults' });
      } catch (error) {
        // Under a fault the seconds-long trial can end before the report gets through: the process
        // rightly refuses a late report (409) and moves on to final acceptance without it.
        if ((error as { status?: number }).status !== 409 || (await project(id)).stage === 'trial_run') throw error;
      }
      await waitFor(id, 'final acceptance due', (p) => p.stage === 'final_acceptance', 180_000);
      await step(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } });
      await step(id, 'handover', { documents: [{ name: 'operating manuals', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] });
      await waitFor(id, 'completed', (p) => p.stage === 'completed', 180_000);
    },
    async stop() {
      await cluster.stop();
      await smtp.stop();
      if (!process.env.AFTERCARE_CLUSTER_KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A 409 naming the stage that comes right before the one this step belongs to: the workflow is catching up. */
function stageLagged(stepName: string, body: Json): boolean {
  const before: Record<string, string> = { 'final-acceptance': 'trial_run', handover: 'final_acceptance', 'installation-complete': 'installing' };
  return before[stepName] !== undefined && String(body?.error?.message ?? '').includes(`in stage ${before[stepName]} `);
}

/** The timeline kind each step records; what an accepted step must have left behind. */
export const STEP_EVENT: Record<string, string> = {
  create: 'project_started',
  kickoff: 'kickoff_recorded',
  unboxing: 'unboxing_checked',
  'weekly-reports': 'weekly_report',
  'installation-complete': 'installation_completed',
  'trial-report': 'trial_report_submitted',
  'final-acceptance': 'final_acceptance_passed',
  handover: 'handover_completed',
};

/**
 * What every fault test ends with: each project completed; each step answered 2xx, of every project
 * so far (earlier faults' too), is on the timeline exactly once; no notice went out twice; the ledger
 * holds exactly one entry per confirmed statement and every dealer request answered 2xx is on record.
 */
export async function expectNothingLostNothingTwice(h: ClusterHarness, projectIds: number[]): Promise<void> {
  for (const id of new Set([...projectIds, ...h.accepted.keys()])) {
    const done = await h.project(id);
    expect({ id, stage: done.stage }).toEqual({ id, stage: 'completed' });
    const kinds: string[] = done.timeline.map((e: Json) => e.kind);
    for (const stepName of h.accepted.get(id) ?? []) {
      const kind = STEP_EVENT[stepName];
      if (!kind) continue;
      expect({ id, kind, count: kinds.filter((k) => k === kind).length }).toEqual({ id, kind, count: 1 });
    }
  }
  const keys = h.smtp.messages.map((m) => `${m.idempotencyKey}→${m.envelope.to.join(',')}`);
  const twice = keys.filter((key, i) => keys.indexOf(key) !== i);
  expect(twice).toEqual([]);
  await expectLedgerOncePerConfirmedStatement(h.cluster.databaseUrl, h.dataDir, h.dealers);
}
