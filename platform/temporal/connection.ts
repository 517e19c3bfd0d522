import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { workflowCallLogging } from './clientLogging';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/**
 * TLS, API keys and profiles follow the SDK's environment configuration (TEMPORAL_TLS_*, TEMPORAL_API_KEY,
 * TEMPORAL_PROFILE, temporal.toml), so Temporal Cloud needs no Aftercare-specific settings.
 */
function connectionOptions(target: TemporalTarget, external: boolean) {
  const fromEnv = external ? loadClientConnectConfig().connectionOptions : {};
  return { ...fromEnv, address: target.address };
}

/** The client logs each workflow start, update and signal it sends, with the workflow id (clientLogging.ts). */
export async function connectClient(target: TemporalTarget, external = false): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect(connectionOptions(target, external));
  return { connection, client: new Client({ connection, namespace: target.namespace, interceptors: { workflow: [workflowCallLogging()] } }) };
}

export async function connectWorkerConnection(target: TemporalTarget, external = false): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(target, external));
}

export async function temporalReachable(connection: Connection): Promise<boolean> {
  try {
    await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
