/**
 * P4 care plans on the real server with second-scale policies: tasks appear within the horizon, are
 * reminded and escalate when overdue; a reschedule moves one task only; an unanswered call is retried
 * then escalated; a low score opens a follow-up; the free maintenance and the expiry notices; a
 * maintenance contract adds visits; continue-as-new keeps every task. Mail is asserted at the SMTP
 * sink; every wait polls a condition.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { resolvePolicy, type PolicyOverride, type ServicePolicy } from '../../domain/policy';
import { carePlan } from '../../workflows';
import {
  addContractUpdate,
  carePlanStateQuery,
  carePlanWorkflowId,
  completeCallUpdate,
  completeVisitUpdate,
  endPlanUpdate,
  noAnswerCallUpdate,
  rescheduleVisitUpdate,
  updatePolicyUpdate,
  type Assignee,
  type CarePlanInput,
} from '../../processes/care/messages';
import type { Actor } from '../../platform/workflowKit/steps';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
/** Nothing happens in these plans unless a test makes it: first call and routine calls are a year out. */
const QUIET: PolicyOverride = {
  care: {
    inspectionTiers: [{ fromMonth: 1, every: 'P1Y' }],
    returnCallFirstWithin: 'P1Y',
    returnCallEvery: 'P1Y',
    taskHorizon: 'PT3S',
    remindBefore: 'PT2S',
    visitWindow: 'PT2S',
    callWindow: 'PT2S',
    callRetryAfter: 'PT2S',
    callAttempts: 2,
    followUpWithin: 'PT1M',
    freeMaintenanceBeforeWarrantyEnd: 'PT4S',
    contractRenewalBefore: 'PT4S',
  },
};

const policyWith = (care: PolicyOverride['care'] = {}): ServicePolicy => resolvePolicy({ contract: { ...QUIET, care: { ...QUIET.care, ...care } } as PolicyOverride });

describe('care plans', () => {
  let system: TestSystem;
  let care: CareRepository;
  let customerId: number;
  let engineer: Assignee;
  let manager: { email: string };
  let desk: Actor;
  const customerContact = { name: 'Chen Jing', email: 'chen.jing@customer.test', locale: 'en' as const };

  beforeAll(async () => {
    system = await startTestSystem('care');
    care = new CareRepository(system.db.knex);
    const users = new UsersRepository(system.db.knex);
    const customers = new CustomersRepository(system.db.knex);
    const customer = await customers.create({ name: `Care customer ${Date.now()}`, contacts: [{ ...customerContact, role: 'technical_lead', phone: '+86 10 5555 0101' }] });
    customerId = customer.id;
    const eng = await users.create({ name: 'Wang Engineer', email: 'wang.engineer@aftercare.test', role: 'engineer', locale: 'en' });
    engineer = { userId: eng.id, name: eng.name, email: eng.email, locale: 'en' };
    // The customer's one-to-one engineer, named by a service manager: visits default to them.
    await customers.assignEngineer(customerId, eng.id);
    const sm = await users.create({ name: 'Li Manager', email: 'li.manager@aftercare.test', role: 'service_manager', locale: 'en' });
    manager = { email: sm.email };
    const dispatcher = await users.create({ name: 'Zhao Desk', email: 'zhao.desk@aftercare.test', role: 'dispatcher', locale: 'en' });
    desk = { userId: dispatcher.id, name: dispatcher.name, role: 'dispatcher' };
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 45_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  const mailsOf = (planId: number, fragment: string) => system.smtp.messages.filter((m) => m.idempotencyKey?.startsWith(`${carePlanWorkflowId(planId)}:${fragment}`));
  const waitForMail = (planId: number, fragment: string, to: string) =>
    poll(`mail ${fragment} to ${to}`, () => mailsOf(planId, fragment).find((m) => m.envelope.to.includes(to)));
  const step = () => ({ actor: desk, occurredAt: new Date().toISOString() });

  async function startPlan(policy: ServicePolicy, extra: Partial<CarePlanInput> = {}): Promise<{ planId: number; handle: WorkflowHandle<typeof carePlan> }> {
    const anchorAt = new Date().toISOString();
    const plan = await care.createPlan({ customerId, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(anchorAt), warrantyEndsAt: null, policy, deviceIds: [] }, new Date());
    const input: CarePlanInput = { planId: plan.id, customerId, customerName: 'Care customer', deviceIds: [], customerClass: 'regular', anchorAt, timeZone: 'Asia/Shanghai', policy, customerContacts: [customerContact], ...extra };
    const handle = await system.temporal.client.workflow.start(carePlan, { taskQueue: system.temporal.taskQueue, workflowId: carePlanWorkflowId(plan.id), args: [input] });
    return { planId: plan.id, handle };
  }

  const visit = (planId: number, key: string) => care.listVisits({ planId, now: new Date(), scope: ALL_ROWS }).then((rows) => rows.find((r) => r.taskKey === key));
  const callRow = (planId: number, key: string) => care.listCalls({ planId, now: new Date(), scope: ALL_ROWS }).then((rows) => rows.find((r) => r.taskKey === key));

  async function end(handle: WorkflowHandle<typeof carePlan>): Promise<void> {
    await handle.executeUpdate(endPlanUpdate, { args: [{ ...step(), reason: 'test over' }] });
    await handle.result();
  }

  it('materializes a visit within the horizon for the customer’s engineer, reminds them, and escalates it when overdue', async () => {
    const { planId, handle } = await startPlan(policyWith({ inspectionTiers: [{ fromMonth: 1, every: 'PT5S' }] }));
    // Not before the horizon reaches it: at the start only what is due within 3 s exists.
    expect(await visit(planId, 'inspection:1')).toBeUndefined();
    const row = await poll('inspection:1', () => visit(planId, 'inspection:1'));
    expect(row).toMatchObject({ kind: 'inspection', status: 'due', assigneeUserId: engineer.userId, customerId });
    const reminder = await waitForMail(planId, 'inspection:1:v0:reminder', engineer.email);
    expect(reminder.subject).toContain('Inspection visit');
    await waitForMail(planId, 'inspection:1:v0:overdue', manager.email);
    const overdue = await care.listVisits({ planId, status: 'overdue', now: new Date(), scope: ALL_ROWS });
    expect(overdue.map((v) => v.taskKey)).toContain('inspection:1');
    expect((await care.timeline(planId)).map((e) => e.kind)).toContain('task_overdue');
    await end(handle);
    expect((await visit(planId, 'inspection:1'))!.status).toBe('cancelled');
  });

  it('moves one visit only when it is rescheduled, and takes a step the instant the row is listed', async () => {
    const { planId, handle } = await startPlan(policyWith({ inspectionTiers: [{ fromMonth: 1, every: 'PT20S' }], taskHorizon: 'PT65S' }));
    const rows = await poll('three inspections', async () => {
      const listed = await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS });
      return listed.length >= 3 ? listed : undefined;
    });
    const before = new Map(rows.map((r) => [r.taskKey, r.dueAt.getTime()]));
    const newDue = new Date(before.get('inspection:2')! + 90_000).toISOString();
    const moved = await handle.executeUpdate(rescheduleVisitUpdate, { args: [{ ...step(), taskKey: 'inspection:2', dueAt: newDue, reason: 'customer closed that week' }] });
    expect(moved.dueAt).toBe(newDue);
    const after = await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS });
    const due = (key: string) => after.find((r) => r.taskKey === key)!.dueAt.getTime();
    expect(due('inspection:1')).toBe(before.get('inspection:1'));
    expect(due('inspection:3')).toBe(before.get('inspection:3'));
    expect(due('inspection:2')).toBe(new Date(newDue).getTime());
    // The visit is completed: the report is due 3 working days later.
    const done = await handle.executeUpdate(completeVisitUpdate, {
      args: [{ ...step(), taskKey: 'inspection:1', checklist: { earthing: true, dustRemoval: true, operatingState: 'normal' }, findings: [], signature: { name: 'Chen Jing' } }],
    });
    expect(done.status).toBe('done');
    expect((await visit(planId, 'inspection:1'))!.reportDueAt).not.toBeNull();
    await end(handle);
  });

  it('retries an unanswered call, then escalates it with a follow-up for the service manager', async () => {
    const { planId, handle } = await startPlan(policyWith({ returnCallFirstWithin: 'PT2S' }));
    const first = await poll('call:1', () => callRow(planId, 'call:1'));
    expect(first.contactIds).toHaveLength(1);
    const retried = await handle.executeUpdate(noAnswerCallUpdate, { args: [{ ...step(), taskKey: 'call:1' }] });
    expect(retried.status).toBe('due');
    const row = (await callRow(planId, 'call:1'))!;
    expect(row.attempts).toBe(1);
    expect(row.dueAt.getTime()).toBe(new Date(retried.dueAt!).getTime());
    const given = await handle.executeUpdate(noAnswerCallUpdate, { args: [{ ...step(), taskKey: 'call:1' }] });
    expect(given).toMatchObject({ status: 'unreached', followUp: true });
    expect((await callRow(planId, 'call:1'))!.status).toBe('unreached');
    expect((await care.followUps(planId)).map((f) => f.reason)).toEqual(['unreached']);
    await waitForMail(planId, 'call:1:unreached', manager.email);
    await waitForMail(planId, 'follow-up:call:1:unreached', manager.email);
    await end(handle);
  });

  it('opens a follow-up when the customer gives a low score', async () => {
    const { planId, handle } = await startPlan(policyWith({ returnCallFirstWithin: 'PT1S' }));
    await poll('call:1', () => callRow(planId, 'call:1'));
    const answered = await handle.executeUpdate(completeCallUpdate, {
      args: [{ ...step(), taskKey: 'call:1', answers: { usage: 'daily', mastery: 'good', problems: 'slow start-up' }, satisfaction: 2 }],
    });
    expect(answered).toMatchObject({ status: 'done', followUp: true });
    const [followUp] = await care.followUps(planId);
    expect(followUp).toMatchObject({ reason: 'low_score', status: 'open' });
    const mail = await waitForMail(planId, 'follow-up:call:1:low_score', manager.email);
    expect(mail.subject).toContain('Follow-up needed');
    await end(handle);
  });

  it('schedules the free maintenance before the warranty ends and sends the expiry notices with the contract offer', async () => {
    const warrantyEndsAt = new Date(Date.now() + 8_000).toISOString();
    const { planId, handle } = await startPlan(policyWith(), { warrantyEndsAt });
    const maintenance = await poll('free maintenance', () => visit(planId, 'free_maintenance'));
    expect(maintenance.dueAt.getTime()).toBe(new Date(warrantyEndsAt).getTime() - 4_000);
    const expiring = await waitForMail(planId, 'notice:warranty_expiring', customerContact.email);
    expect(expiring.text).toContain('maintenance contract');
    await waitForMail(planId, 'notice:warranty_expiring', manager.email);
    await waitForMail(planId, 'notice:warranty_expired', customerContact.email);
    await end(handle);
  });

  it('keeps visits going under a maintenance contract, with a renewal reminder', async () => {
    const { planId, handle } = await startPlan(policyWith({ taskHorizon: 'PT30S' }));
    const startsAt = new Date(Date.now() + 1_000);
    const endsAt = new Date(startsAt.getTime() + 20_000);
    // Four visits in 20 seconds: visits a year scaled to a second-long contract.
    const visitsPerYear = Math.ceil((4 * 365 * 86_400) / 20);
    await handle.executeUpdate(addContractUpdate, { args: [{ ...step(), contract: { id: 'C1', startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), visitsPerYear } }] });
    const visits = await poll('contract visits', async () => {
      const listed = (await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS })).filter((v) => v.kind === 'contract_visit');
      return listed.length >= 4 ? listed : undefined;
    });
    expect(visits.map((v) => v.taskKey)).toEqual(['contract:C1:1', 'contract:C1:2', 'contract:C1:3', 'contract:C1:4']);
    expect(visits.every((v) => v.dueAt > startsAt && v.dueAt < endsAt)).toBe(true);
    expect(await system.db.knex('contracts').where({ customer_id: customerId, kind: 'maintenance' }).pluck('contract_no')).toContain(`care-${planId}-C1`);
    await waitForMail(planId, 'notice:contract_renewal:C1', manager.email);
    await end(handle);
  });

  it('does not make up for the tasks and notices of equipment already in the field', async () => {
    const anchorAt = new Date(Date.now() - 3_600_000).toISOString();
    const { planId, handle } = await startPlan(policyWith({ inspectionTiers: [{ fromMonth: 1, every: 'PT20M' }], taskHorizon: 'PT30M' }), { anchorAt, warrantyEndsAt: new Date(Date.now() - 1_800_000).toISOString() });
    const rows = await poll('the next inspection', async () => {
      const listed = await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS });
      return listed.length > 0 ? listed : undefined;
    });
    // Due an hour after the anchor (now), or the next one: never the two whose windows closed before the plan.
    expect(rows.map((r) => r.taskKey).every((key) => key === 'inspection:3' || key === 'inspection:4')).toBe(true);
    const state = await handle.query(carePlanStateQuery);
    expect(state.cursors.inspection).toBeGreaterThanOrEqual(3);
    expect(state.noticesSent).toEqual([]);
    await end(handle);
    expect(mailsOf(planId, 'notice:')).toEqual([]);
  });

  it('takes a policy change only through the explicit update, and refuses a step on a task that is not open', async () => {
    const { planId, handle } = await startPlan(policyWith());
    await sleep(1_000);
    expect(await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS })).toEqual([]);
    const faster = policyWith({ inspectionTiers: [{ fromMonth: 1, every: 'PT2S' }] });
    await handle.executeUpdate(updatePolicyUpdate, { args: [{ ...step(), policy: faster }] });
    await poll('an inspection under the new policy', () => visit(planId, 'inspection:1'));
    expect((await care.getPlan(planId))!.policy).toMatchObject({ care: { inspectionTiers: [{ fromMonth: 1, every: 'PT2S' }] } });
    const refused = await handle
      .executeUpdate(completeVisitUpdate, { args: [{ ...step(), taskKey: 'inspection:999', checklist: { earthing: true, dustRemoval: true, operatingState: 'normal' }, findings: [], signature: { name: 'Chen Jing' } }] })
      .then(() => undefined, (error: unknown) => error);
    // The refusal carries words, said in each reader's language (the API answers with them).
    expect(String((refused as { cause?: unknown })?.cause ?? refused)).toMatch(/refusal\.care\.taskNotOpen.*inspection:999/);
    expect(((refused as { cause?: { details?: unknown[] } })?.cause?.details?.[0] as { words?: unknown })?.words).toEqual({ key: 'refusal.care.taskNotOpen', params: { visit: 'yes', key: 'inspection:999' } });
    await end(handle);
  });

  it('continues as new and keeps every task, open ones still taking steps', async () => {
    const { planId, handle } = await startPlan(policyWith({ inspectionTiers: [{ fromMonth: 1, every: 'PT2S' }], visitWindow: 'PT1M', remindBefore: 'PT1S' }), { continueAsNewAfterTasks: 2 });
    const state = await poll('three runs', async () => {
      const current = await handle.query(carePlanStateQuery);
      return current.runs >= 3 ? current : undefined;
    });
    // The state knows a task before its row is written (read your writes): wait for the rows of this snapshot.
    const rows = await poll('the rows of every open task', async () => {
      const listed = await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS });
      return Object.keys(state.open).every((key) => listed.some((r) => r.taskKey === key)) ? listed : undefined;
    });
    const keys = rows.map((r) => r.taskKey);
    // Every task the earlier runs made has its row, numbered without a gap.
    expect(keys).toEqual(Array.from({ length: keys.length }, (_, i) => `inspection:${i + 1}`));
    expect(keys).toContain('inspection:1');
    expect(state.open['inspection:1']).toBeDefined();
    const done = await handle.executeUpdate(completeVisitUpdate, {
      args: [{ ...step(), taskKey: 'inspection:1', checklist: { earthing: true, dustRemoval: true, operatingState: 'normal' }, findings: ['worn cable'], signature: { name: 'Chen Jing' } }],
    });
    expect(done.status).toBe('done');
    await end(handle);
    const ended = await care.getPlan(planId);
    expect(ended).toMatchObject({ status: 'ended', endReason: 'test over' });
  });
});
