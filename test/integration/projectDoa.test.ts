/**
 * P2 dead-on-arrival replacement on the real server: a damaged unboxing item starts a `doa-<project>-<serial>`
 * child; the replacement ships and is received; the damaged unit comes back in time, late, not acceptable,
 * or the damage is excluded. Each case is checked in the doa_cases row, the API, the DOA workflow's own
 * state, the customer's flag and the e-mails.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { DateTime } from 'luxon';
import { endOfWorkingDay, makeCalendar } from '../../domain/calendar';
import { DEFAULT_POLICY, type PolicyOverride } from '../../domain/policy';
import { formatDate } from '../../platform/notices/format';
import type { doaReplacement } from '../../processes/delivery/doaReplacement.workflow';
import { doaStateQuery, type DoaInput, type DoaState } from '../../processes/delivery/messages';
import type { ReceivedMail } from '../support/smtpSink';
import { BOTH_SIGN, CUSTOMER_CONTACT, PM, SECONDS_POLICY, SERVICE_MANAGER, startProjectHarness, uniqueContractNo, withKey, type Answer, type Json, type ProjectHarness } from '../support/projectHarness';

const SHANGHAI = 'Asia/Shanghai';
/** The damaged unit is the DR-7000 of the harness's default project. */
const DAMAGED_MODEL = 'DR-7000';
/** The harness's DR-7000 catalogue price: ¥128,000.00 in fen. */
const CATALOG_PRICE = { amount: 12_800_000, currency: 'CNY' };
const DAMAGE_DESCRIPTION = 'detector housing cracked in transit';

type DoaHandle = WorkflowHandle<typeof doaReplacement>;

interface DoaProject {
  id: number;
  customerId: number;
  serial: string;
  okSerial: string;
  doaId: string;
  doa: DoaHandle;
  unboxing: Answer;
}

/** SECONDS_POLICY with other DOA durations (a contract override replaces the whole policy of the default body). */
function withDoa(doa: NonNullable<PolicyOverride['doa']>): PolicyOverride {
  return { ...SECONDS_POLICY, doa: { ...SECONDS_POLICY.doa, ...doa } };
}


const isSet = (value: unknown) => value === true || Number(value) === 1;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('project delivery: dead-on-arrival replacement (P2) on the real server', () => {
  let h: ProjectHarness;

  beforeAll(async () => {
    h = await startProjectHarness('doa');
  });
  afterAll(async () => {
    await h.stop();
  });

  /** A project through kickoff and unboxing with its DR-7000 damaged (`cause`) and the other item ok. */
  async function unboxWithDamage(policy: PolicyOverride, cause = 'transport', body: Record<string, unknown> = {}): Promise<DoaProject> {
    const created = await h.createProject({ policy, ...body });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const devices: Json[] = (await h.project(id)).devices;
    const serial: string = devices.find((d) => d.model === DAMAGED_MODEL).serial;
    const okSerial: string = devices.find((d) => d.model !== DAMAGED_MODEL).serial;
    const doaId = `doa-${id}-${serial}`;
    const kickoff = await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' });
    expect({ status: kickoff.status, error: kickoff.body.error }).toEqual({ status: 200, error: undefined });
    const unboxing = await h.step(id, 'unboxing', {
      items: [
        { serial, condition: 'damaged', damage: { description: DAMAGE_DESCRIPTION, cause } },
        { serial: okSerial, condition: 'ok' },
      ],
      signatures: BOTH_SIGN,
    });
    expect({ status: unboxing.status, error: unboxing.body.error }).toEqual({ status: 200, error: undefined });
    return { id, customerId: created.body.customerId, serial, okSerial, doaId, doa: h.system.temporal.client.workflow.getHandle<typeof doaReplacement>(doaId), unboxing };
  }

  /** The case as GET /projects/:id answers it, once `check` holds. */
  async function waitForCase(id: number, serial: string, what: string, check: (doaCase: Json) => boolean): Promise<Json> {
    const project = await h.waitFor(id, `DOA case ${serial} ${what}`, (p) => p.doaCases.some((c: Json) => c.serial === serial && check(c)));
    return project.doaCases.find((c: Json) => c.serial === serial);
  }

  /** The DOA workflow's own state (its query), once `check` holds. */
  async function waitForDoaState(doa: DoaHandle, what: string, check: (state: DoaState) => boolean, timeoutMs = 60_000): Promise<DoaState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await doa.query(doaStateQuery);
      if (check(state)) return state;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${doa.workflowId} ${what}; last state ${JSON.stringify(state)}`);
      await sleep(100);
    }
  }

  const doaRow = (id: number, serial: string) => h.system.db.knex('doa_cases').where({ project_id: id, serial }).first();
  const customerRow = (customerId: number) => h.system.db.knex('customers').where({ id: customerId }).first();
  const eventKinds = async (id: number): Promise<string[]> => (await h.project(id)).timeline.map((e: Json) => e.kind);
  const recipients = (mails: ReceivedMail[]) => mails.flatMap((m) => m.envelope.to).sort();

  /** Ships the replacement and confirms its receipt; answers the received state. */
  async function shipAndReceive(p: DoaProject): Promise<Json> {
    const shipped = await h.step(p.id, `doa/${p.serial}/shipped`, { replacementSerial: `R-${p.serial}` });
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({ serial: p.serial, status: 'awaiting_receipt', replacementSerial: `R-${p.serial}`, shippedAt: expect.any(String) });
    const received = await h.step(p.id, `doa/${p.serial}/received`, {});
    expect(received.status).toBe(200);
    expect(received.body).toMatchObject({ status: 'awaiting_return', receivedAt: expect.any(String), returnDue: expect.any(String) });
    return received.body;
  }

  it('a unit damaged in transport and returned in time: the rest installs on, the replacement ships, nothing is charged', async () => {
    const p = await unboxWithDamage(withDoa({ returnWithin: 'PT8S', returnReminderBefore: 'PT4S' }));
    const { id, serial, doaId, doa } = p;

    // Delivery goes on for the rest; only the damaged serial has a case.
    expect(p.unboxing.body.stage).toBe('installing');
    expect(p.unboxing.body.doaCases).toEqual([{ serial, status: 'awaiting_shipment' }]);
    expect((await h.step(id, 'weekly-reports', { summary: 'BC-300 installed; DR-7000 waits for its replacement' })).status).toBe(201);
    await expect(h.system.temporal.client.workflow.getHandle(`doa-${id}-${p.okSerial}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const opened = await waitForCase(id, serial, 'awaiting shipment', (c) => c.status === 'awaiting_shipment' && c.shipBy !== null);
    expect(opened).toMatchObject({ serial, cause: 'transport', damageDescription: DAMAGE_DESCRIPTION, exclusion: null, shippedAt: null, returnDue: null, chargedAmount: null });
    const project = await h.project(id);
    expect(project.stage).toBe('installing');
    expect(project.doaCases).toHaveLength(1);
    // shipWithin PT20S from the report, which is at or after the unboxing record.
    const unboxedAt = project.timeline.find((e: Json) => e.kind === 'unboxing_checked').at;
    expect(Date.parse(opened.shipBy) - Date.parse(unboxedAt)).toBeGreaterThanOrEqual(20_000);
    expect(await doa.query(doaStateQuery)).toEqual({ serial, status: 'awaiting_shipment', shipBy: opened.shipBy });

    // The case's steps come in order: nothing can be received or returned before the replacement ships.
    const early = await h.step(id, `doa/${serial}/received`, {});
    expect(early.status).toBe(409);
    expect(early.body.error.message).toBe('the replacement cannot be received now (case is awaiting_shipment)');
    expect((await h.step(id, `doa/${serial}/returned`, { acceptable: true })).status).toBe(409);
    expect((await h.step(id, `doa/${p.okSerial}/shipped`, { replacementSerial: 'R-0' })).status).toBe(404);

    const received = await shipAndReceive(p);
    const shippedAgain = await h.step(id, `doa/${serial}/shipped`, { replacementSerial: 'R-2' });
    expect(shippedAgain.status).toBe(409);
    expect(shippedAgain.body.error.message).toBe('the replacement cannot be shipped now (case is awaiting_return)');
    expect(Date.parse(received.returnDue) - Date.parse(received.receivedAt)).toBe(8_000);
    // Returned at once: well before the reminder (due − 4 s).
    const returned = await h.step(id, `doa/${serial}/returned`, { acceptable: true, note: 'returned in the original packing' });
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ status: 'returned', returnAcceptable: true, returnedAt: expect.any(String) });
    expect(returned.body.chargedAmount).toBeUndefined();
    expect(Date.parse(returned.body.returnedAt)).toBeLessThanOrEqual(Date.parse(received.returnDue));

    const final = await doa.result();
    expect(final).toMatchObject({ serial, status: 'returned', replacementSerial: `R-${serial}`, returnDue: received.returnDue, returnAcceptable: true });
    expect(final.chargedAmount).toBeUndefined();
    expect((await doa.describe()).status.name).toBe('COMPLETED');

    const row = await doaRow(id, serial);
    expect(row.status).toBe('returned');
    expect(row.charged_amount_minor).toBeNull();
    expect(row.returned_at).not.toBeNull();
    expect(isSet(row.return_acceptable)).toBe(true);
    const doaCase = await waitForCase(id, serial, 'returned', (c) => c.status === 'returned');
    expect(doaCase).toMatchObject({ replacementSerial: `R-${serial}`, returnAcceptable: true, chargedAmount: null, returnDue: received.returnDue, returnedAt: final.returnedAt });

    const customer = await customerRow(p.customerId);
    expect(isSet(customer.service_stopped_flag)).toBe(false);
    expect(customer.flag_reason).toBeNull();

    // The customer was asked to return the unit by the due date; nothing else was sent for the case.
    const [request] = await h.waitForMails(withKey(`${doaId}:return-requested:`), 1);
    expect(request!.envelope.to).toEqual([CUSTOMER_CONTACT.email]);
    expect(request!.subject).toContain(serial);
    expect(request!.text).toContain(formatDate(received.returnDue, 'zh-CN', SHANGHAI));
    expect(h.mails(withKey(`${doaId}:`)).map((m) => m.idempotencyKey)).toEqual([`${doaId}:return-requested:${CUSTOMER_CONTACT.email}`]);

    const kinds = await eventKinds(id);
    expect(kinds).toEqual(expect.arrayContaining(['doa_opened', 'doa_shipped', 'doa_received', 'doa_returned']));
    expect(kinds).not.toContain('doa_return_reminder');
    expect(kinds).not.toContain('doa_charged');
    const returnedEvent = (await h.project(id)).timeline.find((e: Json) => e.kind === 'doa_returned');
    expect(returnedEvent.actor).toBe(PM.name);
  });

  it('a unit not returned: reminder, then the catalogue price is charged at the due time and the customer flagged; a late return is still recorded', async () => {
    const p = await unboxWithDamage(withDoa({ returnWithin: 'PT8S', returnReminderBefore: 'PT4S' }));
    const { id, serial, doaId, doa } = p;
    await waitForCase(id, serial, 'awaiting shipment', (c) => c.status === 'awaiting_shipment');
    const received = await shipAndReceive(p);
    const returnDue = Date.parse(received.returnDue);

    // The reminder goes to the customer's contact at the reminder time (due − 4 s), never earlier.
    const [reminder] = await h.waitForMails(withKey(`${doaId}:return-reminder:`), 1);
    expect(reminder!.envelope.to).toEqual([CUSTOMER_CONTACT.email]);
    expect(reminder!.subject).toContain('退回损坏设备');
    expect(reminder!.text).toContain(formatDate(received.returnDue, 'zh-CN', SHANGHAI));
    const [reminderEvent] = await h.waitForEvent(id, 'doa_return_reminder');
    expect(Date.parse(reminderEvent.at)).toBeGreaterThanOrEqual(returnDue - 4_000);

    // At the due time: charged at the device's catalogue price.
    const charged = await waitForDoaState(doa, 'charged', (s) => s.status === 'charged');
    expect(charged.chargedAmount).toEqual(CATALOG_PRICE);
    expect(charged.returnedAt).toBeUndefined();

    // The unit turns up late (as soon as the charge is decided): recorded, the charge stands.
    const late = await h.step(id, `doa/${serial}/returned`, { acceptable: true, note: 'found in the hospital storeroom' });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ status: 'charged', chargedAmount: CATALOG_PRICE, returnAcceptable: true, returnedAt: expect.any(String) });
    expect(Date.parse(late.body.returnedAt)).toBeGreaterThan(returnDue);
    const final = await doa.result();
    expect(final).toMatchObject({ status: 'charged', chargedAmount: CATALOG_PRICE, returnedAt: late.body.returnedAt, returnAcceptable: true });
    const again = await h.step(id, `doa/${serial}/returned`, { acceptable: true });
    expect(again.status).toBe(409);

    const [chargedEvent] = await h.waitForEvent(id, 'doa_charged');
    expect(Date.parse(chargedEvent.at)).toBeGreaterThanOrEqual(returnDue);
    const [lateEvent] = await h.waitForEvent(id, 'doa_returned_late');
    expect(lateEvent.actor).toBe(PM.name);
    const row = await doaRow(id, serial);
    expect(row.status).toBe('charged');
    expect([Number(row.charged_amount_minor), row.charged_currency]).toEqual([CATALOG_PRICE.amount, CATALOG_PRICE.currency]);
    expect(row.returned_at).not.toBeNull();
    const doaCase = (await h.project(id)).doaCases.find((c: Json) => c.serial === serial);
    expect(doaCase).toMatchObject({ status: 'charged', chargedAmount: CATALOG_PRICE, returnedAt: final.returnedAt, returnAcceptable: true });

    const customer = await customerRow(p.customerId);
    expect(isSet(customer.service_stopped_flag)).toBe(true);
    expect(customer.flag_reason).toBe(`DOA ${serial}: damaged unit not returned in time`);

    // The charge notice to the customer and the PM, once each, after the reminder.
    const chargedMails = await h.waitForMails(withKey(`${doaId}:charged:`), 2);
    expect(recipients(chargedMails)).toEqual([CUSTOMER_CONTACT.email, PM.email].sort());
    for (const mail of chargedMails) {
      expect(mail.text).toContain(new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' }).format(128_000));
      expect(mail.text).toContain('损坏设备未按期退回');
    }
    const keys = h.mails(withKey(`${doaId}:`)).map((m) => m.idempotencyKey);
    expect(keys).toEqual([`${doaId}:return-requested:${CUSTOMER_CONTACT.email}`, `${doaId}:return-reminder:${CUSTOMER_CONTACT.email}`, ...chargedMails.map((m) => m.idempotencyKey)]);
  });

  it('a unit never returned and without a catalogue price: charged "to be advised", the case closes after the late-return window', async () => {
    const devices = [
      { model: DAMAGED_MODEL, serial: `DR-${uniqueContractNo('SN')}`, brand: 'Tengyang' },
      { model: 'BC-300', serial: `BC-${uniqueContractNo('SN')}`, brand: 'Tengyang' },
    ];
    const p = await unboxWithDamage(withDoa({ returnWithin: 'PT4S', returnReminderBefore: 'PT2S' }), 'unknown', { devices });
    const { id, serial, doaId, doa } = p;
    await waitForCase(id, serial, 'awaiting shipment', (c) => c.status === 'awaiting_shipment');
    const received = await shipAndReceive(p);

    // Nothing comes back, not even late: the case ends once the late-return window (as long again) is over.
    const final = await doa.result();
    expect(final).toMatchObject({ status: 'charged', chargedAmount: null, returnDue: received.returnDue });
    expect(final.returnedAt).toBeUndefined();
    const late = await h.step(id, `doa/${serial}/returned`, { acceptable: true });
    expect(late.status).toBe(409);

    const row = await doaRow(id, serial);
    expect(row).toMatchObject({ status: 'charged', charged_amount_minor: null, returned_at: null });
    const kinds = await eventKinds(id);
    expect(kinds).toEqual(expect.arrayContaining(['doa_return_reminder', 'doa_charged']));
    expect(kinds).not.toContain('doa_returned_late');
    const chargedEvent = (await h.project(id)).timeline.find((e: Json) => e.kind === 'doa_charged');
    expect(chargedEvent.summary).toContain('(to be priced)');
    const customer = await customerRow(p.customerId);
    expect(isSet(customer.service_stopped_flag)).toBe(true);
    expect(customer.flag_reason).toBe(`DOA ${serial}: damaged unit not returned in time`);

    const chargedMails = await h.waitForMails(withKey(`${doaId}:charged:`), 2);
    expect(recipients(chargedMails)).toEqual([CUSTOMER_CONTACT.email, PM.email].sort());
    for (const mail of chargedMails) expect(mail.text).toContain('收费金额：另行通知');
  });

  it('a unit returned in time but not acceptable is charged at once, without waiting for the due time', async () => {
    // A long return window, so "at once" and "at the due time" cannot be confused.
    const p = await unboxWithDamage(withDoa({ returnWithin: 'PT30S', returnReminderBefore: 'PT10S' }), 'manufacturing');
    const { id, serial, doaId, doa } = p;
    await waitForCase(id, serial, 'awaiting shipment', (c) => c.status === 'awaiting_shipment');
    const received = await shipAndReceive(p);
    const returnDue = Date.parse(received.returnDue);

    const returned = await h.step(id, `doa/${serial}/returned`, { acceptable: false, note: 'seal broken, housing opened' });
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ status: 'charged', returnAcceptable: false, chargedAmount: CATALOG_PRICE, returnedAt: expect.any(String) });
    const final = await doa.result();
    expect(final).toMatchObject({ status: 'charged', returnAcceptable: false, chargedAmount: CATALOG_PRICE });
    const [chargedEvent] = await h.waitForEvent(id, 'doa_charged');
    expect(Date.parse(chargedEvent.at)).toBeLessThan(returnDue);
    expect(chargedEvent.actor).toBe(PM.name);

    const row = await doaRow(id, serial);
    expect(row.status).toBe('charged');
    expect([Number(row.charged_amount_minor), row.charged_currency]).toEqual([CATALOG_PRICE.amount, CATALOG_PRICE.currency]);
    expect(isSet(row.return_acceptable)).toBe(false);
    const customer = await customerRow(p.customerId);
    expect(isSet(customer.service_stopped_flag)).toBe(true);
    expect(customer.flag_reason).toBe(`DOA ${serial}: returned unit not acceptable`);

    const chargedMails = await h.waitForMails(withKey(`${doaId}:charged:`), 2);
    expect(recipients(chargedMails)).toEqual([CUSTOMER_CONTACT.email, PM.email].sort());
    for (const mail of chargedMails) expect(mail.text).toContain('退回的设备不符合验收条件');
    expect(h.mails(withKey(`${doaId}:return-reminder:`))).toHaveLength(0);
    expect(await eventKinds(id)).not.toContain('doa_returned_late');
  });

  it('damage caused by people is excluded: no replacement, the notice in each recipient’s language, no replacement steps', async () => {
    const englishContact = { ...CUSTOMER_CONTACT, locale: 'en' };
    const p = await unboxWithDamage(SECONDS_POLICY, 'human', { customer: { name: 'Nanchang First Hospital', class: 'key', contacts: [englishContact] } });
    const { id, serial, doaId, doa } = p;
    expect(p.unboxing.body.stage).toBe('installing');
    expect(p.unboxing.body.doaCases).toEqual([{ serial, status: 'excluded' }]);

    const final = await doa.result();
    expect(final).toEqual({ serial, status: 'excluded', exclusion: 'damage caused by people (not operated as documented)' });
    const row = await doaRow(id, serial);
    expect(row).toMatchObject({ status: 'excluded', cause: 'human', exclusion: 'damage caused by people (not operated as documented)', ship_by: null, shipped_at: null, charged_amount_minor: null });
    const doaCase = await waitForCase(id, serial, 'excluded', (c) => c.status === 'excluded');
    expect(doaCase.shipBy).toBeNull();
    await h.waitForEvent(id, 'doa_excluded');
    // The API says the case and its timeline entry in the reader's language.
    const inChinese = (await h.call('GET', `/api/projects/${id}`, undefined, h.readerToken, { 'accept-language': 'zh-CN' })).body;
    expect(inChinese.doaCases.find((c: Json) => c.serial === serial).exclusion).toBe('人为损坏（未按文档操作）');
    expect(inChinese.timeline.find((e: Json) => e.kind === 'doa_excluded').summary).toBe(`开箱不良 ${serial}：不属于开箱不良：人为损坏（未按文档操作）`);
    expect((await h.project(id)).timeline.find((e: Json) => e.kind === 'doa_excluded').summary).toBe(`DOA ${serial}: not dead-on-arrival: damage caused by people (not operated as documented)`);

    // The customer's contact reads English, the PM Chinese.
    const mails = await h.waitForMails(withKey(`${doaId}:excluded:`), 2);
    expect(recipients(mails)).toEqual([CUSTOMER_CONTACT.email, PM.email].sort());
    const toCustomer = mails.find((m) => m.envelope.to[0] === CUSTOMER_CONTACT.email)!;
    expect(toCustomer.subject).toBe(`Not covered as dead-on-arrival: ${DAMAGED_MODEL} S/N ${serial} (${(await h.project(id)).contractNo})`);
    expect(toCustomer.text).toContain('Reason: damage caused by people (not operated as documented)');
    const toPm = mails.find((m) => m.envelope.to[0] === PM.email)!;
    expect(toPm.subject).toMatch(/^不属于到货即损：/);
    expect(toPm.text).toContain('原因：人为损坏（未按文档操作）');

    // No replacement steps on an excluded case.
    for (const [step, body] of [['shipped', { replacementSerial: 'R-1' }], ['received', {}], ['returned', { acceptable: true }]] as const) {
      const answer = await h.step(id, `doa/${serial}/${step}`, body);
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('conflict');
    }
    const customer = await customerRow(p.customerId);
    expect(isSet(customer.service_stopped_flag)).toBe(false);
    expect((await h.project(id)).stage).toBe('installing');
  });

  it('a replacement not shipped in time is escalated to the service manager; shipping afterwards still works', async () => {
    const p = await unboxWithDamage(withDoa({ shipWithin: 'PT3S' }));
    const { id, serial, doaId, doa } = p;
    const opened = await waitForCase(id, serial, 'awaiting shipment', (c) => c.status === 'awaiting_shipment' && c.shipBy !== null);

    const [escalation] = await h.waitForMails(withKey(`${doaId}:ship-escalation:`), 1);
    expect(escalation!.envelope.to).toEqual([SERVICE_MANAGER.email]);
    expect(escalation!.subject).toContain('shipment of the dead-on-arrival replacement');
    expect(escalation!.text).toContain(`Responsible:   ${PM.name}`);
    expect(escalation!.text).toContain(serial);
    const [overdue] = await h.waitForEvent(id, 'doa_ship_overdue');
    expect(Date.parse(overdue.at)).toBeGreaterThanOrEqual(Date.parse(opened.shipBy));
    expect((await doa.query(doaStateQuery)).status).toBe('awaiting_shipment');

    await shipAndReceive(p);
    const returned = await h.step(id, `doa/${serial}/returned`, { acceptable: true });
    expect(returned.status).toBe(200);
    expect((await doa.result()).status).toBe('returned');
    expect(h.mails(withKey(`${doaId}:ship-escalation:`))).toHaveLength(1);
    expect((await doaRow(id, serial)).status).toBe('returned');
  });

  it('ship by the 2nd working day: the end of that day in Asia/Shanghai on the PRC calendar', async () => {
    const before = Date.now();
    const p = await unboxWithDamage(withDoa({ shipWithin: { workingDays: 2 } }));
    const { id, serial, doa } = p;
    const opened = await waitForCase(id, serial, 'awaiting shipment', (c) => c.status === 'awaiting_shipment' && c.shipBy !== null);
    const after = Date.now();

    // The report instant is what the project handed to the case when it started it.
    const history = await doa.fetchHistory();
    const startPayload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(startPayload).toBeDefined();
    const input = defaultPayloadConverter.fromPayload<DoaInput>(startPayload!);
    const reportedAt = new Date(input.reportedAt);
    expect(reportedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(reportedAt.getTime()).toBeLessThanOrEqual(after);
    expect(input.policy.calendar).toEqual(DEFAULT_POLICY.calendar);

    const expected = endOfWorkingDay(reportedAt, 2, makeCalendar(DEFAULT_POLICY.calendar)).toISOString();
    expect(opened.shipBy).toBe(expected);
    expect((await doa.query(doaStateQuery)).shipBy).toBe(expected);
    const local = DateTime.fromISO(expected, { zone: SHANGHAI });
    expect(local.toFormat('HH:mm:ss.SSS')).toBe('00:00:00.000');
    expect(local.diff(DateTime.fromJSDate(reportedAt, { zone: SHANGHAI }).startOf('day'), 'days').days).toBeGreaterThanOrEqual(3);
    expect(await eventKinds(id)).not.toContain('doa_ship_overdue');
  });
});
