import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export { Registry } from 'prom-client';

/** Where a process serves its Prometheus metrics; loopback unless configured otherwise. */
export interface MetricsAddress {
  host: string;
  port: number;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_API_METRICS_PORT = 9464;
export const DEFAULT_WORKER_METRICS_PORT = 9465;

/** A registry with Node's process metrics (heap, event loop lag, GC); the API adds its request histogram. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

const ROUTE_KEY = 'metricsRoute';

/**
 * Names the matched route pattern for the request histogram (`/api/projects/:id`). Routes declared
 * with defineRoute set it; other express routes are read from `req.route` at the end.
 */
export function setMetricsRoute(res: Response, pattern: string): void {
  res.locals[ROUTE_KEY] = pattern;
}

/** The route pattern a request matched (`/api/projects/:id`), or `unmatched`. */
export function routePatternOf(req: Request, res: Response): string {
  if (typeof res.locals[ROUTE_KEY] === 'string') return res.locals[ROUTE_KEY];
  const route = (req as Request & { route?: { path?: unknown } }).route;
  // Never the raw path: ids in it would make a series per record.
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
}

/** `aftercare_http_request_duration_seconds{method, route, status}`, recorded when each response ends. */
export function httpRequestMetrics(registry: Registry) {
  const existing = registry.getSingleMetric('aftercare_http_request_duration_seconds');
  const histogram =
    (existing as Histogram<'method' | 'route' | 'status'> | undefined) ??
    new Histogram({
      name: 'aftercare_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, matched route pattern and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = histogram.startTimer();
    res.once('finish', () => end({ method: req.method, route: routePatternOf(req, res), status: String(res.statusCode) }));
    next();
  };
}

export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9464/metrics` */
  url: string;
  close(): Promise<void>;
}

/** A listener of its own for `/metrics`, so the scrape endpoint never shares the public port. */
export async function startMetricsServer(registry: Registry, address: MetricsAddress): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
