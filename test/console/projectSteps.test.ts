/**
 * Project steps as console forms: posted through the API's own path (the same schema, access rule
 * and workflow update), the API's messages beside the fields, in the signed-in user's language.
 */
import { createConsole } from '../../console';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { startProjectHarness, type ProjectHarness } from '../support/projectHarness';

let h: ProjectHarness;

beforeAll(async () => {
  h = await startProjectHarness('console-steps');
  h.app.use(createConsole({ knex: h.system.db.knex, temporal: { client: h.system.temporal.client, taskQueue: h.system.temporal.taskQueue, namespace: 'default' } }));
});

afterAll(async () => {
  await h?.stop();
});

async function visitor(token: string): Promise<ConsoleVisitor> {
  const who = new ConsoleVisitor(h.server.url);
  expect((await who.signIn(token)).status).toBe(303);
  return who;
}

it('takes the kickoff through its form: field errors first, then the step, and the project moves on', async () => {
  const created = await h.createProject();
  expect(created.status).toBe(201);
  const id: number = created.body.id;
  await h.waitFor(id, 'its first timeline event', (p) => p.timeline.length > 0);
  const pm = await visitor(h.pmToken);

  // The project page offers the steps of its stage (the PM reads Chinese).
  const page = await pm.get(`/projects/${id}`);
  expect(page.body).toContain(`<a href="/projects/${id}/steps/kickoff">启动会</a>`);
  expect(page.body).toContain(`<a href="/projects/${id}/steps/cancel">取消项目</a>`);

  const form = await pm.get(`/projects/${id}/steps/kickoff`);
  expect(form.status).toBe(200);
  expect(form.body).toContain('<label for="f-meetingDate">会议日期</label>');
  expect(form.body).toContain('<label for="f-acceptanceItems-0">验收项目 1</label>');

  // Nothing filled in: the API's schema answers, beside each field; the values come back.
  const bad = await pm.post(`/projects/${id}/steps/kickoff`, { plan: 'Install in week 1', _once: 'k-1' });
  expect(bad.status).toBe(400);
  expect(bad.body).toMatch(/<p class="field-error" id="f-meetingDate-error">[^<]+<\/p>/);
  expect(bad.body).toMatch(/<p class="field-error" id="f-acceptanceItems-error">[^<]+<\/p>/);
  expect(bad.body).toContain('>Install in week 1</textarea>');
  expect(bad.body).toContain('aria-invalid="true"');

  const good = await pm.post(`/projects/${id}/steps/kickoff`, {
    meetingDate: '2026-03-02', plan: 'Install in week 1', 'acceptanceItems.0': 'Image quality', 'acceptanceItems.2': 'Network', completionCriteria: 'All items pass', _once: 'k-2',
  });
  expect(good.status).toBe(303);
  expect(good.headers.get('location')).toBe(`/projects/${id}?done=kickoff`);
  const after = await h.waitForStage(id, 'awaiting_unboxing');
  expect(after.stage).toBe('awaiting_unboxing');
  expect((await pm.get(`/projects/${id}?done=kickoff`)).body).toContain('已记录步骤：启动会。');

  // The same post again (a double click) changes nothing; in the wrong stage the workflow refuses.
  const twice = await pm.post(`/projects/${id}/steps/kickoff`, {
    meetingDate: '2026-03-02', plan: 'Install in week 1', 'acceptanceItems.0': 'Image quality', completionCriteria: 'All items pass', _once: 'k-3',
  });
  expect(twice.status).toBe(409);
  expect(twice.body).toContain('class="error" role="alert"');
  // The workflow's refusal is words: the page says it in the reader's language, never as a key.
  expect(twice.body).toContain('项目当前处于“待开箱”阶段，不能记录启动会（允许的阶段：awaiting_kickoff）');
  expect(twice.body).not.toContain('refusal.project');
  // And so is the timeline: what the kickoff recorded, and its kind, in Chinese.
  expect((await pm.get(`/projects/${id}`)).body).toContain('<td>启动会</td><td>启动会于 2026-03-02 召开</td>');

  // Unboxing: the devices are the rows, checklists and signatures are inputs of their own.
  const unboxing = await pm.get(`/projects/${id}/steps/unboxing`);
  expect(unboxing.body).toMatch(/<select id="f-items-0-condition" name="items.0.condition" required><option value="ok" selected>完好<\/option>/);
  expect(unboxing.body).toContain('<select id="f-signatures-1-party" name="signatures.1.party"><option value=""></option><option value="customer">客户</option><option value="company" selected>公司</option></select>');
});

it('answers another role with 403 and a project out of reach with 404', async () => {
  const created = await h.createProject();
  const id: number = created.body.id;
  const dispatcher = await visitor(h.readerToken);
  expect((await dispatcher.get(`/projects/${id}/steps/kickoff`)).status).toBe(403);
  expect((await dispatcher.post(`/projects/${id}/steps/cancel`, { reason: 'no' })).status).toBe(403);
  expect((await dispatcher.get(`/projects/${id}`)).body).not.toContain('/steps/');
  const pm = await visitor(h.pmToken);
  expect((await pm.get(`/projects/999999/steps/kickoff`)).status).toBe(404);
  expect((await pm.get(`/projects/${id}/steps/launch`)).status).toBe(404);
  expect((await pm.get(`/projects/${id}/steps/doa-shipped?serial=NOPE`)).status).toBe(404);
});

it('cancels a project with a reason, in English for an English user', async () => {
  const created = await h.createProject();
  const id: number = created.body.id;
  await h.waitFor(id, 'its first timeline event', (p) => p.timeline.length > 0);
  const sm = await visitor(h.smToken);
  const empty = await sm.post(`/projects/${id}/steps/cancel`, { reason: '', _once: 'c-1' });
  expect(empty.status).toBe(400);
  expect(empty.body).toContain('<label for="f-reason">Reason</label>');
  expect(empty.body).toMatch(/id="f-reason-error"/);
  const done = await sm.post(`/projects/${id}/steps/cancel`, { reason: 'Customer withdrew', _once: 'c-2' });
  expect(done.status).toBe(303);
  await h.waitForStage(id, 'cancelled');
});
