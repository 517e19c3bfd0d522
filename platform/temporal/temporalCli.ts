import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_TEMPORAL_CLI_URL, downloadTemporalCli, TEMPORAL_CLI_VERSION, type DownloadOptions } from './cliDownload';
import { aftercareCacheDir, findGo, findOnPath, GO_INSTALL_LOCATIONS, goInstall, holdBuildLock, isExecutable, type Log } from './goInstall';

/** Later CLI tags carry a `replace` directive and refuse `go install`; this one builds from the module proxy. */
export const TEMPORAL_CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;

export type TemporalCli =
  | { kind: 'binary'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'download' | 'go install' }
  /** No binary and no Go: the SDK downloads the dev server itself (needs internet). */
  | { kind: 'sdk-download' };

export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return aftercareCacheDir(`temporal-cli-v${TEMPORAL_CLI_VERSION}`, env);
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  log?: Log;
  cacheDir?: string;
  goLocations?: readonly string[];
}

const defaultLog: Log = (line) => console.log(`[temporal-cli] ${line}`);

/** TEMPORAL_CLI_PATH, `temporal` on PATH or the copy in the cache, without installing anything. */
function findInstalledCli(env: NodeJS.ProcessEnv, cacheDir: string): TemporalCli | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    return { kind: 'binary', path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = findOnPath('temporal', env);
  if (onPath) return { kind: 'binary', path: onPath, source: 'PATH' };
  const cached = path.join(cacheDir, 'bin', 'temporal');
  if (isExecutable(cached)) return { kind: 'binary', path: cached, source: 'cache' };
  return undefined;
}

/**
 * What `npm start`, `npm run cluster` and `npm run temporal:provision` call: like resolveTemporalCli,
 * but before building from source it downloads the same pinned release (AFTERCARE_TEMPORAL_CLI_URL,
 * by default GitHub's release folder), checked against the release's SHA-256 list (cliDownload.ts).
 * A download that fails, is refused or finds no such host falls back to `fallback`, by default
 * resolveTemporalCli's build with Go.
 */
export async function provisionTemporalCli(
  options: ResolveOptions & { fallback?: () => TemporalCli; download?: Partial<Pick<DownloadOptions, 'connectTimeoutMs' | 'totalTimeoutMs' | 'platform' | 'arch'>> } = {},
): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? defaultLog;
  const cacheDir = options.cacheDir ?? cliCacheDir(env);
  const installed = findInstalledCli(env, cacheDir);
  if (installed) return installed;
  const baseUrl = env.AFTERCARE_TEMPORAL_CLI_URL || DEFAULT_TEMPORAL_CLI_URL;
  const downloaded = await downloadTemporalCli({ ...options.download, baseUrl, cacheDir, log });
  if (downloaded.ok) return { kind: 'binary', path: downloaded.path, source: 'download' };
  log(`could not download the Temporal CLI (${downloaded.reason}); falling back to building it from source`);
  return (options.fallback ?? (() => resolveTemporalCli({ env, log, cacheDir, goLocations: options.goLocations })))();
}

/**
 * Finds the Temporal CLI in this order: TEMPORAL_CLI_PATH; `temporal` on PATH; the copy installed
 * before into the cache; `go install` into the cache when Go exists; otherwise the SDK's download.
 */
export function resolveTemporalCli(options: ResolveOptions = {}): TemporalCli {
  const env = options.env ?? process.env;
  const log = options.log ?? defaultLog;
  const cacheDir = options.cacheDir ?? cliCacheDir(env);
  const installed = findInstalledCli(env, cacheDir);
  if (installed) return installed;

  const binDir = path.join(cacheDir, 'bin');
  const cached = path.join(binDir, 'temporal');

  const go = findGo(env, options.goLocations ?? GO_INSTALL_LOCATIONS);
  if (go) {
    fs.mkdirSync(binDir, { recursive: true });
    const release = holdBuildLock(binDir, log);
    try {
      // Another process may have built it while this one waited for the lock.
      if (isExecutable(cached)) return { kind: 'binary', path: cached, source: 'cache' };
      log(`building ${TEMPORAL_CLI_MODULE} with ${go} into ${binDir}`);
      log('the first build downloads and compiles the Temporal server: expect 3 to 10 minutes; later starts reuse it');
      const started = Date.now();
      const attempt = goInstall({ go, packages: [TEMPORAL_CLI_MODULE], binDir, env, log });
      if (attempt.ok && isExecutable(cached)) {
        log(`built in ${Math.round((Date.now() - started) / 1000)} s: ${cached}`);
        return { kind: 'binary', path: cached, source: 'go install' };
      }
    } finally {
      release();
    }
    throw new Error(`Could not build the Temporal CLI with 'go install ${TEMPORAL_CLI_MODULE}'. Set TEMPORAL_CLI_PATH to an installed CLI, or TEMPORAL_ADDRESS to a running server.`);
  }
  log('no Temporal CLI and no Go toolchain found: the Temporal SDK will download the dev server (needs internet)');
  return { kind: 'sdk-download' };
}
