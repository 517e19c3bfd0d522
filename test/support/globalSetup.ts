import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer, waitForTemporal, type DevServer } from '../../platform/temporal/devServer';
import { resolveTemporalCli } from '../../platform/temporal/temporalCli';
import { freePort } from './ports';

declare global {
  // Shared between globalSetup and globalTeardown only (they run in the same process).
  var __aftercareTemporal: DevServer | undefined;
}

/**
 * One real Temporal dev server per test run, and one workflow bundle that every test worker reuses.
 * With TEMPORAL_ADDRESS set the suite runs against that server instead (`npm run cluster`'s frontend,
 * say): its `default` namespace must exist with the search attributes registered, as the cluster does.
 * Each test file still polls task queues of its own, so the suite shares the server with anything else.
 */
export default async function globalSetup(): Promise<void> {
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) {
    await waitForTemporal(external, 30_000);
    process.env.AFTERCARE_TEST_TEMPORAL_ADDRESS = external;
  } else {
    const cli = resolveTemporalCli();
    const server = await startDevServer({ cli, port: await freePort(), namespace: 'default', readyTimeoutMs: 120_000 });
    globalThis.__aftercareTemporal = server;
    process.env.AFTERCARE_TEST_TEMPORAL_ADDRESS = server.address;
  }

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-bundle-')), 'workflows.js');
  fs.writeFileSync(bundlePath, code);
  process.env.AFTERCARE_TEST_WORKFLOW_BUNDLE = bundlePath;
}
