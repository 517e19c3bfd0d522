import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli, TEMPORAL_CLI_MODULE } from '../../platform/temporal/temporalCli';

function executable(file: string, body = '#!/bin/sh\nexit 0\n'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

describe('finding the Temporal CLI', () => {
  let dir: string;
  const quiet = () => undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes TEMPORAL_CLI_PATH first, and rejects one that is not executable', () => {
    const cli = executable(path.join(dir, 'custom', 'temporal'));
    executable(path.join(dir, 'bin', 'temporal'));
    expect(resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: cli, PATH: path.join(dir, 'bin') }, cacheDir: dir, log: quiet })).toEqual({ kind: 'binary', path: cli, source: 'TEMPORAL_CLI_PATH' });
    expect(() => resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: path.join(dir, 'missing') }, cacheDir: dir, log: quiet })).toThrow(/TEMPORAL_CLI_PATH/);
  });

  it('then `temporal` on PATH, then the copy installed before', () => {
    const onPath = executable(path.join(dir, 'path', 'temporal'));
    const cached = executable(path.join(dir, 'cache', 'bin', 'temporal'));
    expect(resolveTemporalCli({ env: { PATH: path.join(dir, 'path') }, cacheDir: path.join(dir, 'cache'), log: quiet })).toMatchObject({ path: onPath, source: 'PATH' });
    expect(resolveTemporalCli({ env: { PATH: path.join(dir, 'empty') }, cacheDir: path.join(dir, 'cache'), log: quiet })).toMatchObject({ path: cached, source: 'cache' });
  });

  it('then builds it with `go install` into the cache, saying so', () => {
    // A stand-in `go` that records its call and drops a binary into GOBIN, as the real one does.
    const calls = path.join(dir, 'calls');
    executable(path.join(dir, 'gobin', 'go'), `#!/bin/sh\necho "$@ GOBIN=$GOBIN" >> ${calls}\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`);
    const lines: string[] = [];
    const cli = resolveTemporalCli({ env: { PATH: path.join(dir, 'gobin') }, cacheDir: path.join(dir, 'cache'), log: (l) => lines.push(l), goLocations: [] });
    expect(cli).toEqual({ kind: 'binary', path: path.join(dir, 'cache', 'bin', 'temporal'), source: 'go install' });
    expect(fs.readFileSync(calls, 'utf8').trim()).toBe(`install ${TEMPORAL_CLI_MODULE} GOBIN=${path.join(dir, 'cache', 'bin')}`);
    expect(lines.join('\n')).toMatch(/minutes/);
  });

  it('retries once with GOSUMDB=off when only the checksum database is unreachable', () => {
    const calls = path.join(dir, 'calls');
    executable(
      path.join(dir, 'gobin', 'go'),
      `#!/bin/sh\necho "GOSUMDB=$GOSUMDB" >> ${calls}\nif [ "$GOSUMDB" != off ]; then echo 'verifying module: dial tcp: lookup sum.golang.org: no such host' >&2; exit 1; fi\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`,
    );
    const cli = resolveTemporalCli({ env: { PATH: path.join(dir, 'gobin') }, cacheDir: path.join(dir, 'cache'), log: quiet, goLocations: [] });
    expect(cli).toMatchObject({ source: 'go install' });
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['GOSUMDB=', 'GOSUMDB=off']);
  });

  it('fails clearly when the build fails for another reason', () => {
    executable(path.join(dir, 'gobin', 'go'), '#!/bin/sh\necho "compile error" >&2\nexit 2\n');
    expect(() => resolveTemporalCli({ env: { PATH: path.join(dir, 'gobin') }, cacheDir: path.join(dir, 'cache'), log: quiet, goLocations: [] })).toThrow(/go install .*TEMPORAL_CLI_PATH/);
  });

  it('falls back to the SDK download with no CLI and no Go', () => {
    const cli = resolveTemporalCli({ env: { PATH: path.join(dir, 'empty') }, cacheDir: path.join(dir, 'cache'), log: quiet, goLocations: [] });
    expect(cli).toEqual({ kind: 'sdk-download' });
  });

  it('finds Go in its standard install location when it is not on PATH', () => {
    const go = executable(path.join(dir, 'usr-local-go', 'go'), `#!/bin/sh
printf '#!/bin/sh\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`);
    const cli = resolveTemporalCli({ env: { PATH: path.join(dir, 'empty') }, cacheDir: path.join(dir, 'cache'), log: quiet, goLocations: [go] });
    expect(cli).toMatchObject({ source: 'go install' });
  });
});
