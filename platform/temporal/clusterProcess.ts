import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here, so a second run keeps the first run's log. */
  logFile: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** The signal that stops it cleanly (PostgreSQL: SIGINT is its "fast" shutdown). */
  stopSignal?: NodeJS.Signals;
}

/**
 * One process of the cluster that can be started, stopped, killed and started again on the same data,
 * which is what the fault tests do to it.
 */
export class ClusterProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private exitReason?: string;
  /** Started and not stopped on purpose: an exit now is a failure (a kill, as a crash, counts as one). */
  private wanted = false;
  /** Where this start's output begins in the log. */
  private logOffset = 0;

  constructor(readonly spec: ProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitReason === undefined;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Why it died while it should run, with the log's last lines. */
  get failure(): string | undefined {
    return this.wanted ? this.exitReason : undefined;
  }

  /** Why it stopped, with the log's last lines; undefined while it runs. */
  get exit(): string | undefined {
    return this.exitReason;
  }

  start(): void {
    if (this.running) return;
    this.wanted = true;
    const out = fs.openSync(this.spec.logFile, 'a');
    this.logOffset = fs.fstatSync(out).size;
    fs.writeSync(out, `\n==== ${new Date().toISOString()} start ${this.spec.command} ${this.spec.args.join(' ')}\n`);
    this.exitReason = undefined;
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
      stdio: ['ignore', out, out],
      uid: this.spec.uid,
      gid: this.spec.gid,
    });
    fs.closeSync(out);
    this.child = child;
    // If the owner dies without stopping the cluster (a crashed test run), leave no server behind holding its ports.
    const orphanGuard = () => child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    child.once('exit', () => process.removeListener('exit', orphanGuard));
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitReason = `${this.spec.name} exited (${code ?? signal}); see ${this.spec.logFile}:\n${this.logTail(8)}`;
        resolve();
      });
      child.once('error', (error) => {
        this.exitReason = `${this.spec.name} could not start: ${error.message}`;
        resolve();
      });
    });
  }

  /** Waits until this start's output contains `text` (a worker's "polling" line, say). */
  async waitForOutput(text: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitReason) throw new Error(this.exitReason);
      if (fs.readFileSync(this.spec.logFile, 'utf8').slice(this.logOffset).includes(text)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${this.spec.name} did not print "${text}" within ${timeoutMs} ms`);
  }

  logTail(lines: number): string {
    try {
      return fs.readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).map((line) => line.slice(0, 400)).join('\n');
    } catch {
      return '';
    }
  }

  /** A clean stop with the process's own stop signal; SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.wanted = false;
    if (!this.running || !this.child) return;
    this.child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const killer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }

  /** As a crash would: no chance to clean up. */
  async kill(): Promise<void> {
    if (!this.running || !this.child) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
