/*
 * `npm start` killed hard (SIGKILL, a crashed terminal) leaves its Temporal dev server running as an
 * orphan, holding the ports and the state file. The dev server's pid and ports are written to a file
 * in the data folder while it runs; the next start reads it and stops that server before its own.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export interface DevServerRecord {
  pid: number;
  port: number;
  uiPort?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function writeDevServerRecord(file: string, record: DevServerRecord): void {
  fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
}

export function readDevServerRecord(file: string): DevServerRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DevServerRecord>;
    return Number.isInteger(parsed.pid) && Number.isInteger(parsed.port) ? (parsed as DevServerRecord) : undefined;
  } catch {
    return undefined;
  }
}

export function removeDevServerRecord(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Running, that is: a zombie (dead, not yet reaped by a parent that never reaps) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The process's command line, from /proc on Linux and `ps` elsewhere; '' when it is gone. */
export function commandLineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout.trim() : '';
  }
}

/** A pid may be reused by an unrelated process after a reboot: only a Temporal CLI dev server is ours to stop. */
export function isTemporalDevServer(commandLine: string): boolean {
  return /\bserver\b/.test(commandLine) && /\bstart-dev\b/.test(commandLine) && /temporal/.test(commandLine);
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/**
 * Stops the dev server a previous start left behind, if the record names one that still runs:
 * SIGTERM, then SIGKILL after `graceMs`. Returns its pid when it stopped one. The record goes either way.
 */
export async function stopLeftoverDevServer(file: string, options: { graceMs?: number; log?: (line: string) => void } = {}): Promise<number | undefined> {
  const record = readDevServerRecord(file);
  if (!record) {
    removeDevServerRecord(file);
    return undefined;
  }
  const { pid } = record;
  if (!isAlive(pid) || !isTemporalDevServer(commandLineOf(pid))) {
    removeDevServerRecord(file);
    return undefined;
  }
  options.log?.(`stopping the Temporal dev server (pid ${pid}, port ${record.port}) that an earlier start left running`);
  process.kill(pid, 'SIGTERM');
  if (!(await waitForExit(pid, options.graceMs ?? 10_000))) {
    process.kill(pid, 'SIGKILL');
    if (!(await waitForExit(pid, 5_000))) throw new Error(`The earlier Temporal dev server (pid ${pid}) did not stop; stop it by hand`);
  }
  removeDevServerRecord(file);
  return pid;
}
