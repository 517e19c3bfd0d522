import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// domain/ and each feature's pure rules are imported by Temporal workflow code: no Node built-ins,
// no I/O, no implicit clock.
const root = join(__dirname, '..', '..');
const domainDir = join(root, 'domain');
const featureRules = ['processes/delivery/rules.ts', 'processes/tickets/rules.ts', 'processes/care/rules.ts', 'processes/dealer/rules.ts', 'processes/dealer/sales/rules.ts', 'processes/dealer/tasks/rules.ts', 'processes/dealer/claims/rules.ts', 'processes/dealer/settlement/rules.ts', 'processes/dealer/partsPlans/rules.ts', 'reports/kpis/rules.ts', 'people/roleRules.ts', 'people/passwordRules.ts', 'people/signInRules.ts', 'people/secondFactor/rules.ts', 'people/oidc/rules.ts', 'people/adminRules.ts', 'people/unitRules.ts', 'people/tokenRules.ts', 'people/profileRules.ts'].map((file) => join(root, file));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('domain modules are workflow-safe', () => {
  const files = [...sources(domainDir), ...featureRules];

  it('finds the modules', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  it.each(files.map((f) => [f.slice(root.length + 1), f]))('%s imports only luxon, zod and relative modules', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
    for (const spec of imports) expect(spec === 'luxon' || spec === 'zod' || spec.startsWith('./') || spec.startsWith('../')).toBe(true);
    expect(text).not.toMatch(/\brequire\(|\bprocess\.|Date\.now\(|new Date\(\)|Math\.random|DateTime\.(now|local)\(|Settings\./);
  });
});
