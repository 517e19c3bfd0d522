import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalServer, serverCacheDir, TEMPORAL_SERVER_VERSION } from '../../platform/temporal/clusterServer';

/** A stand-in `go` that records each call and, unless told to fail first, drops `server` and `sql` into GOBIN. */
function fakeGo(dir: string, failFirstWith?: string): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const calls = path.join(dir, 'calls');
  const fail = failFirstWith ? `if [ "$GOSUMDB" != off ]; then echo '${failFirstWith}' >&2; exit 1; fi\n` : '';
  fs.mkdirSync(path.join(dir, 'gobin'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'gobin', 'go'),
    `#!/bin/sh\necho "$* GOSUMDB=$GOSUMDB" >> ${calls}\n${fail}for b in server sql; do printf '#!/bin/sh\\n' > "$GOBIN/$b"; /bin/chmod +x "$GOBIN/$b"; done\n`,
    { mode: 0o755 },
  );
  return { env: { PATH: path.join(dir, 'gobin'), XDG_CACHE_HOME: path.join(dir, 'cache') }, calls: () => fs.readFileSync(calls, 'utf8').trim().split('\n') };
}

describe('building the Temporal server for the cluster', () => {
  let dir: string;
  const quiet = () => undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-server-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('installs the server and the schema tool in one go install, renamed, and reuses them', () => {
    const go = fakeGo(dir);
    const bin = path.join(serverCacheDir(go.env), 'bin');
    expect(bin).toBe(path.join(dir, 'cache', 'aftercare', `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'bin'));
    expect(resolveTemporalServer({ env: go.env, log: quiet })).toEqual({ server: path.join(bin, 'temporal-server'), sqlTool: path.join(bin, 'temporal-sql-tool') });
    expect(resolveTemporalServer({ env: go.env, log: quiet }).server).toBe(path.join(bin, 'temporal-server'));
    expect(go.calls()).toEqual([`install go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION} go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION} GOSUMDB=`]);
  });

  it('retries once with GOSUMDB=off, as the CLI does, when only the checksum database is unreachable', () => {
    const go = fakeGo(dir, 'verifying module: dial tcp: lookup sum.golang.org: no such host');
    resolveTemporalServer({ env: go.env, log: quiet });
    expect(go.calls().map((call) => call.split(' ').pop())).toEqual(['GOSUMDB=', 'GOSUMDB=off']);
  });

  it('fails with the build output when the build fails for another reason', () => {
    const go = fakeGo(dir, 'compile error in history/shard');
    expect(() => resolveTemporalServer({ env: go.env, log: quiet })).toThrow(/go install of the Temporal server failed[^]*compile error/);
    expect(go.calls()).toHaveLength(1);
  });
});
