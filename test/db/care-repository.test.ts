import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';
import { ALL_ROWS } from '../../domain/access';

const at = (iso: string) => new Date(iso);

describe.each(testDatabaseKinds())('care repository on %s', (kind) => {
  let db: TestDatabase;
  let care: CareRepository;
  let customerId: number;
  let otherCustomerId: number;
  let contactIds: number[];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    care = new CareRepository(db.knex);
    const customers = new CustomersRepository(db.knex);
    const customer = await customers.create({ name: 'Eastern Grid', contacts: [{ name: 'A', email: 'a@x.test', role: 'technical_lead' }, { name: 'B', email: 'b@x.test', role: 'main_user' }] });
    customerId = customer.id;
    contactIds = customer.contacts.map((c) => c.id);
    otherCustomerId = (await customers.create({ name: 'Western Grid' })).id;
  });

  afterAll(async () => {
    await db.destroy();
  });

  const task = (taskKey: string, dueAt: string, windowEnd: string, assigneeUserId: number | null = null) => ({
    taskKey,
    kind: taskKey.startsWith('call') ? 'call' : 'inspection',
    dueAt: at(dueAt),
    windowStart: at(dueAt),
    windowEnd: at(windowEnd),
    remindAt: at(dueAt),
    assigneeUserId,
  });

  it('opens a plan once per workflow id, named by its id otherwise', async () => {
    const input = { customerId, siteId: null, projectId: null, customerClass: 'regular' as const, anchorAt: at('2026-01-31T02:00:00Z'), warrantyEndsAt: at('2027-01-31T02:00:00Z'), policy: { calendar: 'cn' }, deviceIds: [] };
    const named = await care.createPlan({ ...input, workflowId: 'care-plan-project-7' }, new Date());
    expect((await care.createPlan({ ...input, workflowId: 'care-plan-project-7' }, new Date())).id).toBe(named.id);
    const plain = await care.createPlan(input, new Date());
    expect(plain.workflowId).toBe(`care-plan-${plain.id}`);
    expect(plain).toMatchObject({ status: 'active', customerClass: 'regular', contracts: [], warrantyEndsAt: at('2027-01-31T02:00:00Z') });
  });

  it('lists visits and calls by queue status, assignee, due date and customer, idempotently inserted', async () => {
    const plan = await care.createPlan({ customerId, siteId: null, projectId: null, customerClass: 'key', anchorAt: at('2026-01-31T02:00:00Z'), warrantyEndsAt: null, policy: {}, deviceIds: [] }, new Date());
    const other = await care.createPlan({ customerId: otherCustomerId, siteId: null, projectId: null, customerClass: 'regular', anchorAt: at('2026-01-31T02:00:00Z'), warrantyEndsAt: null, policy: {}, deviceIds: [] }, new Date());
    const now = at('2026-03-10T00:00:00Z');
    const ref = { id: plan.id, customerId, projectId: null };
    await care.insertVisit(ref, task('inspection:1', '2026-02-28T02:00:00Z', '2026-03-07T02:00:00Z', 41), now);
    await care.insertVisit(ref, task('inspection:1', '2026-02-28T02:00:00Z', '2026-03-07T02:00:00Z', 41), now);
    await care.insertVisit(ref, task('inspection:2', '2026-03-31T02:00:00Z', '2026-04-07T02:00:00Z', 42), now);
    await care.insertVisit({ id: other.id, customerId: otherCustomerId, projectId: null }, task('inspection:1', '2026-03-31T02:00:00Z', '2026-04-07T02:00:00Z', 41), now);
    await care.insertCall(ref, task('call:1', '2026-02-28T02:00:00Z', '2026-03-04T00:00:00Z'), now);
    await care.insertCall(ref, task('call:1', '2026-02-28T02:00:00Z', '2026-03-04T00:00:00Z'), now);

    const keys = (rows: { taskKey: string; customerId: number }[]) => rows.map((r) => `${r.customerId === customerId ? 'own' : 'other'}:${r.taskKey}`);
    expect(keys(await care.listVisits({ now, scope: ALL_ROWS }))).toEqual(['own:inspection:1', 'own:inspection:2', 'other:inspection:1']);
    expect(keys(await care.listVisits({ now, status: 'overdue', scope: ALL_ROWS }))).toEqual(['own:inspection:1']);
    expect(keys(await care.listVisits({ now, status: 'due', scope: ALL_ROWS }))).toEqual(['own:inspection:2', 'other:inspection:1']);
    expect(keys(await care.listVisits({ now, assigneeUserId: 41, scope: ALL_ROWS }))).toEqual(['own:inspection:1', 'other:inspection:1']);
    expect(keys(await care.listVisits({ now, dueBefore: at('2026-03-01T00:00:00Z'), scope: ALL_ROWS }))).toEqual(['own:inspection:1']);
    expect(keys(await care.listVisits({ now, customerIds: [otherCustomerId], scope: ALL_ROWS }))).toEqual(['other:inspection:1']);
    expect(keys(await care.listVisits({ now, customerId, planId: plan.id, scope: ALL_ROWS }))).toEqual(['own:inspection:1', 'own:inspection:2']);

    const [call] = await care.listCalls({ now, planId: plan.id, scope: ALL_ROWS });
    expect(call).toMatchObject({ taskKey: 'call:1', status: 'due', attempts: 0 });
    expect(call!.contactIds.sort()).toEqual([...contactIds].sort());

    await care.patchVisit(plan.id, 'inspection:1', { status: 'done', doneAt: now, outcome: { findings: [] } }, now);
    expect(keys(await care.listVisits({ now, status: 'done', scope: ALL_ROWS }))).toEqual(['own:inspection:1']);
    expect((await care.getVisit((await care.listVisits({ now, status: 'done', scope: ALL_ROWS }))[0]!.id))!.outcome).toEqual({ findings: [] });
  });

  it('records an event once, a wrong number on the contact, follow-ups once', async () => {
    const plan = await care.createPlan({ customerId, siteId: null, projectId: null, customerClass: 'regular', anchorAt: at('2026-01-31T02:00:00Z'), warrantyEndsAt: null, policy: {}, deviceIds: [] }, new Date());
    const event = { eventKey: 'call:1:done', kind: 'call_done', at: new Date(), summary: 'reached' };
    expect(await care.addEvent(plan.id, event)).toBe(true);
    expect(await care.addEvent(plan.id, event)).toBe(false);
    await care.flagWrongNumber(contactIds[0]!, new Date());
    const flagged = await db.knex('customer_contacts').where({ id: contactIds[0] }).first('wrong_number_at');
    expect(flagged.wrong_number_at).not.toBeNull();
    const followUp = { key: 'call:1:low_score', customerId, reason: 'low_score', summary: 'score 2/5', dueAt: at('2026-03-12T00:00:00Z') };
    await care.addFollowUp(plan.id, followUp, new Date());
    await care.addFollowUp(plan.id, followUp, new Date());
    expect((await care.followUps(plan.id)).map((f) => f.reason)).toEqual(['low_score']);
  });
});
