/**
 * Jest gives each test file its own realm but loads better-sqlite3's native addon once per process,
 * so without test/support/sqliteErrors.ts every file after the first one to open SQLite gets errors
 * that are not its `Error`s: `rejects.toThrow()` then fails as if a CHECK or UNIQUE violation had
 * been accepted. Two files in one Jest process (the project's config without the Temporal server)
 * must both see the violations thrown.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');

it('every test file in a Jest process sees SQLite constraint violations as thrown Errors, not only the first', async () => {
  const { globalSetup: _setup, globalTeardown: _teardown, ...projectConfig } = createRequire(__filename)('../../jest.config.js') as Record<string, unknown>;
  const config = { ...projectConfig, rootDir: root, roots: ['<rootDir>/test/support/sqliteRealms'], testMatch: ['**/*.fixture.ts'] };
  const jest = require.resolve('jest/bin/jest');
  const run = await promisify(execFile)(process.execPath, [jest, '--runInBand', '--ci', '--config', JSON.stringify(config)], { cwd: root, encoding: 'utf8' }).catch(
    (error: { stdout: string; stderr: string }) => error,
  );
  expect(run.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
});
