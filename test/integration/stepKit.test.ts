/**
 * The step kit under the ways people really take steps: at the same moment, twice, after the fact,
 * while the database refuses, and right after the step that created what they act on. Each case
 * compares what the API answered with what the database and the workflow hold.
 */
import { UsersRepository } from '../../people/repository';
import { projectStateQuery } from '../../processes/delivery/messages';
import { BOTH_SIGN, SECONDS_POLICY, startProjectHarness, type Answer, type Json, type ProjectHarness } from '../support/projectHarness';

const QUIET = { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, weeklyReportEvery: 'P7D', trialRun: 'P3M', trialReportLead: 'P7D' } };
const KICKOFF = { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' };

describe('the step kit', () => {
  let h: ProjectHarness;
  beforeAll(async () => {
    h = await startProjectHarness('stepkit');
  });
  afterAll(async () => {
    await h.stop();
  });

  async function started(policy: Json = QUIET): Promise<{ id: number; serials: string[]; customerId: number }> {
    const created = await h.createProject({ policy });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const serials: string[] = (await h.project(id)).devices.map((d: Json) => d.serial);
    return { id, serials, customerId: created.body.customerId };
  }

  const liveStage = async (id: number) => (await h.system.temporal.client.workflow.getHandle(`project-${id}`).query(projectStateQuery)).stage;
  const storedStage = async (id: number) => (await h.system.db.knex('projects').where({ id }).first()).stage as string;
  const events = async (id: number, kind: string) => h.system.db.knex('project_events').where({ project_id: id, kind });
  const unboxOk = (serials: string[]) => ({ items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN });

  describe('racing steps', () => {
    it('the same step sent ten times at once applies once; the others are told it is done; the process goes on', async () => {
      for (let round = 0; round < 3; round += 1) {
        const { id, serials } = await started();
        const answers = await Promise.all(Array.from({ length: 10 }, () => h.step(id, 'kickoff', KICKOFF)));
        expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(409)]);
        expect(await events(id, 'kickoff_recorded')).toHaveLength(1);
        expect(await storedStage(id)).toBe('awaiting_unboxing');
        expect(await liveStage(id)).toBe('awaiting_unboxing');
        expect((await h.step(id, 'unboxing', unboxOk(serials))).status).toBe(200);
      }
    });

    it('conflicting steps at once (kickoff against cancel) leave the database and the workflow agreeing', async () => {
      for (let round = 0; round < 3; round += 1) {
        const { id } = await started();
        const [kickoff, cancel] = await Promise.all([h.step(id, 'kickoff', KICKOFF), h.step(id, 'cancel', { reason: 'order withdrawn' })]);
        expect(cancel.status).toBe(200);
        expect([200, 409]).toContain(kickoff.status);
        expect(await storedStage(id)).toBe('cancelled');
        expect(await liveStage(id)).toBe('cancelled');
        expect(await events(id, 'kickoff_recorded')).toHaveLength(kickoff.status === 200 ? 1 : 0);
      }
    });

    it('weekly reports sent at once are all kept, numbered without gaps', async () => {
      const { id, serials } = await started();
      await h.step(id, 'kickoff', KICKOFF);
      await h.step(id, 'unboxing', unboxOk(serials));
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => h.step(id, 'weekly-reports', { summary: `report ${i}` })));
      expect(answers.every((a) => a.status === 201)).toBe(true);
      const rows = await events(id, 'weekly_report');
      expect(rows.map((r: Json) => r.event_key).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `weekly-report:${i + 1}`).sort());
    });
  });

  describe('a step is applied whole or not at all', () => {
    const trigger = 'refuse_kickoff_event';

    async function refuseKickoffEvents(): Promise<void> {
      const knex = h.system.db.knex;
      if (h.system.db.kind === 'mysql') {
        await knex.raw(`CREATE TRIGGER ${trigger} BEFORE INSERT ON project_events FOR EACH ROW BEGIN IF NEW.kind = 'kickoff_recorded' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'; END IF; END`);
      } else {
        await knex.raw(`CREATE TRIGGER ${trigger} BEFORE INSERT ON project_events WHEN NEW.kind = 'kickoff_recorded' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
      }
    }

    it('when recording fails for good the caller gets 503 and nothing moved; the same step later succeeds', async () => {
      const { id } = await started();
      await refuseKickoffEvents();
      try {
        const refused = await h.step(id, 'kickoff', KICKOFF);
        expect(refused.status).toBe(503);
        expect(refused.body.error.message).toMatch(/nothing changed/);
        expect(await storedStage(id)).toBe('awaiting_kickoff');
        expect(await liveStage(id)).toBe('awaiting_kickoff');
      } finally {
        await h.system.db.knex.raw(`DROP TRIGGER ${trigger}`);
      }
      const again = await h.step(id, 'kickoff', KICKOFF);
      expect(again.status).toBe(200);
      expect(await storedStage(id)).toBe('awaiting_unboxing');
      expect(await liveStage(id)).toBe('awaiting_unboxing');
    });
  });

  describe('read your writes', () => {
    it('a DOA case answers its first step the moment the unboxing that opened it has answered', async () => {
      for (let round = 0; round < 3; round += 1) {
        const { id, serials } = await started();
        await h.step(id, 'kickoff', KICKOFF);
        const [damaged, ok] = serials as [string, string];
        const unboxing = await h.step(id, 'unboxing', {
          items: [{ serial: damaged, condition: 'damaged', damage: { description: 'cracked housing', cause: 'transport' } }, { serial: ok, condition: 'ok' }],
          signatures: BOTH_SIGN,
        });
        expect(unboxing.status).toBe(200);
        expect(unboxing.body.doaCases).toEqual([{ serial: damaged, status: 'awaiting_shipment' }]);
        const shipped = await h.step(id, `doa/${damaged}/shipped`, { replacementSerial: `R-${damaged}` });
        expect(shipped.status).toBe(200);
      }
    });
  });

  describe('Idempotency-Key', () => {
    const withKey = (key: string) => ({ 'Idempotency-Key': key });
    const stepWithKey = (id: number, step: string, body: Json, key: string): Promise<Answer> => h.call('POST', `/api/projects/${id}/${step}`, body, h.pmToken, withKey(key));

    it('the same step sent twice with one key applies once and answers the same both times', async () => {
      const { id, serials } = await started();
      await h.step(id, 'kickoff', KICKOFF);
      await h.step(id, 'unboxing', unboxOk(serials));
      const first = await stepWithKey(id, 'weekly-reports', { summary: 'cabling done' }, 'report-week-1');
      const retry = await stepWithKey(id, 'weekly-reports', { summary: 'cabling done' }, 'report-week-1');
      expect(first.status).toBe(201);
      expect(retry).toEqual(first);
      expect(await events(id, 'weekly_report')).toHaveLength(1);
      // Without a key, two reports are two reports.
      await h.step(id, 'weekly-reports', { summary: 'mounting done' });
      await h.step(id, 'weekly-reports', { summary: 'mounting done' });
      expect(await events(id, 'weekly_report')).toHaveLength(3);
    });

    it('concurrent duplicates with one key apply once', async () => {
      const { id } = await started();
      const answers = await Promise.all(Array.from({ length: 5 }, () => stepWithKey(id, 'kickoff', KICKOFF, 'kickoff-once')));
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
      expect(await events(id, 'kickoff_recorded')).toHaveLength(1);
    });

    it('a create sent twice with one key creates once; the key with another body is refused', async () => {
      const body = { policy: QUIET };
      const created = await h.createProject(body);
      expect(created.status).toBe(201);
      const payload = (await h.call('GET', `/api/projects/${created.body.id}`)).body;
      const again = {
        contractNo: `${payload.contractNo}-K`,
        name: 'keyed project',
        customerId: created.body.customerId,
        projectManager: payload.projectManager,
        devices: [{ model: 'DR-7000', serial: `K-${payload.contractNo}` }],
        policy: QUIET,
      };
      const first = await h.call('POST', '/api/projects', again, h.smToken, withKey('create-1'));
      const retry = await h.call('POST', '/api/projects', again, h.smToken, withKey('create-1'));
      expect(first.status).toBe(201);
      expect(retry).toEqual(first);
      const other = await h.call('POST', '/api/projects', { ...again, name: 'another' }, h.smToken, withKey('create-1'));
      expect(other.status).toBe(422);
      expect(other.body.error.details).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      const malformed = await h.call('POST', '/api/projects', again, h.smToken, withKey('bad key with spaces'));
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.details).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    });

    it('is documented in the OpenAPI document on steps and creates', async () => {
      const doc = (await h.call('GET', '/api/openapi.json')).body;
      const headerOf = (path: string) => doc.paths[path].post.parameters.find((p: Json) => p.in === 'header' && p.name === 'idempotency-key');
      expect(headerOf('/api/projects')).toBeDefined();
      expect(headerOf('/api/projects/{id}/kickoff')).toBeDefined();
      expect(headerOf('/api/projects/{id}/doa/{serial}/returned')).toBeDefined();
    });
  });

  describe('occurredAt', () => {
    it('a step may say when it happened, within the back-dating window, never in the future nor before the step it follows', async () => {
      const { id, serials } = await started();
      const future = await h.step(id, 'kickoff', { ...KICKOFF, occurredAt: new Date(Date.now() + 3_600_000).toISOString() });
      expect(future.status).toBe(400);
      expect(future.body.error.details).toEqual([expect.objectContaining({ field: 'occurredAt' })]);
      const tooOld = await h.step(id, 'kickoff', { ...KICKOFF, occurredAt: new Date(Date.now() - 8 * 86_400_000).toISOString() });
      expect(tooOld.status).toBe(400);
      expect(tooOld.body.error.details).toEqual([expect.objectContaining({ field: 'occurredAt' })]);
      const notAnInstant = await h.step(id, 'kickoff', { ...KICKOFF, occurredAt: 'yesterday' });
      expect(notAnInstant.status).toBe(400);
      expect(notAnInstant.body.error.details).toEqual([expect.objectContaining({ field: 'occurredAt' })]);

      const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
      const kickoff = await h.step(id, 'kickoff', { ...KICKOFF, occurredAt: threeDaysAgo });
      expect(kickoff.status).toBe(200);
      expect(kickoff.body.at).toBe(threeDaysAgo);
      const timeline = (await h.project(id)).timeline;
      expect(timeline.find((e: Json) => e.kind === 'kickoff_recorded').at).toBe(threeDaysAgo);

      const beforeKickoff = await h.step(id, 'unboxing', { ...unboxOk(serials), occurredAt: new Date(Date.now() - 4 * 86_400_000).toISOString() });
      expect(beforeKickoff.status).toBe(400);
      expect(beforeKickoff.body.error.message).toMatch(/before the step it follows/);
    });
  });

  describe('deadlines are judged on when things happened', () => {
    it('a back-dated return that was in time reverses a DOA charge, lifts the flag and tells everyone told of the charge; the replacement is a device of the project with its own warranty', async () => {
      // The return lands while the process is still closing the charged deadline (held open here), as
      // it may on a busy worker: the charge is told all the same, then its reversal.
      let release: (() => void) | undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const activities = h.system.activities as typeof h.system.activities & { closeDeadline(input: { key: string; status: string }): Promise<void> };
      const closeDeadline = activities.closeDeadline;
      await h.system.temporal.restart({
        ...activities,
        closeDeadline: async (input: { key: string; status: string }) => {
          if (/^doa:.*:return$/.test(input.key) && input.status === 'dropped') await held;
          return closeDeadline(input);
        },
      });
      const { id, serials, customerId } = await started(SECONDS_POLICY);
      await h.step(id, 'kickoff', KICKOFF);
      const [damaged, ok] = serials as [string, string];
      await h.step(id, 'unboxing', {
        items: [{ serial: damaged, condition: 'damaged', damage: { description: 'cracked housing', cause: 'transport' } }, { serial: ok, condition: 'ok' }],
        signatures: BOTH_SIGN,
      });
      const replacement = `R-${damaged}`;
      expect((await h.step(id, `doa/${damaged}/shipped`, { replacementSerial: replacement })).status).toBe(200);
      // The replacement is registered with the project at once; its serial cannot be shipped twice.
      expect((await h.project(id)).devices.map((d: Json) => d.serial)).toContain(replacement);
      const received = await h.step(id, `doa/${damaged}/received`, {});
      expect(received.status).toBe(200);
      const { receivedAt, returnDue } = received.body;

      // Workers were busy (or down) across the due time: the charge goes out.
      await h.waitFor(id, 'the DOA charge', (p) => p.doaCases.some((c: Json) => c.serial === damaged && c.status === 'charged'), 30_000);
      expect((await h.system.db.knex('customers').where({ id: customerId }).first()).service_stopped_flag).toBeTruthy();

      // The engineer records afterwards that the unit came back two seconds after receipt, in time.
      const returnedAt = new Date(Date.parse(receivedAt) + 2000).toISOString();
      expect(returnedAt < returnDue).toBe(true);
      const returned = await h.step(id, `doa/${damaged}/returned`, { acceptable: true, occurredAt: returnedAt });
      expect(returned.status).toBe(200);
      expect(returned.body).toMatchObject({ status: 'returned', returnedAt, chargedAmount: null, chargeReversedAt: expect.any(String) });
      expect((await h.system.db.knex('customers').where({ id: customerId }).first()).service_stopped_flag).toBeFalsy();
      const doaCase = (await h.project(id)).doaCases.find((c: Json) => c.serial === damaged);
      expect(doaCase).toMatchObject({ status: 'returned', chargedAmount: null });
      release!();
      const charged = await h.waitForMails((m) => Boolean(m.idempotencyKey?.startsWith(`doa-${id}-${damaged}:charged:`)), 2);
      const reversed = await h.waitForMails((m) => Boolean(m.idempotencyKey?.startsWith(`doa-${id}-${damaged}:charge-reversed:`)), 2, 30_000);
      expect(reversed.flatMap((m) => m.envelope.to).sort()).toEqual(charged.flatMap((m) => m.envelope.to).sort());

      // Through to final acceptance: the replacement carries the warranty, the unit sent back does not.
      expect((await h.step(id, 'initial-acceptance', { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], signatures: BOTH_SIGN })).status).toBe(200);
      await h.waitForStage(id, 'final_acceptance', 60_000);
      const passed = await h.step(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } });
      expect(passed.status).toBe(200);
      const devices: Json[] = (await h.project(id)).devices;
      const bySerial = (serial: string) => devices.find((d) => d.serial === serial);
      expect(bySerial(replacement)).toMatchObject({ warrantyStartsAt: passed.body.warranty.startsAt, warrantyEndsAt: passed.body.warranty.endsAt });
      expect(bySerial(ok)).toMatchObject({ warrantyStartsAt: passed.body.warranty.startsAt });
      expect(bySerial(damaged)).toMatchObject({ warrantyStartsAt: null, warrantyEndsAt: null });
    });
  });

  describe('assigning another project manager', () => {
    it('sends the running process’s reminders to the new manager from then on', async () => {
      const users = new UsersRepository(h.system.db.knex);
      const newPm = await users.create({ name: 'Li Na', email: 'li.na@maker.test', role: 'project_manager', locale: 'en' });
      const { id, serials } = await started({ ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, weeklyReportEvery: 'PT4S', weeklyReportGrace: 'PT2S' } });
      await h.step(id, 'kickoff', KICKOFF);
      const assigned = await h.call('POST', `/api/projects/${id}/assign`, { projectManagerUserId: newPm.id }, h.smToken);
      expect(assigned.status).toBe(200);
      // The former manager no longer reaches the project; the service manager goes on.
      expect((await h.step(id, 'unboxing', unboxOk(serials))).status).toBe(404);
      expect((await h.call('POST', `/api/projects/${id}/unboxing`, unboxOk(serials), h.smToken)).status).toBe(200);
      const reminder = await h.waitForMails((m) => Boolean(m.idempotencyKey?.startsWith(`project-${id}:weekly-report:1:reminder:`)), 1, 30_000);
      expect(reminder.map((m) => m.envelope.to[0])).toEqual(['li.na@maker.test']);
      expect((await h.call('POST', `/api/projects/${id}/cancel`, { reason: 'test finished' }, h.smToken)).status).toBe(200);
    });
  });

  describe('deadlines are rows', () => {
    it('the page lists pending deadlines from the database and drops them when they are met', async () => {
      const { id, serials } = await started();
      await h.step(id, 'kickoff', KICKOFF);
      await h.step(id, 'unboxing', unboxOk(serials));
      const pending = await h.waitFor(id, 'the weekly report due', (p) => p.deadlines.some((d: Json) => d.kind === 'weekly_report'));
      expect(pending.deadlines).toEqual([expect.objectContaining({ kind: 'weekly_report', key: 'weekly-report:1', description: 'weekly report 1', provisional: false })]);
      // The work queue across processes answers from the same rows.
      const queue = await h.call('GET', '/api/deadlines?due=all&kind=weekly_report&limit=1000');
      expect(queue.status).toBe(200);
      expect(queue.body.deadlines).toEqual(expect.arrayContaining([expect.objectContaining({ recordType: 'project', recordId: id, key: 'weekly-report:1', overdue: false })]));
      const overdue = await h.call('GET', '/api/deadlines?due=overdue&limit=1000');
      expect(overdue.body.deadlines.filter((d: Json) => d.recordId === id)).toEqual([]);
      await h.step(id, 'weekly-reports', { summary: 'cabling done' });
      await h.waitFor(id, 'the next weekly report due', (p) => p.deadlines.length === 1 && p.deadlines[0].key === 'weekly-report:2');
      const rows = await h.system.db.knex('deadlines').where({ workflow_id: `project-${id}` }).orderBy('id');
      expect(rows.map((r: Json) => [r.deadline_key, r.status])).toEqual([
        ['weekly-report:1', 'met'],
        ['weekly-report:2', 'open'],
      ]);
    });
  });
});
