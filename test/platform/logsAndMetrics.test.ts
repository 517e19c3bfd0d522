/** The pieces of issue #20 without a server behind them: redaction, the request's logger, route labels. */
import express from 'express';
import { createLogger, currentLogger, logLevelFromEnv } from '../../platform/logging';
import { createMetricsRegistry, httpRequestMetrics, startMetricsServer } from '../../platform/metrics';
import { assignRequestId } from '../../platform/http/requestId';
import { requestLogging } from '../../platform/http/requestLog';
import { startApiServer, type ApiServer } from '../../platform/http/server';

type Line = Record<string, unknown>;

function capture() {
  const lines: Line[] = [];
  return { lines, log: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) } }) };
}

describe('logging', () => {
  it('never writes credentials', () => {
    const { lines, log } = capture();
    log.info({ req: { headers: { authorization: 'Bearer s3cret', cookie: 'sid=s3cret', accept: 'text/html' } }, user: { name: 'Ann', password: 's3cret', token: 's3cret' }, taskToken: 's3cret' }, 'hello');
    expect(JSON.stringify(lines)).not.toContain('s3cret');
    expect(lines[0]).toMatchObject({ msg: 'hello', req: { headers: { authorization: '[redacted]', accept: 'text/html' } }, user: { name: 'Ann', password: '[redacted]' } });
  });

  it('reads the level from AFTERCARE_LOG_LEVEL in any case, else the fallback', () => {
    expect(logLevelFromEnv({ AFTERCARE_LOG_LEVEL: 'DEBUG' }, 'info')).toBe('debug');
    expect(logLevelFromEnv({}, 'info')).toBe('info');
    expect(logLevelFromEnv({ AFTERCARE_LOG_LEVEL: 'loud' }, 'warn')).toBe('warn');
    expect(logLevelFromEnv({ JEST_WORKER_ID: '1' })).toBe('warn');
  });
});

describe('request lines and the request histogram', () => {
  const { lines, log } = capture();
  const registry = createMetricsRegistry();
  let server: ApiServer;

  beforeAll(async () => {
    const app = express();
    app.use(assignRequestId, httpRequestMetrics(registry), requestLogging(log));
    const router = express.Router();
    router.get('/things/:id', async (_req, res) => {
      // Awaited work still logs on the request's logger.
      await new Promise((resolve) => setImmediate(resolve));
      currentLogger().info({ thing: 1 }, 'inside');
      res.json({ ok: true });
    });
    app.use('/api', router);
    server = await startApiServer(app, 0, '127.0.0.1');
  });
  afterAll(() => server.close());

  it('gives each line of a request its reqId, names the route pattern, never the path or its query', async () => {
    const response = await fetch(`${server.url}/api/things/42?token=s3cret`, { headers: { 'x-request-id': 'req-1', authorization: 'Bearer s3cret' } });
    expect(response.status).toBe(200);
    await fetch(`${server.url}/nowhere/7`, { headers: { 'x-request-id': 'req-2' } });

    expect(lines.find((line) => line.msg === 'inside')).toMatchObject({ reqId: 'req-1', thing: 1 });
    expect(lines.find((line) => line.reqId === 'req-1' && line.responseTime !== undefined)).toMatchObject({ route: '/api/things/:id', res: { statusCode: 200 }, msg: 'GET /api/things/:id 200' });
    expect(lines.find((line) => line.reqId === 'req-2' && line.responseTime !== undefined)).toMatchObject({ route: 'unmatched', res: { statusCode: 404 } });
    expect(JSON.stringify(lines)).not.toContain('s3cret');
    expect(JSON.stringify(lines)).not.toContain('/api/things/42');

    const metrics = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
    try {
      const text = await (await fetch(metrics.url)).text();
      expect(text).toContain('aftercare_http_request_duration_seconds_count{method="GET",route="/api/things/:id",status="200"} 1');
      expect(text).toContain('aftercare_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
      expect(text).toContain('process_cpu_seconds_total');
      expect((await fetch(metrics.url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await metrics.close();
    }
  });
});
