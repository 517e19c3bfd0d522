import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { settleBackgroundWork } from './app';

export interface ApiServer {
  /** e.g. `http://localhost:3000`, with the port actually bound (useful with port 0). */
  url: string;
  server: http.Server;
  /** Stops accepting connections, waits for open requests and their audit rows. */
  close(): Promise<void>;
}

function urlOf(address: AddressInfo): string {
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function startApiServer(app: express.Application, port: number, host?: string): Promise<ApiServer> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: urlOf(server.address() as AddressInfo),
    server,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive connections would otherwise hold close() open until they time out.
        server.closeIdleConnections();
      });
      await settleBackgroundWork(app);
    },
  };
}
