#!/usr/bin/env node
// Entry point of `npm start` and `npm test`: installs what is missing, then hands over.
// Plain Node with no dependencies, because it runs before node_modules exists.
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function dependenciesMissing() {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(installed) || !fs.existsSync(bin('tsx')) || !fs.existsSync(bin('jest'))) return true;
  // A node_modules linked from elsewhere (a git worktree sharing one install) is managed there:
  // `npm ci` here would empty the shared folder through the link, under everyone using it.
  if (fs.lstatSync(path.join(root, 'node_modules')).isSymbolicLink()) return false;
  const lock = path.join(root, 'package-lock.json');
  return fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs;
}

function ensureDependencies() {
  if (!dependenciesMissing()) return;
  const command = fs.existsSync(path.join(root, 'package-lock.json')) ? 'ci' : 'install';
  console.log(`[aftercare] installing dependencies (npm ${command}); the first time this compiles better-sqlite3 and takes a few minutes`);
  const result = spawnSync('npm', [command, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Runs a command in the foreground, passing Ctrl-C and SIGTERM through, and exits with its code. */
function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the child directly too; it ignores the second one while stopping.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function runSync(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const [task, ...rest] = process.argv.slice(2);
const passThrough = rest[0] === '--' ? rest.slice(1) : rest;
ensureDependencies();
switch (task) {
  case 'start':
    // tsx as a loader in this very node process: one process owns the signals, no wrapper to outlive it.
    run(process.execPath, ['--import', 'tsx', 'runtime/start.ts', ...passThrough]);
    break;
  case 'cluster':
    // Like start: one node process owns the signals and stops every process of the cluster in order.
    run(process.execPath, ['--import', 'tsx', 'runtime/clusterMain.ts', ...passThrough]);
    break;
  case 'provision':
    runSync(process.execPath, ['--import', 'tsx', 'runtime/provision.ts']);
    break;
  case 'test':
    // Provision first so a first-time CLI build prints its progress instead of hiding inside jest's setup.
    runSync(process.execPath, ['--import', 'tsx', 'runtime/provision.ts']);
    run(bin('jest'), passThrough);
    break;
  default:
    console.error('usage: node scripts/bootstrap.mjs start|cluster|test|provision [-- args]');
    process.exit(2);
}
