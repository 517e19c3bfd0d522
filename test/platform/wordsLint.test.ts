/**
 * Words, not sentences (issue #20): the lint refuses literal sentences in timeline entries, deadline
 * descriptions, step refusals, notice contexts and console views (scripts/lint/words.mjs, run by
 * `npm run lint` through eslint.config.mjs), and words written into console templates
 * (scripts/lintTemplates.ts). Each case is linted with the project's own configuration.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { templateProblems } from '../../scripts/lintTemplates';
import { consolePageFiles } from '../../platform/templateFiles';

const root = path.resolve(__dirname, '../..');

/*
 * ESLint's Node API with the project's own configuration (eslint.config.mjs), without type
 * information (the fixtures are no files of the project) and with only the words rules: what they
 * refuse is what `npm run lint` refuses. ESLint loads its configuration with import(), which jest's
 * module sandbox does not offer, so it runs in a child Node.
 */
const LINT = `
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
const cases = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfigFile: 'eslint.config.mjs',
  overrideConfig: { files: ['**/*.ts'], languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId.startsWith('words/'),
});
const answers = [];
for (const { code, file } of cases) {
  const [result] = await eslint.lintText(code, { filePath: file });
  answers.push(result.messages.map((m) => m.ruleId ? m.ruleId + ':' + m.line : 'parse:' + m.line + ' ' + m.message));
}
process.stdout.write(JSON.stringify(answers));
`;

function lint(cases: Array<{ code: string; file: string }>): string[][] {
  const input = JSON.stringify(cases.map(({ code, file }) => ({ code, file: path.join(root, file) })));
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', LINT], { cwd: root, input, encoding: 'utf8' })) as string[][];
}

async function refusals(code: string, file: string): Promise<string[]> {
  return lint([{ code, file }])[0]!;
}

const WORKFLOW = 'processes/tickets/fixture.workflow.ts';
const CONSOLE = 'processes/tickets/console/fixture.ts';

describe('lint: words, not sentences', () => {
  it('refuses a sentence as a step refusal, in a timeline entry, as a summary or a deadline description', async () => {
    const code = [
      "rejectStep('the ticket is closed');",
      'invalidStep(`no engineer ${id}`, "engineer");',
      "entry('kickoff', 'kickoff_held', 'kickoff held', state);",
      "await take(step, at, `assigned:${at}`, 'assigned', `Assigned to ${name}`, next);",
      "await record({ eventKey: 'x', kind: 'x', summary: 'Resolved' });",
      "await deadlines.open({ key: 'weekly', kind: 'weekly_report', description: 'weekly report' }, due);",
      "const text = { summary: late ? 'late' : 'on time' };",
    ].join('\n');
    expect(await refusals(code, WORKFLOW)).toEqual([
      'words/no-workflow-sentences:1',
      'words/no-workflow-sentences:2',
      'words/no-workflow-sentences:3',
      'words/no-workflow-sentences:4',
      'words/no-workflow-sentences:5',
      'words/no-workflow-sentences:6',
      'words/no-workflow-sentences:7',
      'words/no-workflow-sentences:7',
    ]);
    // The workflow kit is held to it too.
    expect(await refusals("rejectStep('closed');", 'platform/workflowKit/fixture.ts')).toEqual(['words/no-workflow-sentences:1']);
  });

  it('lets workflows record words: keys, codes and their arguments', async () => {
    const code = [
      "rejectStep(words('refusal.ticket.closed', { status: 'closed' }));",
      "invalidStep(words('refusal.ticket.noEngineer', { id }), 'engineer');",
      "entry('kickoff', 'kickoff_held', words('timeline.delivery.kickoff_held'), state);",
      "await take(step, at, `assigned:${at}`, 'assigned', words('timeline.ticket.assigned', { name: step.engineer.name }), next);",
      "await deadlines.open({ key: 'weekly', kind: 'weekly_report', words: words('deadline.weekly_report', { week: 3 }) }, due);",
      "await record({ eventKey: 'x', kind: 'x', words: words('timeline.ticket.resolved'), summary: input.summary });",
      "rejectStep(reason);",
    ].join('\n');
    expect(await refusals(code, WORKFLOW)).toEqual([]);
  });

  it('refuses a sentence in a notice context, followed through a named context, and lets codes through', async () => {
    const code = [
      "await notify('assigned', 'ticket-assigned', [engineer], { ticket, reason: 'the customer asked' });",
      "const context = { plan, taskName: '电话回访' };",
      "await notify('call', 'care-follow-up', people, context);",
      "await escalate('late', manager, { ...context, clock: 'response' });",
      "await sendNotice({ template: 't', context: { note: `Sent by ${name}` } });",
      "await notify('charged', 'doa-charged', people, { reasonKey: 'not_returned', amount, dueAt: due.toISOString(), by: name ?? 'operator' });",
    ].join('\n');
    expect(await refusals(code, 'processes/care/fixture.ts')).toEqual(['words/no-notice-sentences:1', 'words/no-notice-sentences:2', 'words/no-notice-sentences:5']);
  });

  it('refuses a literal title or text on a console page, and lets catalogue words through', async () => {
    const bad = [
      "ctx.send(req, res, 200, 'ticket', { title: 'Ticket detail', rows });",
      "send(req, res, 404, 'message', { title: t(req, res, 'message.notFound.title'), message: '找不到工单' });",
      "message(req, res, 409, 'Conflict', `Ticket ${id} is closed`);",
      "const view = { title: 'Tickets', status: humanize(row.status) };",
      "ctx.send(req, res, 200, 'tickets', view);",
      "return formWithProblem(values, 'Pick an engineer');",
      "res.status(500).send('Something went wrong.');",
    ].join('\n');
    expect(await refusals(bad, CONSOLE)).toEqual([
      'words/no-console-sentences:1',
      'words/no-console-sentences:2',
      'words/no-console-sentences:3',
      'words/no-console-sentences:3',
      'words/no-console-sentences:4',
      'words/no-console-sentences:6',
      'words/no-console-sentences:7',
    ]);
    const good = [
      "ctx.send(req, res, 200, 'ticket', { title: t(req, res, 'ticket.title', { id }), status: say(locale, row.words, row.summary), kind: 'repair', page: 'tickets' });",
      "message(req, res, 404, t(req, res, 'message.notFound.title'), t(req, res, 'message.notFound.text'));",
      "return formFromError(error, values, t(req, res, 'form.failed'), locale);",
    ].join('\n');
    expect(await refusals(good, CONSOLE)).toEqual([]);
    // The reports and the sign-in page are console pages too.
    expect(await refusals(bad, 'reports/home/fixture.ts')).toHaveLength(7);
    expect(await refusals(bad, 'people/console/fixture.ts')).toHaveLength(7);
  });
});

describe('lint: console templates hold no words', () => {
  it('refuses words written in a template, in its text and in the attributes a person reads', () => {
    const bad = [
      '<h1>{{title}}</h1>',
      '<p>No tickets yet.</p>',
      '<input name="q" placeholder="Search">',
      '{{#if open}}<span title="Open ticket">●</span>{{else}}已关闭{{/if}}',
    ].join('\n');
    expect(templateProblems(bad).map((p) => `${p.line}:${p.text}`)).toEqual(['2:No tickets yet.', '3:Search', '4:Open ticket', '4:已关闭']);
  });

  it('lets a template of words from the catalogue, markup, symbols and scripts through', () => {
    const good = [
      '<!DOCTYPE html>',
      '<html lang="{{locale}}"><head><meta charset="utf-8"><style>body { font-family: sans-serif; }</style></head>',
      '<!-- a comment is not shown -->',
      '<table class="list"><tr><th>{{t "ticket.serial"}}</th><td>{{row.serial}} · {{row.model}} &nbsp;—&nbsp; ({{row.count}})</td></tr></table>',
      '<a href="/tickets/{{id}}" title="{{t \'ticket.open\'}}">→</a> <input type="hidden" name="_csrf" value="{{csrfToken}}">',
      '<script src="/assets/kpi-charts.js"></script><script>window.x = 1;</script>',
      '{{#each rows}}<option value="{{value}}" {{#if current}}selected{{/if}}>{{name}}</option>{{/each}}',
    ].join('\n');
    expect(templateProblems(good)).toEqual([]);
  });

  it('finds no words written in the console’s own templates', () => {
    const found = [...consolePageFiles().values()].flatMap((file) => templateProblems(fs.readFileSync(file, 'utf8')).map((p) => `${path.relative(root, file)}:${p.line} ${p.text}`));
    expect(found).toEqual([]);
  });
});
