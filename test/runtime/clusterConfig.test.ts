/**
 * `npm run cluster` and the configuration table (issue #20): PORT and AFTERCARE_ADMIN_TOKEN from the
 * environment apply to the cluster as they do to `npm start`, checked the same way. No process is
 * started: the settings are read from an environment and resolved as the cluster resolves them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadClusterConfig, loadConfig } from '../../platform/config/config';
import { clusterSettings } from '../../platform/temporal/cluster';

describe('the cluster configuration from the environment', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cluster-config-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const resolved = (env: NodeJS.ProcessEnv) => clusterSettings(loadClusterConfig(env, dir), path.join(dir, 'app'));

  it('runs the API on PORT and lets in the admin with AFTERCARE_ADMIN_TOKEN when they are set', () => {
    const env = { PORT: '18080', AFTERCARE_ADMIN_TOKEN: 'a-long-enough-admin-token' };
    expect(loadClusterConfig(env, dir)).toMatchObject({ apiPort: 18080, adminToken: 'a-long-enough-admin-token' });
    const { ports, adminToken } = resolved(env);
    expect(ports.api).toBe(18080);
    expect(adminToken).toBe('a-long-enough-admin-token');
    // Nothing generated nor kept: the environment's token is the one.
    expect(fs.existsSync(path.join(dir, 'app', 'admin-token'))).toBe(false);
    // The same values mean the same under `npm start`.
    expect(loadConfig(env)).toMatchObject({ port: 18080, adminToken: 'a-long-enough-admin-token' });
  });

  it('keeps its own defaults when they are unset (or empty): the port base + 80, a token generated once and kept', () => {
    expect(loadClusterConfig({}, dir)).toEqual({ dataDir: path.join(dir, 'data', 'cluster'), portBase: 17000 });
    const first = resolved({ PORT: '', AFTERCARE_CLUSTER_PORT_BASE: '20000' });
    expect(first.ports.api).toBe(20080);
    expect(first.adminToken).toMatch(/^ac_[A-Za-z0-9_-]{43}$/);
    expect(fs.readFileSync(path.join(dir, 'app', 'admin-token'), 'utf8').trim()).toBe(first.adminToken);
    expect(resolved({}).adminToken).toBe(first.adminToken);
  });

  it('moves with AFTERCARE_CLUSTER_DIR and AFTERCARE_CLUSTER_PORT_BASE as before', () => {
    expect(loadClusterConfig({ AFTERCARE_CLUSTER_DIR: path.join(dir, 'elsewhere'), AFTERCARE_CLUSTER_PORT_BASE: '24000' }, dir)).toEqual({ dataDir: path.join(dir, 'elsewhere'), portBase: 24000 });
  });

  it('refuses what `npm start` refuses, one line per problem', () => {
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        loadClusterConfig(env, dir);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems({ PORT: 'eighty', AFTERCARE_ADMIN_TOKEN: 'short' })).toEqual([expect.stringMatching(/^PORT: /), 'AFTERCARE_ADMIN_TOKEN: must be at least 16 characters']);
    expect(problems({ PORT: '70000' })).toEqual([expect.stringMatching(/^PORT: /)]);
    // The cluster waits for its API on that port: a random one (0) cannot be waited for.
    expect(problems({ PORT: '0' })).toEqual([expect.stringMatching(/^PORT: .*1 to 65535/)]);
  });
});
