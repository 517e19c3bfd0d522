import fs from 'node:fs';
import path from 'node:path';
import { aftercareCacheDir, findGo, findOnPath, GO_INSTALL_LOCATIONS, goInstall, holdBuildLock, isExecutable, type Log } from './goInstall';

/** Later CLI tags carry a `replace` directive and refuse `go install`; this one builds from the module proxy. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type TemporalCli =
  | { kind: 'binary'; path: string; source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install' }
  /** No binary and no Go: the SDK downloads the dev server itself (needs internet). */
  | { kind: 'sdk-download' };

export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return aftercareCacheDir('temporal-cli-v1.5.1', env);
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
