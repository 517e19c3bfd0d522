import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../platform/config/config';
import { TEMPORAL_SERVICES } from '../../platform/temporal/cluster';
import { TEMPORAL_SERVER_VERSION } from '../../platform/temporal/clusterServer';
import { TEMPORAL_CLI_MODULE } from '../../platform/temporal/temporalCli';
import { SEARCH_ATTRIBUTE_TYPES } from '../../platform/temporal/searchAttributes';

/**
 * No Docker engine runs here: the topology ran as `npm run cluster` (test/cluster/), and this file is
 * checked against that code instead of started.
 */
const root = path.resolve(__dirname, '../..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: string; command?: string[] | string; environment?: Record<string, string | number>; ports?: string[]; depends_on?: Record<string, unknown> }>;
};
const { services } = compose;
const expand = (value: string | number) => String(value).replace(/\$\{(\w+):[-?]([^}]*)\}/g, (_m, _name, fallback: string) => (fallback.startsWith('set ') ? 'x'.repeat(20) : fallback));
const envOf = (name: string) => Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, expand(v)]));

describe('docker-compose.yml', () => {
  it('has MySQL 8 for Aftercare, Temporal on PostgreSQL with its UI, the worker and the API', () => {
    expect(services.mysql?.image).toMatch(/^mysql:8/);
    expect(services.postgresql?.image).toMatch(/^postgres:1[2-9]/);
    expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal-frontend:7233');
    expect(services.worker?.build).toBe('.');
    expect(services.api?.build).toBe('.');
  });

  it('runs the topology npm run cluster runs: the same server version, its four services apart, on postgres12', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    for (const service of TEMPORAL_SERVICES) {
      const container = services[`temporal-${service}`];
      expect(container?.image).toBe(`temporalio/server:${version}`);
      expect(container?.environment).toMatchObject({ SERVICES: service, DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', DBNAME: 'temporal', VISIBILITY_DBNAME: 'temporal_visibility' });
    }
    expect(services['temporal-schema']?.image).toBe(`temporalio/admin-tools:${version}`);
    expect(services['temporal-setup']?.image).toBe(`temporalio/admin-tools:${version}`);
    // The CLI the cluster registers with embeds the same server.
    expect(TEMPORAL_CLI_MODULE).toMatch(/@v1\.5\./);
  });

  it('prepares the schema as the cluster does: setup-schema -v 0.0, then update-schema for both databases', () => {
    const command = ([] as string[]).concat(services['temporal-schema']?.command ?? []).join(' ');
    expect(command).toContain('--plugin postgres12');
    expect(command).toContain('setup-schema -v 0.0');
    expect(command).toContain('update-schema --schema-name postgresql/v12/$$schema');
    expect(command).toContain('temporal:temporal temporal_visibility:visibility');
    const clusterSource = fs.readFileSync(path.join(root, 'platform/temporal/cluster.ts'), 'utf8');
    expect(clusterSource).toContain("['setup-schema', '-v', '0.0']");
    expect(clusterSource).toContain('postgresql/v12/${schema}');
    expect(clusterSource).toContain("pluginName: 'postgres12'");
  });

  it('starts the compiled production entry points, which exist as sources', () => {
    for (const [service, entry] of [['worker', 'dist/worker/main.js'], ['api', 'dist/api/main.js']] as const) {
      expect(services[service]?.command).toEqual(['node', entry]);
      expect(fs.existsSync(path.join(root, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    }
    expect(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(/npm run build/);
  });

  it('gives the worker and the API a configuration our loader accepts', () => {
    for (const service of ['worker', 'api']) {
      const config = loadConfig(envOf(service));
      expect(config.temporalAddress).toBe('temporal-frontend:7233');
      expect(config.databaseUrl).toMatch(/^mysql:\/\//);
    }
  });

  it('wires the database URL to the MySQL service and its credentials', () => {
    const url = new URL(envOf('api').DATABASE_URL!);
    const mysql = envOf('mysql');
    expect(url.hostname).toBe('mysql');
    expect(url.username).toBe(mysql.MYSQL_USER);
    expect(url.password).toBe(mysql.MYSQL_PASSWORD);
    expect(url.pathname.slice(1)).toBe(mysql.MYSQL_DATABASE);
  });

  it('publishes the API on its PORT and the Temporal UI', () => {
    expect(services.api?.ports).toContain(`${envOf('api').PORT}:${envOf('api').PORT}`);
    expect(services['temporal-ui']?.ports).toContain('8080:8080');
  });

  it('creates the namespace and registers every search attribute the workflows set', () => {
    const command = ([] as string[]).concat(services['temporal-setup']?.command ?? []).join(' ');
    expect(command).toContain('namespace create --namespace default');
    for (const name of Object.keys(SEARCH_ATTRIBUTE_TYPES)) expect(command).toContain(`--name ${name}`);
  });
});
