import fs from 'node:fs';
import path from 'node:path';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__aftercareTemporal?.stop();
  const bundle = process.env.AFTERCARE_TEST_WORKFLOW_BUNDLE;
  if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
}
