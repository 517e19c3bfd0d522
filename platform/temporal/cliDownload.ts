import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Log } from './goInstall';

/**
 * The release download of the pinned Temporal CLI: a few seconds where the network allows, instead of
 * building it from source with Go (temporalCli.ts falls back to that build when this fails).
 *
 * The names below follow the CLI's .goreleaser.yml at tag v1.5.1: archives are
 * `temporal_cli_{{ .Version }}_{{ .Os }}_{{ .Arch }}` (tar.gz for linux and darwin, amd64 and arm64,
 * holding `temporal` and LICENSE at the top), and the checksum file's name_template is plain
 * `checksums.txt` (sha256, lines `<hex>  <file name>`), not goreleaser's default
 * `<project>_<version>_checksums.txt`.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';
export const DEFAULT_TEMPORAL_CLI_URL = `https://github.com/temporalio/cli/releases/download/v${TEMPORAL_CLI_VERSION}`;
export const TEMPORAL_CLI_CHECKSUMS = 'checksums.txt';

/** Until the server answers (DNS, connect, TLS, redirects, response headers): an unreachable host gives up within this. */
export const DOWNLOAD_CONNECT_TIMEOUT_MS = 7_000;
/** The whole step, both files' bodies included (the archive is tens of MB). */
export const DOWNLOAD_TOTAL_TIMEOUT_MS = 5 * 60_000;

export type DownloadResult = { ok: true; path: string } | { ok: false; reason: string };

export interface DownloadOptions {
  /** The folder holding the archive and the checksum file; AFTERCARE_TEMPORAL_CLI_URL or DEFAULT_TEMPORAL_CLI_URL. */
  baseUrl: string;
  /** The cache folder: the binary lands in `<cacheDir>/bin/temporal`, the download in a temporary folder beside it. */
  cacheDir: string;
  log: Log;
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  platform?: NodeJS.Platform;
  arch?: string;
}

/** The release archive for this platform, or undefined where the release has no .tar.gz we use (Windows, 32-bit). */
export function releaseArchiveName(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | undefined {
  const os = platform === 'linux' || platform === 'darwin' ? platform : undefined;
  const goArch = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
  return os && goArch ? `temporal_cli_${TEMPORAL_CLI_VERSION}_${os}_${goArch}.tar.gz` : undefined;
}

/** `<sha256>  <name>` lines (sha256sum's format; a `*` before the name marks binary mode). */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line);
    if (match) sums.set(match[2]!, match[1]!.toLowerCase());
  }
  return sums;
}

class DownloadFailure extends Error {}

/**
 * GETs a URL; the response must start within connectTimeoutMs. The body is read under `signal` only
 * (the whole step's bound), so a large archive on a slow line is not cut at the connect timeout.
 */
async function get(url: string, signal: AbortSignal, connectTimeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DownloadFailure(`no response from ${url} within ${connectTimeoutMs / 1000} s`)), connectTimeoutMs);
  const onAbort = () => controller.abort(new DownloadFailure(`${url} took longer than the download's limit`));
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok) throw new DownloadFailure(`${url} answered HTTP ${response.status}`);
    if (!response.body) throw new DownloadFailure(`${url} answered without a body`);
    return response;
  } catch (error) {
    throw error instanceof DownloadFailure ? error : new DownloadFailure(`${url}: ${describe(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The failure in a few words: fetch's "fetch failed" says nothing, its cause does (getaddrinfo ENOTFOUND…). */
function describe(error: unknown): string {
  if (error instanceof DownloadFailure) return error.message;
  // Not `instanceof Error`: fetch's errors may come from another realm (a test's sandbox).
  if (typeof error !== 'object' || error === null || !('message' in error)) return String(error);
  const { message, cause } = error as { message: string; cause?: { code?: string; message?: string } };
  return cause ? (cause.message ?? cause.code ?? String(cause)) : message;
}

/**
 * Downloads the release archive, checks its SHA-256 against the release's checksum list before
 * anything is extracted, extracts `temporal` with the system tar, checks that `temporal --version`
 * says 1.5.1, and only then renames it into `<cacheDir>/bin/temporal`: a half download, a tampered
 * archive or a wrong binary never reaches the cache. Never throws: a failure is a reason to fall back.
 */
export async function downloadTemporalCli(options: DownloadOptions): Promise<DownloadResult> {
  const archive = releaseArchiveName(options.platform, options.arch);
  if (!archive) return { ok: false, reason: `the release has no .tar.gz archive for ${options.platform ?? process.platform}/${options.arch ?? process.arch}` };
  const base = options.baseUrl.replace(/\/+$/, '');
  const connectTimeoutMs = options.connectTimeoutMs ?? DOWNLOAD_CONNECT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(options.totalTimeoutMs ?? DOWNLOAD_TOTAL_TIMEOUT_MS);
  fs.mkdirSync(options.cacheDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(options.cacheDir, '.download-'));
  try {
    const started = Date.now();
    const checksums = parseChecksums(await (await get(`${base}/${TEMPORAL_CLI_CHECKSUMS}`, signal, connectTimeoutMs)).text());
    const expected = checksums.get(archive);
    if (!expected) return { ok: false, reason: `${base}/${TEMPORAL_CLI_CHECKSUMS} lists no checksum for ${archive}` };

    const response = await get(`${base}/${archive}`, signal, connectTimeoutMs);
    const size = Number(response.headers.get('content-length'));
    options.log(`downloading ${base}/${archive}${size > 0 ? ` (${(size / 1e6).toFixed(1)} MB)` : ''}`);
    const archiveFile = path.join(work, archive);
    const hash = createHash('sha256');
    await pipeline(
      Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      },
      fs.createWriteStream(archiveFile),
      { signal },
    );
    const actual = hash.digest('hex');
    if (actual !== expected) return { ok: false, reason: `refused ${archive}: its SHA-256 is ${actual}, the release's checksum list says ${expected}` };

    const extracted = path.join(work, 'extracted');
    fs.mkdirSync(extracted);
    const tar = spawnSync('tar', ['-xzf', archiveFile, '-C', extracted, '--no-same-owner', 'temporal'], { encoding: 'utf8', timeout: 120_000 });
    const binary = path.join(extracted, 'temporal');
    if (tar.status !== 0) return { ok: false, reason: `tar could not extract temporal from ${archive}: ${(tar.stderr || tar.error?.message || `exit ${tar.status ?? tar.signal}`).trim()}` };
    if (!fs.lstatSync(binary, { throwIfNoEntry: false })?.isFile()) return { ok: false, reason: `${archive} holds no regular file named temporal` };
    fs.chmodSync(binary, 0o755);
    const version = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    const said = `${version.stdout ?? ''}${version.stderr ?? ''}`.trim();
    if (version.status !== 0 || !new RegExp(`\\b${TEMPORAL_CLI_VERSION.replace(/\./g, '\\.')}\\b`).test(said)) {
      return { ok: false, reason: `the downloaded temporal does not run as v${TEMPORAL_CLI_VERSION} (\`temporal --version\`: ${said.split('\n')[0] || version.error?.message || `exit ${version.status ?? version.signal}`})` };
    }

    const binDir = path.join(options.cacheDir, 'bin');
    fs.mkdirSync(binDir, { recursive: true });
    const target = path.join(binDir, 'temporal');
    fs.renameSync(binary, target);
    options.log(`downloaded and verified (SHA-256, ${said.split('\n')[0]}) in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
    return { ok: true, path: target };
  } catch (error) {
    return { ok: false, reason: signal.aborted ? `the download took longer than ${(options.totalTimeoutMs ?? DOWNLOAD_TOTAL_TIMEOUT_MS) / 1000} s (${describe(error)})` : describe(error) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
