/**
 * Production API entry point (`npm run start:api` after `npm run build`). Stateless: run as many as
 * the load needs behind a load balancer; they share the database and the Temporal namespace.
 */
import { UsersRepository } from '../people/repository';
import { ConfigError, loadConfig } from '../platform/config/config';
import { httpAppFor } from '../app/httpApp';
import { openCoreServices } from '../app/services';
import { connectClient } from '../platform/temporal/connection';
import { startApiServer } from '../platform/http/server';
import { rootLogger } from '../platform/logging';
import { createMetricsRegistry, startMetricsServer } from '../platform/metrics';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress) throw new ConfigError(['TEMPORAL_ADDRESS: required for the production API (npm start runs an embedded server instead)']);
  if (!config.adminToken) throw new ConfigError(['AFTERCARE_ADMIN_TOKEN: required in production (npm start generates one instead)']);
  if (config.logLevel) rootLogger.level = config.logLevel;
  const services = await openCoreServices(config);
  await new UsersRepository(services.knex).ensureAdmin(config.adminToken);
  const { connection, client } = await connectClient({ address: config.temporalAddress, namespace: config.temporalNamespace }, true);
  const metrics = createMetricsRegistry();
  const app = httpAppFor(services, { client, connection }, config, { metrics });
  const server = await startApiServer(app, config.port, '0.0.0.0');
  // Its own listener, on loopback unless AFTERCARE_METRICS_HOST says otherwise: never the public port.
  const metricsServer = config.apiMetrics ? await startMetricsServer(metrics, config.apiMetrics) : undefined;
  rootLogger.info({ url: server.url, metrics: metricsServer?.url }, 'API listening');
  const stop = async () => {
    await server.close();
    await metricsServer?.close();
    await connection.close();
    await services.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  rootLogger.fatal({ err: error }, 'API failed');
  process.exit(1);
});
