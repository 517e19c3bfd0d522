/**
 * P4 a care plan survives a worker deploy that changes its code (issue #8). A plan runs on a worker
 * with today's workflows; that worker is shut down and a new one starts whose bundle is a CHANGED
 * copy of workflows/: the reminder rung also puts the reminder on the plan's timeline, behind
 * `patched()`. The running plan goes on without non-determinism (the reminder it sent before the
 * deploy stays as it was; the next task's reminder, reached first on the new code, takes the new
 * branch), a plan started after the deploy takes it from its start, and the old plan's history
 * replays on the changed bundle — while the same edit without `patched()` fails that replay, so
 * patching is what makes the deploy safe.
 *
 * The copy is a sibling of workflows/ (so its `../domain`, `../activities` imports resolve), made and
 * bundled in beforeAll and removed at once (and in afterAll); `/workflows-deploy-test-*` is ignored by git.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NormalModuleReplacementPlugin } from 'webpack';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { resolvePolicy, type PolicyOverride, type ServicePolicy } from '../../domain/policy';
import { carePlan } from '../../workflows';
import { carePlanWorkflowId, completeVisitUpdate, endPlanUpdate, type CarePlanInput } from '../../processes/care/messages';
import type { Actor } from '../../platform/workflowKit/steps';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** An inspection every 10 s, reminded 2 s ahead; nothing else happens within the test. */
const POLICY: ServicePolicy = resolvePolicy({
  contract: {
    care: {
      inspectionTiers: [{ fromMonth: 1, every: 'PT10S' }],
      returnCallFirstWithin: 'P1Y',
      returnCallEvery: 'P1Y',
      taskHorizon: 'PT3S',
      remindBefore: 'PT2S',
      visitWindow: 'PT1M',
      callWindow: 'PT1M',
      followUpWithin: 'PT1M',
      freeMaintenanceBeforeWarrantyEnd: 'PT4S',
      contractRenewalBefore: 'PT4S',
    },
  } as PolicyOverride,
});

const PATCH_ID = 'deploy-test-reminder-on-timeline';
/** The line of carePlan.ts the deploy edits: the reminder rung's notice. */
const REMINDER_LINE = "await notify(noticeKey, 'care-task-reminder', await responsibleFor(current), context, noticeOptions);";
const NEW_COMMAND = "await background.recordCareStep(entry(`${noticeKey}:on-timeline`, 'task_reminded', `${labelOf(current).en} ${key}: reminder sent`));";

const REPO = path.resolve(__dirname, '../..');
const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

const CARE_PLAN = path.join(REPO, 'processes', 'care', 'carePlan.workflow.ts');

/**
 * Bundles workflows/ with carePlan.workflow.ts's reminder line followed by `addition`: the changed
 * copy stands beside the original (so its relative imports hold) and replaces it in the bundle only.
 */
async function bundleChangedWorkflows(addition: string): Promise<string> {
  const copy = path.join(path.dirname(CARE_PLAN), `carePlan.deployTest${process.pid}.ts`);
  try {
    const source = fs.readFileSync(CARE_PLAN, 'utf8');
    // The edit must land exactly once, or the test proves nothing.
    expect(source.split(REMINDER_LINE)).toHaveLength(2);
    fs.writeFileSync(copy, source.replace(REMINDER_LINE, `${REMINDER_LINE}\n            ${addition}`));
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: quietLogger,
      webpackConfigHook: (config) => ({ ...config, plugins: [...(config.plugins ?? []), new NormalModuleReplacementPlugin(/carePlan\.workflow$/, copy)] }),
    });
    expect(code).toContain(addition.slice(-40));
    return code;
  } finally {
    fs.rmSync(copy, { force: true });
  }
}

describe('care plans across a worker deploy', () => {
  let system: TestSystem;
  let care: CareRepository;
  let customerId: number;
  let engineerEmail: string;
  let desk: Actor;
  let patchedCode: string;
  let unpatchedCode: string;
  const customerContact = { name: 'Chen Jing', email: 'chen.jing@customer.test', locale: 'en' as const };

  beforeAll(async () => {
    // The new release (patched) and the same edit as a careless deploy would make it (not patched).
    patchedCode = await bundleChangedWorkflows(`if (patched('${PATCH_ID}')) ${NEW_COMMAND}`);
    unpatchedCode = await bundleChangedWorkflows(NEW_COMMAND);
    system = await startTestSystem('care-deploy');
    care = new CareRepository(system.db.knex);
    const users = new UsersRepository(system.db.knex);
    const customers = new CustomersRepository(system.db.knex);
    const customer = await customers.create({ name: `Deploy customer ${Date.now()}`, contacts: [{ ...customerContact, role: 'technical_lead', phone: '+86 10 5555 0102' }] });
    customerId = customer.id;
    const eng = await users.create({ name: 'Wang Engineer', email: 'wang.deploy@aftercare.test', role: 'engineer', locale: 'en' });
    engineerEmail = eng.email;
    await customers.assignEngineer(customerId, eng.id);
    await users.create({ name: 'Li Manager', email: 'li.deploy@aftercare.test', role: 'service_manager', locale: 'en' });
    const dispatcher = await users.create({ name: 'Zhao Desk', email: 'zhao.deploy@aftercare.test', role: 'dispatcher', locale: 'en' });
    desk = { userId: dispatcher.id, name: dispatcher.name, role: 'dispatcher' };
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  const step = () => ({ actor: desk, occurredAt: new Date().toISOString() });
  const waitForReminder = (planId: number, taskKey: string) =>
    poll(`reminder of ${taskKey}`, () => system.smtp.messages.find((m) => m.idempotencyKey?.startsWith(`${carePlanWorkflowId(planId)}:${taskKey}:v0:reminder`) && m.envelope.to.includes(engineerEmail)));
  /** The tasks whose reminder the new code put on the timeline. */
  const remindedOnTimeline = async (planId: number) => (await care.timeline(planId)).filter((e) => e.kind === 'task_reminded').map((e) => e.key);

  async function startPlan(): Promise<{ planId: number; handle: WorkflowHandle<typeof carePlan> }> {
    const anchorAt = new Date().toISOString();
    const plan = await care.createPlan({ customerId, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(anchorAt), warrantyEndsAt: null, policy: POLICY, deviceIds: [] }, new Date());
    const input: CarePlanInput = { planId: plan.id, customerId, customerName: 'Deploy customer', deviceIds: [], customerClass: 'regular', anchorAt, timeZone: 'Asia/Shanghai', policy: POLICY, customerContacts: [customerContact] };
    const handle = await system.temporal.client.workflow.start(carePlan, { taskQueue: system.temporal.taskQueue, workflowId: carePlanWorkflowId(plan.id), args: [input] });
    return { planId: plan.id, handle };
  }

  async function completeVisit(handle: WorkflowHandle<typeof carePlan>, taskKey: string): Promise<string> {
    const done = await handle.executeUpdate(completeVisitUpdate, { args: [{ ...step(), taskKey, checklist: { earthing: true, dustRemoval: true, operatingState: 'normal' }, findings: [], signature: { name: 'Chen Jing' } }] });
    return done.status;
  }

  async function endPlan(handle: WorkflowHandle<typeof carePlan>): Promise<void> {
    await handle.executeUpdate(endPlanUpdate, { args: [{ ...step(), reason: 'test over' }] });
    await handle.result();
  }

  it('goes on with the new code under a running plan, takes the patched branch only where reached after the deploy, and replays only because of the patch', async () => {
    // Today's code: the first inspection is materialized, reminded and done.
    const old = await startPlan();
    await poll('inspection:1', async () => (await care.listVisits({ planId: old.planId, now: new Date(), scope: ALL_ROWS })).find((v) => v.taskKey === 'inspection:1'));
    await waitForReminder(old.planId, 'inspection:1');
    expect(await completeVisit(old.handle, 'inspection:1')).toBe('done');
    expect(await remindedOnTimeline(old.planId)).toEqual([]);

    // The deploy: the worker stops, one with the changed bundle takes over the same task queue.
    const bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-deploy-')), 'workflows.js');
    fs.writeFileSync(bundlePath, patchedCode);
    await system.temporal.restart(system.activities, bundlePath);

    // A plan started after the deploy takes the new branch from its start.
    const fresh = await startPlan();

    // The running plan: the next inspection is reminded on the new code, with the new timeline entry,
    // and takes a step; the reminder sent before the deploy was not redone or put on the timeline.
    await waitForReminder(old.planId, 'inspection:2');
    expect(await poll('the new entry of the old plan', async () => ((await remindedOnTimeline(old.planId)).length > 0 ? remindedOnTimeline(old.planId) : undefined))).toEqual([
      'inspection:2:v0:reminder:on-timeline',
    ]);
    expect(await completeVisit(old.handle, 'inspection:2')).toBe('done');
    expect((await care.listVisits({ planId: old.planId, now: new Date(), scope: ALL_ROWS })).filter((v) => v.status === 'done').map((v) => v.taskKey)).toEqual(['inspection:1', 'inspection:2']);
    expect(system.smtp.messages.filter((m) => m.idempotencyKey?.startsWith(`${carePlanWorkflowId(old.planId)}:inspection:1:v0:reminder`) && m.envelope.to.includes(engineerEmail))).toHaveLength(1);

    await waitForReminder(fresh.planId, 'inspection:1');
    expect(await poll('the new entry of the new plan', async () => ((await remindedOnTimeline(fresh.planId)).length > 0 ? remindedOnTimeline(fresh.planId) : undefined))).toEqual([
      'inspection:1:v0:reminder:on-timeline',
    ]);

    await endPlan(old.handle);
    await endPlan(fresh.handle);

    // No workflow task failed on the new worker (a non-determinism would fail them over and over).
    const oldHistory = await old.handle.fetchHistory();
    const freshHistory = await fresh.handle.fetchHistory();
    for (const history of [oldHistory, freshHistory]) expect(history.events?.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    const patchMarkers = (oldHistory.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    expect(patchMarkers).toHaveLength(1);

    // The whole life of both plans replays on the patched code; the same edit without patched() does not.
    await Worker.runReplayHistory({ workflowBundle: { code: patchedCode } }, oldHistory, carePlanWorkflowId(old.planId));
    await Worker.runReplayHistory({ workflowBundle: { code: patchedCode } }, freshHistory, carePlanWorkflowId(fresh.planId));
    await expect(Worker.runReplayHistory({ workflowBundle: { code: unpatchedCode } }, oldHistory, carePlanWorkflowId(old.planId))).rejects.toThrow(DeterminismViolationError);
  });
});
