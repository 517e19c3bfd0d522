import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aftercareCacheDir, findGo, goInstall, holdBuildLock, isExecutable, lastLines, type Log } from './goInstall';

/** The server of the same version the CLI embeds (CLI v1.5.1 ↔ server v1.29.1). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_PACKAGE = `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`;
const SQL_TOOL_PACKAGE = `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`;

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return aftercareCacheDir(`temporal-server-${TEMPORAL_SERVER_VERSION}`, env);
}

/**
 * The Temporal server and its schema tool, built once with `go install` into the cache (beside the
 * CLI's) and reused. `go install` names them `server` and `sql`; they are renamed to say what they are.
 */
export function resolveTemporalServer(options: { env?: NodeJS.ProcessEnv; log?: Log } = {}): TemporalServerBinaries {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  const bin = path.join(serverCacheDir(env), 'bin');
  const binaries = { server: path.join(bin, 'temporal-server'), sqlTool: path.join(bin, 'temporal-sql-tool') };
  if (isExecutable(binaries.server) && isExecutable(binaries.sqlTool)) return binaries;

  const go = findGo(env);
  if (!go) throw new Error('the cluster needs the Temporal server, built with Go: install Go (https://go.dev/dl/) and run again');
  fs.mkdirSync(bin, { recursive: true });
  const release = holdBuildLock(bin, log);
  try {
    // Another process may have built them while this one waited for the lock.
    if (isExecutable(binaries.server) && isExecutable(binaries.sqlTool)) return binaries;
    buildServer(go, bin, binaries, env, log);
  } finally {
    release();
  }
  return binaries;
}

function buildServer(go: string, bin: string, binaries: TemporalServerBinaries, env: NodeJS.ProcessEnv, log: Log): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-temporal-server-'));
  log(`building ${SERVER_PACKAGE} and ${SQL_TOOL_PACKAGE} with ${go} (about 2 minutes when the CLI's modules are cached, longer on a new machine)`);
  const started = Date.now();
  // One `go install` for both: Go compiles their shared packages once, on every core.
  const result = goInstall({ go, packages: [SERVER_PACKAGE, SQL_TOOL_PACKAGE], binDir: work, env, log });
  if (!result.ok) throw new Error(`go install of the Temporal server failed (exit ${result.exit}):\n${lastLines(result.output, 15)}`);
  fs.renameSync(path.join(work, 'server'), binaries.server);
  fs.renameSync(path.join(work, 'sql'), binaries.sqlTool);
  fs.rmSync(work, { recursive: true, force: true });
  log(`built in ${Math.round((Date.now() - started) / 1000)} s: ${bin}`);
}
