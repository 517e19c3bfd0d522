/**
 * Scenarios of the repair tickets (P3) and the care plans (P4) for the replay fixtures, driven as
 * test/integration/tickets.test.ts and ticketLinks.test.ts drive them: tickets through the API, the
 * care plan started on its repository and stepped by its updates, seconds-long policies.
 */
import { ALL_ROWS } from '../../domain/access';
import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { resolvePolicy, type PolicyOverride } from '../../domain/policy';
import { carePlan } from '../../workflows';
import { carePlanWorkflowId, completeCallUpdate, completeVisitUpdate, endPlanUpdate, updatePolicyUpdate, type CarePlanInput } from '../../processes/care/messages';
import type { Json } from '../support/projectHarness';
import { check, type RecordKit, type Recorded } from './recordKit';

/** The devices' model: clocks in seconds on a 24x7 clock, the respond clock warning within seconds; the survey (and return call) due 30 s after a close. */
const MODEL = 'REPLAY-CT';
const MODEL_TERMS: PolicyOverride = {
  sla: {
    clock: { kind: '24x7' },
    levels: { '3': { respond: 'PT6S', onSite: 'PT10M', resolve: 'PT10M' } },
    warnAt: [0.5, 0.75],
  },
  ticket: { surveyWithin: 'PT30S' },
} as PolicyOverride;

/** The care plan's first call and inspection within seconds (reminded at once), as ticketLinks.test.ts. */
const CARE_FAST: PolicyOverride['care'] = {
  inspectionTiers: [{ fromMonth: 1, every: 'PT3S' }],
  returnCallFirstWithin: 'PT3S',
  returnCallEvery: 'P1Y',
  taskHorizon: 'PT4S',
  remindBefore: 'PT2S',
  visitWindow: 'PT5M',
  callWindow: 'PT5M',
  followUpWithin: 'PT5M',
  freeMaintenanceBeforeWarrantyEnd: 'PT4S',
};
const CARE_QUIET: PolicyOverride['care'] = { ...CARE_FAST, inspectionTiers: [{ fromMonth: 1, every: 'P1Y' }] };
const CNY = (amount: number) => ({ amount, currency: 'CNY' });
const REPAIR = { diagnosis: 'loose earth', workDone: 'earth wire fastened', qualityFault: true, parts: [], labourMinutes: 30, labourRate: CNY(20_000), travel: CNY(0) };

/** The model's terms and the people on duty; once, before the scenarios run side by side. */
export async function prepareCareAndTickets(k: RecordKit): Promise<void> {
  await new PolicyLayersRepository(k.h.system.db.knex).put('model', MODEL, MODEL_TERMS);
  await k.person('Desk', 'dispatcher');
  await k.person('Engineer', 'engineer');
  await k.person('Senior', 'senior_engineer');
  await k.person('Manager', 'service_manager');
}

const onDuty = (k: RecordKit) => ({ dispatcher: k.people.Desk!, engineer: k.people.Engineer! });

async function newDevice(k: RecordKit, customerId: number, prefix: string) {
  const devices = new DevicesRepository(k.h.system.db.knex);
  const serial = `${prefix}-${process.pid}-${Date.now()}`;
  const [device] = await devices.createMany(customerId, [{ model: MODEL, serial }]);
  await devices.setWarranty([serial], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
  return { serial, deviceId: device!.id };
}

/**
 * A ticket nobody is assigned at intake: the respond clock warns, the dispatcher assigns it, a hold and
 * a resume, then acknowledged, on site, resolved, closed and surveyed (satisfied) through the API.
 */
async function ticketHeldAndWarned(k: RecordKit): Promise<Recorded> {
  const { dispatcher, engineer } = onDuty(k);
  const contact = { name: 'Wang Fang', email: 'wang.fang.replay@hospital.test' };
  const customerId = (await new CustomersRepository(k.h.system.db.knex).create({ name: `Replay hospital ${Date.now()}`, contacts: [{ ...contact, role: 'equipment' }] })).id;
  const { serial } = await newDevice(k, customerId, 'TK');
  const opened = await k.ok('POST', '/api/tickets', dispatcher.token, { customerId, serial, symptom: 'no image on the detector', level: 3, channel: 'phone', contact });
  const id = opened.id as number;
  const step = (name: string, body: unknown = {}, token = engineer.token) => k.ok('POST', `/api/tickets/${id}/${name}`, token, body);
  if (opened.assigneeUserId !== engineer.id) await step('assign', { engineerUserId: engineer.id }, dispatcher.token);
  await step('hold', { reason: 'customer', note: 'ward closed' });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await step('resume');
  await k.waitForMail(`ticket-${id}:clock:respond:warning_1`);
  await step('acknowledge');
  await step('arrive');
  await step('resolve', REPAIR);
  await step('close');
  await step('survey', { score: 5, comment: 'quick and clean' }, dispatcher.token);
  return { 'serviceTicket--held-warned-surveyed': `ticket-${id}` };
}

/**
 * A care plan (its device under a repair ticket): the first call and inspection come due and are
 * reminded, the policy is changed to a quiet one, the call is answered with a low score (a follow-up,
 * the service managers told beside the step), the inspection completed with a
 * finding that opens a repair ticket; the ticket's close puts a return call on the plan, whose low
 * score reopens the ticket; the second close's call surveys it (satisfied) and the plan is ended.
 */
async function carePlanWithRepair(k: RecordKit): Promise<Recorded> {
  const { dispatcher, engineer } = onDuty(k);
  const { knex } = k.h.system.db;
  const { client, taskQueue } = k.h.system.temporal;
  const care = new CareRepository(knex);
  const desk = { userId: dispatcher.id, name: dispatcher.name, role: 'dispatcher' as const };
  const meta = () => ({ actor: desk, occurredAt: new Date().toISOString() });
  const contact = { name: 'Chen Jing', email: 'chen.jing.replay@customer.test', locale: 'en' as const };
  const customers = new CustomersRepository(knex);
  const customerId = (await customers.create({ name: `Replay care hospital ${Date.now()}`, contacts: [{ ...contact, role: 'equipment', phone: '+86 10 5555 0101' }] })).id;
  await customers.assignEngineer(customerId, engineer.id);
  const { deviceId } = await newDevice(k, customerId, 'CP');

  const policy = resolvePolicy({ contract: { care: CARE_FAST } as PolicyOverride });
  const anchorAt = new Date().toISOString();
  const planId = (await care.createPlan({ customerId, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(anchorAt), warrantyEndsAt: null, policy, deviceIds: [deviceId] }, new Date())).id;
  const input: CarePlanInput = { planId, customerId, customerName: 'Replay care hospital', deviceIds: [deviceId], customerClass: 'regular', anchorAt, timeZone: 'Asia/Shanghai', policy, customerContacts: [contact] };
  const workflowId = carePlanWorkflowId(planId);
  const plan = await client.workflow.start(carePlan, { taskQueue, workflowId, args: [input] });
  const visit = (key: string) => care.listVisits({ planId, now: new Date(), scope: ALL_ROWS }).then((rows) => rows.find((r) => r.taskKey === key));
  const call = (key: string) => care.listCalls({ planId, now: new Date(), scope: ALL_ROWS }).then((rows) => rows.find((r) => r.taskKey === key));
  await k.poll('call:1 and inspection:1', async () => ((await call('call:1')) && (await visit('inspection:1')) ? true : undefined));
  await plan.executeUpdate(updatePolicyUpdate, { args: [{ ...meta(), policy: resolvePolicy({ contract: { care: CARE_QUIET } as PolicyOverride }) }] });
  await k.waitForMail(`${workflowId}:inspection:1:v0:reminder`);

  await plan.executeUpdate(completeCallUpdate, { args: [{ ...meta(), taskKey: 'call:1', answers: { usage: 'daily', mastery: 'good', problems: 'slow start-up' }, satisfaction: 2 }] });
  await plan.executeUpdate(completeVisitUpdate, {
    args: [{ ...meta(), taskKey: 'inspection:1', checklist: { earthing: false, dustRemoval: true, operatingState: 'running' }, findings: ['earth wire loose on the gantry'], signature: { name: 'Chen Jing' } }],
  });
  const done = (await visit('inspection:1'))!;
  const opened = await k.ok('POST', `/api/care-plans/${planId}/visits/${done.id}/ticket`, dispatcher.token, { finding: 0, level: 3 });
  const id = opened.id as number;
  check(opened.assigneeUserId === engineer.id, `ticket ${id} from the finding went to ${opened.assigneeUserId}`);
  const repairAndClose = async () => {
    for (const name of ['acknowledge', 'arrive']) await k.ok('POST', `/api/tickets/${id}/${name}`, engineer.token, {});
    await k.ok('POST', `/api/tickets/${id}/resolve`, engineer.token, REPAIR);
    await k.ok('POST', `/api/tickets/${id}/close`, engineer.token, {});
  };
  await repairAndClose();
  await k.poll('round 0’s return call', () => call(`repair:${id}:0`));
  const low: Json = await plan.executeUpdate(completeCallUpdate, { args: [{ ...meta(), taskKey: `repair:${id}:0`, answers: { usage: 'daily', mastery: 'good', problems: 'still loose' }, satisfaction: 2 }] });
  check(low.ticketSurvey === 'reopened', `the low score did not reopen ticket ${id}: ${JSON.stringify(low)}`);
  await repairAndClose();
  await k.poll('round 1’s return call', () => call(`repair:${id}:1`));
  const satisfied: Json = await plan.executeUpdate(completeCallUpdate, { args: [{ ...meta(), taskKey: `repair:${id}:1`, answers: { usage: 'daily', mastery: 'good' }, satisfaction: 4 }] });
  check(satisfied.ticketSurvey === 'surveyed', `the second call did not survey ticket ${id}: ${JSON.stringify(satisfied)}`);
  await client.workflow.getHandle(`ticket-${id}`).result();
  await plan.executeUpdate(endPlanUpdate, { args: [{ ...meta(), reason: 'recorded' }] });
  return { 'carePlan--visit-call-repair': workflowId, 'serviceTicket--care-finding-reopened': `ticket-${id}` };
}

export const careAndTicketScenarios = { ticketHeldAndWarned, carePlanWithRepair };
