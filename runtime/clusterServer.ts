import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The server of the same version the CLI embeds (CLI v1.5.1 ↔ server v1.29.1). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_PACKAGE = `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`;
const SQL_TOOL_PACKAGE = `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`;

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
}

export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'aftercare', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function goBinary(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'go'))) return path.join(dir, 'go');
  }
  return isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/**
 * The Temporal server and its schema tool, built once with `go install` into the cache (beside the
 * CLI's) and reused. `go install` names them `server` and `sql`; they are renamed to say what they are.
 */
export function resolveTemporalServer(options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): TemporalServerBinaries {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(`[cluster] ${line}`));
  const bin = path.join(serverCacheDir(env), 'bin');
  const binaries = { server: path.join(bin, 'temporal-server'), sqlTool: path.join(bin, 'temporal-sql-tool') };
  if (isExecutable(binaries.server) && isExecutable(binaries.sqlTool)) return binaries;

  const go = goBinary(env);
  if (!go) throw new Error('the cluster needs the Temporal server, built with Go: install Go (https://go.dev/dl/) and run again');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-temporal-server-'));
  log(`building ${SERVER_PACKAGE} and ${SQL_TOOL_PACKAGE} with ${go} (about 2 minutes when the CLI's modules are cached, longer on a new machine)`);
  const started = Date.now();
  const install = (extra: Record<string, string>) =>
    spawnSync(go, ['install', SERVER_PACKAGE, SQL_TOOL_PACKAGE], {
      env: { ...env, GOBIN: work, ...extra },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30 * 60 * 1000,
    });
  let result = install({});
  if (result.status !== 0 && /sum\.golang\.org|verifying module|checksum database/i.test(`${result.stderr}`)) {
    log('the Go checksum database cannot be reached: retrying with GOSUMDB=off (the module pins its dependencies in go.sum)');
    result = install({ GOSUMDB: 'off' });
  }
  if (result.status !== 0) {
    throw new Error(`go install of the Temporal server failed (exit ${result.status ?? result.signal}):\n${`${result.stdout}${result.stderr}`.split('\n').slice(-15).join('\n')}`);
  }
  fs.mkdirSync(bin, { recursive: true });
  fs.renameSync(path.join(work, 'server'), binaries.server);
  fs.renameSync(path.join(work, 'sql'), binaries.sqlTool);
  fs.rmSync(work, { recursive: true, force: true });
  log(`built in ${Math.round((Date.now() - started) / 1000)} s: ${bin}`);
  return binaries;
}
