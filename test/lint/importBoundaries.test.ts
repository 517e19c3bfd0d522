import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The house's import rules (.dependency-cruiser.cjs) run over a small tree of their own, so that a
// rule that stopped catching what it is for fails here rather than passing quietly on the real code.
const root = path.resolve(__dirname, '../..');
const depcruise = path.join(root, 'node_modules', '.bin', 'depcruise');

function cruise(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-imports-'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node' } }));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  try {
    return execFileSync(depcruise, [...new Set(Object.keys(files).map((f) => f.split('/')[0] as string))].concat(['--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'err']), { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    return String((error as { stdout?: string }).stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('import boundaries', () => {
  it('refuses the platform importing a process', () => {
    const out = cruise({ 'platform/http/x.ts': "import { y } from '../../processes/tickets/repository';\nexport const x = y;\n", 'processes/tickets/repository.ts': 'export const y = 1;\n' });
    expect(out).toMatch(/platform-knows-no-feature: platform\/http\/x\.ts → processes\/tickets\/repository\.ts/);
  });

  it('lets a process reach another only through its messages.ts', () => {
    const out = cruise({
      'processes/care/a.ts': "import { m } from '../tickets/messages';\nimport { r } from '../tickets/repository';\nexport const a = m + r;\n",
      'processes/tickets/messages.ts': 'export const m = 1;\n',
      'processes/tickets/repository.ts': 'export const r = 1;\n',
    });
    expect(out).toMatch(/process-through-messages: processes\/care\/a\.ts → processes\/tickets\/repository\.ts/);
    expect(out).not.toMatch(/→ processes\/tickets\/messages\.ts/);
  });

  it('refuses a lower layer importing an upper one, and a loop', () => {
    const out = cruise({
      'domain/a.ts': "import { b } from '../platform/b';\nexport const a = b;\n",
      'platform/b.ts': "import { c } from './c';\nexport const b = c;\n",
      'platform/c.ts': "import { b } from './b';\nexport const c = () => b;\n",
    });
    expect(out).toMatch(/domain-is-the-ground: domain\/a\.ts → platform\/b\.ts/);
    expect(out).toMatch(/no-circular/);
  });

  it('sends pages and routes through the use cases', () => {
    const out = cruise({
      'processes/care/console/page.ts': "import { run } from '../api/index';\nimport { step } from '../useCases/tasks';\nexport const page = run + step;\n",
      'processes/care/api/index.ts': "import { CareRepository } from '../repository';\nimport { step } from '../useCases/tasks';\nexport const run = CareRepository + step;\n",
      'processes/care/useCases/tasks.ts': "import { CareRepository } from '../repository';\nexport const step = CareRepository;\n",
      'processes/care/repository.ts': 'export const CareRepository = 1;\n',
    });
    expect(out).toMatch(/console-through-use-cases: processes\/care\/console\/page\.ts → processes\/care\/api\/index\.ts/);
    expect(out).toMatch(/routes-through-use-cases: processes\/care\/api\/index\.ts → processes\/care\/repository\.ts/);
    expect(out).not.toMatch(/→ processes\/care\/useCases\/tasks\.ts/);
    expect(out).not.toMatch(/useCases\/tasks\.ts → processes\/care\/repository/);
  });

  it('passes a tree that keeps the rules', () => {
    const out = cruise({ 'processes/care/a.ts': "import { d } from '../../domain/d';\nexport const a = d;\n", 'domain/d.ts': 'export const d = 1;\n' });
    expect(out).toMatch(/no dependency violations/);
  });
});
