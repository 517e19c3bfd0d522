import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../runtime/config';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/searchAttributes';

/** No Docker engine runs here, so the topology is checked for consistency instead of started. */
const root = path.resolve(__dirname, '../..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: string; command?: string[] | string; environment?: Record<string, string | number>; ports?: string[]; depends_on?: Record<string, unknown> }>;
};
const { services } = compose;
const expand = (value: string | number) => String(value).replace(/\$\{(\w+):[-?]([^}]*)\}/g, (_m, _name, fallback: string) => (fallback.startsWith('set ') ? 'x'.repeat(20) : fallback));
const envOf = (name: string) => Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, expand(v)]));

describe('docker-compose.yml', () => {
  it('has MySQL 8, Temporal on MySQL with its UI, the worker and the API', () => {
    expect(services.mysql?.image).toMatch(/^mysql:8/);
    expect(services.temporal?.image).toMatch(/^temporalio\/auto-setup:/);
    expect(services.temporal?.environment?.DB).toBe('mysql8');
    expect(services.temporal?.environment?.MYSQL_SEEDS).toBe('mysql');
    expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services.worker?.build).toBe('.');
    expect(services.api?.build).toBe('.');
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
      expect(config.temporalAddress).toBe('temporal:7233');
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

  it('registers every search attribute the workflows set', () => {
    const command = ([] as string[]).concat(services['temporal-setup']?.command ?? []).join(' ');
    for (const name of Object.keys(SEARCH_ATTRIBUTE_TYPES)) expect(command).toContain(`--name ${name}`);
  });
});
