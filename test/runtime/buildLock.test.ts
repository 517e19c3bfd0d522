import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { holdBuildLock } from '../../platform/temporal/goInstall';

const ROOT = path.resolve(__dirname, '../..');

/** Resolves the CLI in a process of its own, as two `npm test` runs on a new machine would. */
function resolveInChild(env: NodeJS.ProcessEnv, cacheDir: string): Promise<{ code: number | null; out: string }> {
  const script = `const { resolveTemporalCli } = require('./platform/temporal/temporalCli'); console.log(JSON.stringify(resolveTemporalCli({ cacheDir: ${JSON.stringify(cacheDir)}, goLocations: [] })));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('one build per cache folder at a time', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('two processes resolving the CLI at once build it once; the second waits and takes the built copy', async () => {
    // A slow stand-in `go` that records each call and drops a binary into GOBIN.
    const calls = path.join(dir, 'calls');
    const go = path.join(dir, 'gobin', 'go');
    fs.mkdirSync(path.dirname(go), { recursive: true });
    fs.writeFileSync(go, `#!/bin/sh\necho build >> ${calls}\nsleep 2\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`, { mode: 0o755 });
    const env = { PATH: `${path.dirname(go)}:/usr/bin:/bin`, TEMPORAL_CLI_PATH: '' };
    const cache = path.join(dir, 'cache');
    const [first, second] = await Promise.all([resolveInChild(env, cache), resolveInChild(env, cache)]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['build']);
    const sources = [first.out, second.out].map((out) => JSON.parse(out.trim().split('\n').pop()!).source).sort();
    expect(sources).toEqual(['cache', 'go install']);
    expect(`${first.out}${second.out}`).toMatch(/is building into .*: waiting for it/);
    expect(fs.existsSync(path.join(cache, 'bin', '.build.lock'))).toBe(false);
  });

  it('takes over a lock whose holder died', () => {
    fs.writeFileSync(path.join(dir, '.build.lock'), '2147483646');
    const release = holdBuildLock(dir, () => undefined);
    expect(fs.readFileSync(path.join(dir, '.build.lock'), 'utf8')).toBe(String(process.pid));
    release();
    expect(fs.existsSync(path.join(dir, '.build.lock'))).toBe(false);
  });
});
