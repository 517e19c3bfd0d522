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

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporalAddress) throw new ConfigError(['TEMPORAL_ADDRESS: required for the production API (npm start runs an embedded server instead)']);
  if (!config.adminToken) throw new ConfigError(['AFTERCARE_ADMIN_TOKEN: required in production (npm start generates one instead)']);
  const services = await openCoreServices(config);
  await new UsersRepository(services.knex).ensureAdmin(config.adminToken);
  const { connection, client } = await connectClient({ address: config.temporalAddress, namespace: config.temporalNamespace }, true);
  const app = httpAppFor(services, { client, connection }, config);
  const server = await startApiServer(app, config.port, '0.0.0.0');
  console.log(`[aftercare-api] listening on ${server.url}`);
  const stop = async () => {
    await server.close();
    await connection.close();
    await services.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error('[aftercare-api]', error instanceof Error ? error.message : error);
  process.exit(1);
});
