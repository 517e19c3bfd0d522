/**
 * Issue #20: one step, seen in the logs (the API's line carries the request id and the workflow id,
 * the worker's lines the workflow id) and in the metrics (the API's request histogram on its own
 * loopback listener, the Temporal SDK's workflow-task histogram on the port the SDK serves).
 */
import { createLogger, type Logger } from '../../platform/logging';
import { createMetricsRegistry, startMetricsServer, type MetricsServer } from '../../platform/metrics';
import { installWorkerRuntime } from '../../platform/temporal/runtime';
import { freePort } from '../support/ports';
import { startProjectHarness, type Json, type ProjectHarness } from '../support/projectHarness';

jest.setTimeout(120_000);

type Line = Record<string, Json>;

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
}

describe('logs and metrics of a step', () => {
  const lines: Line[] = [];
  let log: Logger;
  let h: ProjectHarness;
  let apiMetrics: MetricsServer;
  let workerMetricsUrl: string;

  beforeAll(async () => {
    log = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) } });
    const workerPort = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${workerPort}/metrics`;
    // Before any worker or connection of this file exists: the SDK takes its Runtime once per process.
    expect(installWorkerRuntime({ logger: log, level: 'DEBUG', metrics: { host: '127.0.0.1', port: workerPort } })).toBe(true);
    expect(installWorkerRuntime({ logger: log })).toBe(false);
    const registry = createMetricsRegistry();
    h = await startProjectHarness('observability', { log, metrics: registry });
    apiMetrics = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await apiMetrics?.close();
    await h?.stop();
  });

  it('logs a step with its request id and workflow id, in the API and in the worker', async () => {
    const created = await h.createProject();
    expect(created.status).toBe(201);
    const { id, workflowId } = created.body as { id: number; workflowId: string };

    const requestId = `obs-test-${Date.now()}`;
    const kickoff = await h.call('POST', `/api/projects/${id}/kickoff`, { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' }, h.pmToken, { 'x-request-id': requestId });
    expect(kickoff.status).toBe(200);

    // The API: the update line names both ids, and so does the request's own line.
    const update = lines.find((line) => line.msg === 'workflow update sent' && line.reqId === requestId);
    expect(update).toMatchObject({ reqId: requestId, workflowId, level: 30 });
    const answered = await waitFor('the request line', () => lines.find((line) => line.reqId === requestId && line.responseTime !== undefined));
    expect(answered).toMatchObject({ route: '/api/projects/:id/kickoff', res: { statusCode: 200 }, req: { method: 'POST' } });
    // The create's start line carries its own request's id.
    expect(lines.find((line) => line.msg === 'workflow started' && line.workflowId === workflowId)).toMatchObject({ reqId: expect.any(String), workflowType: 'projectDelivery' });

    // The worker: the SDK's activity lines carry the workflow id.
    const activityLine = await waitFor('an activity line of the workflow', () =>
      lines.find((line) => line.component === 'temporal' && line.workflowId === workflowId && line.activityType !== undefined),
    );
    expect(activityLine).toMatchObject({ workflowId, taskQueue: h.system.temporal.taskQueue });

    // No bearer token in any line.
    const text = JSON.stringify(lines);
    expect(text).not.toContain(h.pmToken);
    expect(text).not.toContain(h.smToken);
  });

  it('serves the API request histogram and the SDK workflow-task histogram for Prometheus, on loopback', async () => {
    expect(apiMetrics.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const api = await scrape(apiMetrics.url);
    expect(api).toContain('# TYPE aftercare_http_request_duration_seconds histogram');
    expect(api).toMatch(/aftercare_http_request_duration_seconds_count\{method="POST",route="\/api\/projects\/:id\/kickoff",status="200"\} 1/);
    // The route pattern, never a path with an id in it.
    expect(api).not.toMatch(/route="\/api\/projects\/\d+/);

    const worker = await waitFor('the SDK histogram', async () => {
      const body = await scrape(workerMetricsUrl);
      return /temporal_workflow_task_execution_latency_count\{[^}]*task_queue="[^"]+"[^}]*\} [1-9]/.test(body) ? body : undefined;
    });
    expect(worker).toContain('# TYPE temporal_workflow_task_execution_latency histogram');
    expect(worker).toMatch(/temporal_activity_execution_latency_bucket/);
  });
});
