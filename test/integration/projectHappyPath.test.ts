import { BOTH_SIGN, CUSTOMER_CONTACT, forProject, PM, startProjectHarness, withKey, type Json, type ProjectHarness } from '../support/projectHarness';

describe('project delivery: the happy path on the real server', () => {
  let h: ProjectHarness;
  beforeAll(async () => {
    h = await startProjectHarness('happy');
  });
  afterAll(async () => {
    await h.stop();
  });

  async function throughInstallation(id: number, serials: string[]) {
    expect((await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality', 'network'], completionCriteria: 'all tests signed' })).status).toBe(200);
    const unboxing = await h.step(id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN });
    expect(unboxing.status).toBe(200);
    expect(unboxing.body.stage).toBe('installing');
    expect((await h.step(id, 'weekly-reports', { summary: 'cabling done' })).status).toBe(201);
  }

  async function throughFinalAcceptance(id: number) {
    const trial = await h.waitFor(id, 'trial running with its deadlines', (p) => p.trial?.status === 'running' && p.deadlines.length === 2, 20_000);
    expect(new Date(trial.trial.endsAt).getTime()).toBeGreaterThan(new Date(trial.trial.startedAt).getTime());
    expect(trial.deadlines.map((d: Json) => d.kind)).toEqual(expect.arrayContaining(['trial_report', 'trial_end']));
    // The stored row knows the trial's end while it runs (the console and reports read it from there).
    const row = await h.system.db.knex('projects').where({ id }).first();
    expect(new Date(row.trial_ends_at).getTime()).toBe(new Date(trial.trial.endsAt).getTime());
    expect((await h.step(id, 'trial-report', { summary: 'ran without faults' })).status).toBe(200);
    await h.waitForStage(id, 'final_acceptance', 60_000);
    const passed = await h.step(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } });
    expect(passed.status).toBe(200);
    expect(passed.body.stage).toBe('handover');
    expect(passed.body.qualityScore).toBe(92);
    const handover = await h.step(id, 'handover', { documents: [{ name: '工程竣工资料移交清单', delivered: true }, { name: 'operating manuals', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] });
    expect(handover.status).toBe(200);
    expect(handover.body.stage).toBe('completed');
  }

  it('with initial acceptance: contract → kickoff → unboxing → installation → initial acceptance → trial → final acceptance → handover', async () => {
    const created = await h.createProject();
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    expect(created.body).toMatchObject({ workflowId: `project-${id}`, stage: 'awaiting_kickoff' });
    const serials: string[] = (await h.project(id)).devices.map((d: Json) => d.serial);
    await throughInstallation(id, serials);

    const initial = await h.step(id, 'initial-acceptance', { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], leftoverIssues: [{ title: 'label printer offline' }], signatures: BOTH_SIGN });
    expect(initial.status).toBe(200);
    expect(initial.body.stage).toBe('trial_run');
    const issueId = initial.body.issueIds[0];
    expect((await h.step(id, `trial-issues/${issueId}/resolve`, { resolution: 'driver reinstalled' })).status).toBe(200);
    await throughFinalAcceptance(id);

    const done = await h.project(id);
    expect(done.stage).toBe('completed');
    expect(done.qualityScore).toBe(92);
    expect(done.milestones.initialAcceptedAt).not.toBeNull();
    for (const device of done.devices) {
      expect(device.warrantyStartsAt).toBe(done.milestones.finalAcceptedAt);
      const months = new Date(device.warrantyEndsAt).getTime() - new Date(device.warrantyStartsAt).getTime();
      expect(months / 86_400_000).toBeGreaterThanOrEqual(365);
    }
    const kinds = done.timeline.map((e: Json) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['project_started', 'kickoff_recorded', 'unboxing_checked', 'weekly_report', 'initial_acceptance_passed', 'trial_issue_logged', 'trial_issue_resolved', 'trial_run_started', 'trial_report_submitted', 'trial_run_ended', 'final_acceptance_passed', 'handover_completed']));
    expect(done.timeline.find((e: Json) => e.kind === 'kickoff_recorded').actor).toBe(PM.name);

    // Database rows: the customer file has its acceptance date; the workflow is closed.
    const customer = await h.system.db.knex('customers').where({ id: done.customerId }).first();
    expect(customer.acceptance_date).not.toBeNull();
    const handle = h.system.temporal.client.workflow.getHandle(`project-${id}`);
    expect((await handle.result()).stage).toBe('completed');
    expect((await handle.describe()).status.name).toBe('COMPLETED');

    // Asset care takes over: one plan for the project, its devices, from final acceptance, outliving the project.
    let plan: Json;
    for (const until = Date.now() + 30_000; !(plan = await h.system.db.knex('care_plans').where({ project_id: id }).first()); ) {
      if (Date.now() > until) throw new Error('no care plan for the project');
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(plan).toMatchObject({ workflow_id: `care-plan-project-${id}`, status: 'active', customer_id: done.customerId });
    expect(new Date(plan.anchor_at).toISOString()).toBe(done.milestones.finalAcceptedAt);
    const covered = await h.system.db.knex('care_plan_devices').where({ plan_id: plan.id }).pluck('device_id');
    const projectDevices = await h.system.db.knex('devices').where({ project_id: id }).pluck('id');
    expect(covered.map(Number).sort()).toEqual(projectDevices.map(Number).sort());
    const care = h.system.temporal.client.workflow.getHandle(`care-plan-project-${id}`);
    expect((await care.describe()).status.name).toBe('RUNNING');
    await care.terminate('test over');

    // E-mails: started and completed, to the PM and the customer's contact, once each; no reminders.
    const started = await h.waitForMails(withKey(`project-${id}:started:`), 2);
    expect(started.map((m) => m.envelope.to[0]).sort()).toEqual([PM.email, CUSTOMER_CONTACT.email].sort());
    const completed = await h.waitForMails(withKey(`project-${id}:completed:`), 2);
    expect(completed[0]!.text).toMatch(/DR-7000/);
    expect(h.mails(forProject(id)).filter((m) => /reminder|escalation/.test(m.idempotencyKey ?? ''))).toHaveLength(0);
    const keys = h.mails(forProject(id)).map((m) => m.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('without initial acceptance: installation-complete starts the trial run', async () => {
    const created = await h.createProject({ policy: { delivery: { initialAcceptanceRequired: false, trialRun: 'PT6S', trialReportLead: 'PT3S' } } });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const serials: string[] = (await h.project(id)).devices.map((d: Json) => d.serial);
    await throughInstallation(id, serials);
    const refused = await h.step(id, 'initial-acceptance', { items: [{ name: 'x', passed: true, signedBy: 'y' }], signatures: BOTH_SIGN });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/no initial acceptance/);
    // A Chinese reader (the project manager's own language, or asked for) hears the refusal in Chinese.
    const path = `/api/projects/${id}/initial-acceptance`;
    const payload = { items: [{ name: 'x', passed: true, signedBy: 'y' }], signatures: BOTH_SIGN };
    const inChinese = await h.call('POST', path, payload, undefined, { 'accept-language': 'zh-CN' });
    expect(inChinese.status).toBe(409);
    expect(inChinese.body.error.message).toBe('本合同不含初验：请改为确认安装调试完成');
    // Without Accept-Language the user's language decides: the project manager reads Chinese.
    const usersLanguage = await h.call('POST', path, payload, undefined, { 'accept-language': '' });
    expect(usersLanguage.body.error.message).toBe('本合同不含初验：请改为确认安装调试完成');
    const done = await h.step(id, 'installation-complete', { testRecords: [{ name: 'exposure test', passed: true, signatures: BOTH_SIGN }] });
    expect(done.status).toBe(200);
    expect(done.body.stage).toBe('trial_run');
    await throughFinalAcceptance(id);
    const project = await h.project(id);
    expect(project.milestones.initialAcceptedAt).toBeNull();
    // The timeline in the reader's language: recorded as words, said in English or Chinese.
    const english = (kind: string) => project.timeline.find((e: Json) => e.kind === kind)?.summary;
    expect(english('installation_completed')).toBe('installation and commissioning complete (1 test records)');
    expect(english('trial_run_started')).toBe('trial run 1 started');
    const chinese = (await h.call('GET', `/api/projects/${id}`, undefined, h.readerToken, { 'accept-language': 'zh-CN' })).body;
    const said = (kind: string) => chinese.timeline.find((e: Json) => e.kind === kind)?.summary;
    expect(said('installation_completed')).toBe('安装调试完成（测试记录 1 份）');
    expect(said('trial_run_started')).toBe('第 1 轮试运行开始');
    expect(said('final_acceptance_passed')).toMatch(/^终验通过：已出具终验证书，质量评分 \d+\/100$/);
    expect(project.milestones.installationCompletedAt).not.toBeNull();
  });
});
