import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Later CLI tags carry a `replace` directive and refuse `go install`; this one builds from the module proxy. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type TemporalCli =
  | { kind: 'binary'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install' }
  /** No binary and no Go: the SDK downloads the dev server itself (needs internet). */
  | { kind: 'sdk-download' };

type Log = (line: string) => void;

export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'aftercare', 'temporal-cli-v1.5.1');
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

/** Go's official tarball installs here, often without touching PATH. */
const GO_INSTALL_LOCATIONS = ['/usr/local/go/bin/go'];

function goBinary(env: NodeJS.ProcessEnv, fallbacks: readonly string[]): string | undefined {
  return findOnPath('go', env) ?? fallbacks.find(isExecutable);
}

function goInstall(go: string, binDir: string, env: NodeJS.ProcessEnv, extraEnv: Record<string, string>, log: Log): { ok: boolean; output: string } {
  const result = spawnSync(go, ['install', TEMPORAL_CLI_MODULE], {
    env: { ...env, GOBIN: binDir, ...extraEnv },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30 * 60 * 1000,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) log(`go install failed (exit ${result.status ?? result.signal}):\n${output.split('\n').slice(-15).join('\n')}`);
  return { ok: result.status === 0, output };
}

/**
 * Finds the Temporal CLI in this order: TEMPORAL_CLI_PATH; `temporal` on PATH; the copy installed
 * before into the cache; `go install` into the cache when Go exists; otherwise the SDK's download.
 */
export function resolveTemporalCli(options: { env?: NodeJS.ProcessEnv; log?: Log; cacheDir?: string; goLocations?: readonly string[] } = {}): TemporalCli {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(`[temporal-cli] ${line}`));
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return { kind: 'binary', path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = findOnPath('temporal', env);
  if (onPath) return { kind: 'binary', path: onPath, source: 'PATH' };

  const binDir = path.join(options.cacheDir ?? cliCacheDir(env), 'bin');
  const cached = path.join(binDir, 'temporal');
  if (isExecutable(cached)) return { kind: 'binary', path: cached, source: 'cache' };

  const go = goBinary(env, options.goLocations ?? GO_INSTALL_LOCATIONS);
  if (go) {
    fs.mkdirSync(binDir, { recursive: true });
    log(`building ${TEMPORAL_CLI_MODULE} with ${go} into ${binDir}`);
    log('the first build downloads and compiles the Temporal server: expect 3 to 10 minutes; later starts reuse it');
    const started = Date.now();
    let attempt = goInstall(go, binDir, env, {}, log);
    if (!attempt.ok && /sum\.golang\.org|verifying module|checksum database/i.test(attempt.output)) {
      // The CLI's own go.sum still pins every dependency; only the checksum-database lookup is skipped.
      log('the Go checksum database cannot be reached: retrying this one install with GOSUMDB=off');
      attempt = goInstall(go, binDir, env, { GOSUMDB: 'off' }, log);
    }
    if (attempt.ok && isExecutable(cached)) {
      log(`built in ${Math.round((Date.now() - started) / 1000)} s: ${cached}`);
      return { kind: 'binary', path: cached, source: 'go install' };
    }
    throw new Error(`Could not build the Temporal CLI with 'go install ${TEMPORAL_CLI_MODULE}'. Set TEMPORAL_CLI_PATH to an installed CLI, or TEMPORAL_ADDRESS to a running server.`);
  }
  log('no Temporal CLI and no Go toolchain found: the Temporal SDK will download the dev server (needs internet)');
  return { kind: 'sdk-download' };
}
