import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../../platform/temporal/devServer';
import { resolveTemporalCli } from '../../platform/temporal/temporalCli';
import { freePort } from '../support/ports';

describe('the embedded Temporal dev server', () => {
  it('keeps its state in a file across restarts, with the search attributes registered', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-devserver-'));
    const dbFile = path.join(dir, 'temporal.sqlite');
    const cli = resolveTemporalCli();
    const port = await freePort();
    const workflowId = `persisted-${Date.now()}`;

    const first = await startDevServer({ cli, port, namespace: 'default', dbFile });
    let connection = await Connection.connect({ address: first.address });
    // No worker polls this queue: the workflow stays open, which is what must survive the restart.
    await new Client({ connection }).workflow.start('noSuchWorkflowType', { taskQueue: 'nobody-polls', workflowId });
    await connection.close();
    await first.stop();
    expect(fs.existsSync(dbFile)).toBe(true);

    const second = await startDevServer({ cli, port, namespace: 'default', dbFile });
    try {
      connection = await Connection.connect({ address: second.address });
      const client = new Client({ connection });
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(attributes.customAttributes ?? {})).toEqual(expect.arrayContaining(['AftercareStage', 'AftercareContractNo', 'AftercareCustomerId']));
      await client.workflow.getHandle(workflowId).terminate('test done');
      await connection.close();
    } finally {
      await second.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says why when the server cannot start', async () => {
    const cli = resolveTemporalCli();
    const port = await freePort();
    const blocker = await startDevServer({ cli, port, namespace: 'default' });
    try {
      await expect(startDevServer({ cli, port, namespace: 'default', readyTimeoutMs: 20_000 })).rejects.toThrow(`port ${port} for the Temporal frontend is in use`);
    } finally {
      await blocker.stop();
    }
  });
});
