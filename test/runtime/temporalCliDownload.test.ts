import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DOWNLOAD_CONNECT_TIMEOUT_MS, releaseArchiveName, TEMPORAL_CLI_CHECKSUMS } from '../../platform/temporal/cliDownload';
import { provisionTemporalCli, type TemporalCli } from '../../platform/temporal/temporalCli';
import { freePort } from '../support/ports';

const ARCHIVE = releaseArchiveName()!;

/** A release archive as goreleaser lays it out: `temporal` and LICENSE at the top. */
function releaseArchive(dir: string, name: string, script: string): Buffer {
  const content = path.join(dir, `${name}-content`);
  fs.mkdirSync(content, { recursive: true });
  fs.writeFileSync(path.join(content, 'temporal'), script, { mode: 0o755 });
  fs.writeFileSync(path.join(content, 'LICENSE'), 'MIT\n');
  const file = path.join(dir, `${name}.tar.gz`);
  const tar = spawnSync('tar', ['-czf', file, '-C', content, 'temporal', 'LICENSE']);
  if (tar.status !== 0) throw new Error(`tar failed: ${String(tar.stderr)}`);
  return fs.readFileSync(file);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Serves files under /v1.5.1/ and records what was asked for. */
async function releaseServer(files: Record<string, Buffer | string>) {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    const name = (request.url ?? '').replace(/^\/v1\.5\.1\//, '');
    const body = files[name];
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.5.1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('downloading the Temporal CLI release before building it', () => {
  let dir: string;
  let cacheDir: string;
  let lines: string[];
  let fallback: jest.Mock<TemporalCli, []>;
  // No `temporal` on PATH, so provisioning goes past the installed copies to the download.
  const envWith = (url: string) => ({ PATH: path.join(dir, 'empty'), AFTERCARE_TEMPORAL_CLI_URL: url });
  const good = '#!/bin/sh\necho "temporal version 1.5.1 (Server 1.29.1, UI 2.41.0)"\n';

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-cli-download-'));
    cacheDir = path.join(dir, 'cache');
    lines = [];
    fallback = jest.fn((): TemporalCli => ({ kind: 'sdk-download' }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses a release archive that matches the checksum list, from AFTERCARE_TEMPORAL_CLI_URL, without building', async () => {
    const archive = releaseArchive(dir, 'good', good);
    const server = await releaseServer({ [ARCHIVE]: archive, [TEMPORAL_CLI_CHECKSUMS]: `${'0'.repeat(64)}  other.tar.gz\n${sha256(archive)}  ${ARCHIVE}\n` });
    try {
      const cli = await provisionTemporalCli({ env: envWith(server.url), cacheDir, log: (l) => lines.push(l), fallback });
      const cached = path.join(cacheDir, 'bin', 'temporal');
      expect(cli).toEqual({ kind: 'binary', path: cached, source: 'download' });
      expect(fallback).not.toHaveBeenCalled();
      expect(server.requests).toEqual([`/v1.5.1/${TEMPORAL_CLI_CHECKSUMS}`, `/v1.5.1/${ARCHIVE}`]);
      expect(spawnSync(cached, ['--version'], { encoding: 'utf8' }).stdout).toContain('1.5.1');
      expect(lines.join('\n')).toMatch(/verified \(SHA-256/);
      // Written through a temporary folder that is gone: only the binary is left in the cache.
      expect(fs.readdirSync(cacheDir)).toEqual(['bin']);
      expect(fs.readdirSync(path.join(cacheDir, 'bin'))).toEqual(['temporal']);

      // The next start takes the cached copy without asking the server again.
      expect(await provisionTemporalCli({ env: envWith(server.url), cacheDir, log: (l) => lines.push(l), fallback })).toEqual({ kind: 'binary', path: cached, source: 'cache' });
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('refuses an archive whose SHA-256 is not the listed one, and falls back to the build', async () => {
    const listed = releaseArchive(dir, 'good', good);
    const tampered = releaseArchive(dir, 'tampered', '#!/bin/sh\necho "temporal version 1.5.1"\necho pwned\n');
    const server = await releaseServer({ [ARCHIVE]: tampered, [TEMPORAL_CLI_CHECKSUMS]: `${sha256(listed)}  ${ARCHIVE}\n` });
    try {
      expect(await provisionTemporalCli({ env: envWith(server.url), cacheDir, log: (l) => lines.push(l), fallback })).toEqual({ kind: 'sdk-download' });
      expect(fallback).toHaveBeenCalledTimes(1);
      expect(lines.at(-1)).toMatch(new RegExp(`could not download the Temporal CLI \\(refused ${ARCHIVE.replace(/\./g, '\\.')}: its SHA-256 is ${sha256(tampered)}.*falling back to building it from source`));
      expect(fs.existsSync(path.join(cacheDir, 'bin', 'temporal'))).toBe(false);
      expect(fs.readdirSync(cacheDir)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses an archive the checksum list does not name, without downloading it', async () => {
    const archive = releaseArchive(dir, 'good', good);
    const server = await releaseServer({ [ARCHIVE]: archive, [TEMPORAL_CLI_CHECKSUMS]: `${sha256(archive)}  temporal_cli_1.5.1_plan9_amd64.tar.gz\n` });
    try {
      await provisionTemporalCli({ env: envWith(server.url), cacheDir, log: (l) => lines.push(l), fallback });
      expect(fallback).toHaveBeenCalledTimes(1);
      expect(lines.at(-1)).toMatch(/lists no checksum for/);
      expect(server.requests).toEqual([`/v1.5.1/${TEMPORAL_CLI_CHECKSUMS}`]);
      expect(fs.existsSync(path.join(cacheDir, 'bin', 'temporal'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('falls back at once when nothing listens, and saying why in one line', async () => {
    const closedPort = await freePort();
    const started = Date.now();
    const url = `http://127.0.0.1:${closedPort}/v1.5.1`;
    await provisionTemporalCli({ env: envWith(url), cacheDir, log: (l) => lines.push(l), fallback });
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([`could not download the Temporal CLI (${url}/${TEMPORAL_CLI_CHECKSUMS}: connect ECONNREFUSED 127.0.0.1:${closedPort}); falling back to building it from source`]);
    // A refused connection takes milliseconds; 10 s is the bound the issue sets, far above any load.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('gives up on a host that never answers by its own connect timeout, which is under 10 s', async () => {
    // Accepts the connection and never responds: what a black-holed address looks like to the client.
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => undefined);
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1.5.1`;
      await provisionTemporalCli({ env: envWith(url), cacheDir, log: (l) => lines.push(l), fallback, download: { connectTimeoutMs: 300 } });
      expect(fallback).toHaveBeenCalledTimes(1);
      // The reason is the code's own timer, not a socket error or the test's timeout.
      expect(lines).toEqual([expect.stringContaining(`no response from ${url}/${TEMPORAL_CLI_CHECKSUMS} within 0.3 s`)]);
      expect(DOWNLOAD_CONNECT_TIMEOUT_MS).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('falls back to the real build with Go when no fallback is given', async () => {
    // A stand-in `go` that drops a binary into GOBIN, as in temporalCli.test.ts.
    const go = path.join(dir, 'gobin', 'go');
    fs.mkdirSync(path.dirname(go), { recursive: true });
    fs.writeFileSync(go, `#!/bin/sh\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`, { mode: 0o755 });
    const url = `http://127.0.0.1:${await freePort()}/v1.5.1`;
    const cli = await provisionTemporalCli({ env: { PATH: path.dirname(go), AFTERCARE_TEMPORAL_CLI_URL: url }, cacheDir, log: (l) => lines.push(l), goLocations: [] });
    expect(cli).toEqual({ kind: 'binary', path: path.join(cacheDir, 'bin', 'temporal'), source: 'go install' });
    expect(lines[0]).toMatch(/could not download the Temporal CLI .*falling back/);
  });

  it('refuses a verified archive whose temporal does not say 1.5.1', async () => {
    const archive = releaseArchive(dir, 'old', '#!/bin/sh\necho "temporal version 1.4.0"\n');
    const server = await releaseServer({ [ARCHIVE]: archive, [TEMPORAL_CLI_CHECKSUMS]: `${sha256(archive)}  ${ARCHIVE}\n` });
    try {
      await provisionTemporalCli({ env: envWith(server.url), cacheDir, log: (l) => lines.push(l), fallback });
      expect(fallback).toHaveBeenCalledTimes(1);
      expect(lines.at(-1)).toMatch(/does not run as v1\.5\.1 .*1\.4\.0/);
      expect(fs.existsSync(path.join(cacheDir, 'bin', 'temporal'))).toBe(false);
    } finally {
      await server.close();
    }
  });
});
