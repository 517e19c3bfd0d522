import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLineOf, isAlive, isTemporalDevServer, readDevServerRecord, stopLeftoverDevServer, writeDevServerRecord } from '../../platform/temporal/devServerPidFile';

describe('the dev server pid file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-pid-'));
    file = path.join(dir, 'temporal-dev-server.pid');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('recognises the Temporal CLI dev server by its command line, and nothing else', () => {
    expect(isTemporalDevServer('/root/.cache/aftercare/temporal-cli-v1.5.1/bin/temporal server start-dev --ip 127.0.0.1 --port 7233')).toBe(true);
    expect(isTemporalDevServer('temporal workflow list')).toBe(false);
    expect(isTemporalDevServer('sleep 60')).toBe(false);
    expect(isTemporalDevServer('')).toBe(false);
  });

  it('never stops a process that is not a dev server (a reused pid), and forgets the stale record', async () => {
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeDevServerRecord(file, { pid: stranger.pid!, port: 7233 });
      expect(readDevServerRecord(file)).toEqual({ pid: stranger.pid, port: 7233 });
      expect(commandLineOf(stranger.pid!)).toBe('sleep 30');
      expect(await stopLeftoverDevServer(file)).toBeUndefined();
      expect(isAlive(stranger.pid!)).toBe(true);
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('forgets a record of a process that is gone, or a file that is not one', async () => {
    const gone = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    writeDevServerRecord(file, { pid: gone.pid!, port: 7233 });
    expect(await stopLeftoverDevServer(file)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);

    fs.writeFileSync(file, 'not json');
    expect(readDevServerRecord(file)).toBeUndefined();
    expect(await stopLeftoverDevServer(file)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    expect(await stopLeftoverDevServer(file)).toBeUndefined();
  });
});
