import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What the Temporal CLI (platform/temporal/temporalCli.ts) and the cluster's server (platform/temporal/clusterServer.ts)
 * share: finding Go, `go install` into a cache folder of ours, and the retry without the checksum database.
 */

export type Log = (line: string) => void;

/** Go's official tarball installs here, often without touching PATH. */
export const GO_INSTALL_LOCATIONS: readonly string[] = ['/usr/local/go/bin/go'];

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, command))) return path.join(dir, command);
  }
  return undefined;
}

export function findGo(env: NodeJS.ProcessEnv, fallbacks: readonly string[] = GO_INSTALL_LOCATIONS): string | undefined {
  return findOnPath('go', env) ?? fallbacks.find(isExecutable);
}

/** `$XDG_CACHE_HOME/aftercare/<name>` (by default `~/.cache/aftercare/<name>`). */
export function aftercareCacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'aftercare', name);
}

/** The checksum database (sum.golang.org) could not be reached: the only failure worth a retry without it. */
const CHECKSUM_DATABASE_UNREACHABLE = /sum\.golang\.org|verifying module|checksum database/i;

export interface GoInstallResult {
  ok: boolean;
  /** stdout and stderr of the last attempt. */
  output: string;
  /** The exit code or signal of the last attempt. */
  exit: string;
}

/**
 * `go install <packages>` with GOBIN=binDir. If only the Go checksum database cannot be reached, it is
 * retried once with GOSUMDB=off: the module's own go.sum still pins every dependency it downloads.
 */
export function goInstall(options: { go: string; packages: readonly string[]; binDir: string; env: NodeJS.ProcessEnv; log: Log; flags?: readonly string[] }): GoInstallResult {
  const attempt = (extraEnv: Record<string, string>): GoInstallResult => {
    const result = spawnSync(options.go, ['install', ...(options.flags ?? []), ...options.packages], {
      env: { ...options.env, GOBIN: options.binDir, ...extraEnv },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // An hour: the server's build with an empty Go build cache passed 30 minutes on a loaded 2-core machine.
      timeout: 60 * 60 * 1000,
    });
    return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, exit: String(result.status ?? result.signal) };
  };
  let result = attempt({});
  if (!result.ok && CHECKSUM_DATABASE_UNREACHABLE.test(result.output)) {
    options.log('the Go checksum database cannot be reached: retrying once with GOSUMDB=off (the module’s go.sum still pins every dependency)');
    result = attempt({ GOSUMDB: 'off' });
  }
  if (!result.ok) options.log(`go install failed (exit ${result.exit}):\n${lastLines(result.output, 15)}`);
  return result;
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** Blocks the thread for a while (the provisioning is synchronous: it runs before anything else). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One build per cache folder at a time: two `npm test` runs (or a test and `npm start`) on a new
 * machine would otherwise compile the same server twice, side by side, on the same cores. The lock is
 * a file holding the builder's pid, taken with O_EXCL; a holder that died leaves a stale file, which is
 * taken over. Answers a function that releases the lock.
 */
export function holdBuildLock(dir: string, log: Log): () => void {
  const file = path.join(dir, '.build.lock');
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!told) log(`process ${holder} is building into ${dir}: waiting for it`);
    told = true;
    sleepSync(2000);
  }
}
