import { Runtime, type LogLevel } from '@temporalio/worker';
import { rootLogger, type Logger } from '../logging';
import type { MetricsAddress } from '../metrics';
import { WorkerLogger } from './workerLogger';

export interface WorkerRuntimeOptions {
  /** Where the SDK's lines go (pino); the root logger by default. */
  logger?: Logger;
  /** The SDK's own level; by default the pino logger's. */
  level?: LogLevel;
  /** Serve the SDK's metrics (worker, workflow and activity task latencies…) for Prometheus here; none if omitted. */
  metrics?: MetricsAddress;
  /** Signals on which the SDK shuts its workers down; none when the caller stops them itself. */
  shutdownSignals?: NodeJS.Signals[];
}

/**
 * Installs the Temporal Runtime once per process, before any worker or connection exists: its logger
 * (pino underneath, core lines forwarded to it) and, when asked, its Prometheus endpoint, which the
 * SDK serves itself. Returns false, changing nothing, if a Runtime is already in place (the SDK allows
 * one per process), so entry points and tests may both call it.
 */
export function installWorkerRuntime(options: WorkerRuntimeOptions = {}): boolean {
  if (Runtime._instance) return false;
  const logger = new WorkerLogger(options.level, options.logger ?? rootLogger);
  Runtime.install({
    logger,
    shutdownSignals: options.shutdownSignals ?? [],
    telemetryOptions: {
      logging: { filter: { core: logger.level === 'TRACE' || logger.level === 'DEBUG' ? logger.level : 'WARN', other: 'ERROR' }, forward: {} },
      ...(options.metrics ? { metrics: { prometheus: { bindAddress: `${options.metrics.host}:${options.metrics.port}`, useSecondsForDurations: true } } } : {}),
    },
  });
  return true;
}
