/**
 * Every project step as a form (console/projectSteps/steps.ts), posted through the API's own path:
 * the same role and record rule, the same body schema (its messages beside each field), the same
 * workflow update with the same payload and idempotency (api/projects/steps.ts).
 *
 *   GET  /projects/:id/steps/:step  the form (?serial=… for a DOA step, ?issue=… to resolve an issue)
 *   POST /projects/:id/steps/:step  records it, 303 → the project (its page says so); 400/409 the form again
 */
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { DateTime } from 'luxon';
import { principalOf } from '../../../platform/http/access';
import { toApiError } from '../../../platform/http/errors';
import { updateIdFor } from '../../../platform/http/idempotency';
import { PROJECT_ACTORS, runUpdate, stepPayload, withStepTime } from '../useCases/steps';
import { errorBodyIn, invalidFields, PROBLEM_PARSE, problemsOf } from '../../../platform/http/problemMessages';
import { words } from '../../../domain/words';
import { DevicesRepository } from '../../../installedBase/devices';
import { ProjectsRepository, type DoaCase, type Project, type ProjectTrialIssue } from '../repository';
import type { User } from '../../../people/repository';
import { canAct, canRead, projectFacts } from '../../../domain/access';
import type { DoaStatus } from '../rules';
import { doaWorkflowId } from '../messages';
import type { ConsoleArea } from '../../../platform/console/context';
import { emptyForm, formFromApiError, formValues, formWithProblem, type FormState } from '../../../platform/console/forms';
import { customerTimeZones, positiveInt } from '../../../platform/console/kit';
import { isMessageKey, say, translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { fieldNames, formFieldOf, formToBody, isStepName, offeredIn, SIGNING_PARTIES, STEP_FORMS, STEP_NAMES, type FieldSpec, type InputSpec, type StepForm, type StepName } from './stepForms';
import { CONSOLE_TIME_ZONE, label } from '../../../platform/console/views';
import type { Locale } from '../../../people/roles';

/** The hidden field that makes a form's post idempotent: a double click records the step once. */
const ONCE_FIELD = '_once';
/** DOA steps, by the case status they apply to. */
const DOA_STEP_FOR: Partial<Record<DoaStatus, StepName>> = { awaiting_shipment: 'doa-shipped', awaiting_receipt: 'doa-received', awaiting_return: 'doa-returned' };

function word(locale: Locale, key: string, fallback: string): string {
  return isMessageKey(key) ? translate(locale, key) : fallback;
}

export interface StepLink {
  href: string;
  label: string;
}

/** The steps the user may take now on the project, as links for its page. */
export function stepLinks(locale: Locale, user: User, project: Project, doaCases: DoaCase[], issues: ProjectTrialIssue[]): StepLink[] {
  if (!(PROJECT_ACTORS as readonly string[]).includes(user.role) || !canAct(principalOf(user), projectFacts(project))) return [];
  const t = (key: MessageKey, values?: Record<string, string>) => translate(locale, key, values);
  const links: StepLink[] = [];
  for (const name of STEP_NAMES) {
    const step: StepForm = STEP_FORMS[name];
    if (step.target || !offeredIn(step, project.stage)) continue;
    links.push({ href: `/projects/${project.id}/steps/${name}`, label: t(`step.${name}` as MessageKey) });
  }
  if (offeredIn(STEP_FORMS['resolve-issue'], project.stage)) {
    for (const issue of issues.filter((i) => !i.resolvedAt)) {
      links.push({ href: `/projects/${project.id}/steps/resolve-issue?issue=${encodeURIComponent(issue.issueKey)}`, label: `${t('step.resolve-issue')} ${t('steps.forIssue', { issue: issue.issueKey })}` });
    }
  }
  for (const doa of doaCases) {
    const name = DOA_STEP_FOR[doa.status];
    if (name) links.push({ href: `/projects/${project.id}/steps/${name}?serial=${encodeURIComponent(doa.serial)}`, label: `${t(`step.${name}` as MessageKey)} ${t('steps.forCase', { serial: doa.serial })}` });
  }
  return links;
}

/** `2026-03-02T10:00` typed in the project's zone, as the API's instant with offset; '' stays absent. */
function occurredAtOf(value: string | undefined, timeZone: string): string | undefined {
  if (!value || value.trim() === '') return undefined;
  const local = DateTime.fromISO(value.trim(), { zone: timeZone });
  return local.isValid ? local.toISO({ suppressMilliseconds: true })! : value;
}

export const projectStepsArea: ConsoleArea = {
  paths: ['/projects/:id/steps/:step'],
  register(router, ctx) {
    const projects = new ProjectsRepository(ctx.knex);
    const devices = new DevicesRepository(ctx.knex);

    interface Target {
      project: Project;
      step: StepForm;
      name: StepName;
      user: User;
      timeZone: string;
      /** The DOA case's serial or the issue's key, when the step has one. */
      targetKey: string | null;
      rowsOf(field: FieldSpec): number;
      initial: Record<string, string>;
    }

    /** The project and step of the request, or the page that says why not (404, 403, 409). */
    async function target(req: Request, res: Response, values: Record<string, string | undefined>): Promise<Target | null> {
      const { t } = ctx;
      const user = ctx.signedInUser(res)!;
      const id = positiveInt(req.params.id);
      const found = id === null ? null : await projects.get(id);
      const project = found && canRead(principalOf(user), projectFacts(found)) ? found : null;
      if (!project) {
        ctx.message(req, res, 404, t(req, res, 'message.notFound.title'), t(req, res, 'message.notFound.text', { id: String(req.params.id) }));
        return null;
      }
      const name = req.params.step;
      if (!isStepName(name)) {
        ctx.message(req, res, 404, t(req, res, 'steps.unknown.title'), t(req, res, 'steps.unknown.text', { step: String(name) }));
        return null;
      }
      const step: StepForm = STEP_FORMS[name];
      const doa = step.target === 'doa';
      if (!(PROJECT_ACTORS as readonly string[]).includes(user.role) || !canAct(principalOf(user), projectFacts(project, doa ? 'doa_case' : 'project'))) {
        ctx.message(req, res, 403, t(req, res, 'steps.notAllowed.title'), t(req, res, 'steps.notAllowed.text'));
        return null;
      }
      let targetKey: string | null = null;
      if (step.target) {
        targetKey = (doa ? values.serial : values.issue) ?? null;
        const known = doa ? (await projects.doaCases(project.id)).some((c) => c.serial === targetKey) : (await projects.trialIssues(project.id)).some((i) => i.issueKey === targetKey);
        if (!known) {
          ctx.message(req, res, 404, t(req, res, 'message.notFound.title'), t(req, res, 'steps.noCase'));
          return null;
        }
      }
      const [zones, deviceList] = await Promise.all([customerTimeZones(ctx.knex, [project.customerId]), name === 'unboxing' ? devices.listByProject(project.id) : Promise.resolve([])]);
      const initial: Record<string, string> = {};
      deviceList.forEach((d, i) => Object.assign(initial, { [`items.${i}.serial`]: d.serial, [`items.${i}.condition`]: 'ok' }));
      if (step.fields.some((f) => f.name === 'signatures')) Object.assign(initial, { 'signatures.0.party': 'customer', 'signatures.1.party': 'company' });
      return {
        project, step, name, user, targetKey, initial,
        timeZone: zones.get(project.customerId) ?? CONSOLE_TIME_ZONE,
        rowsOf: (field) => (field.type === 'rows' && name === 'unboxing' && field.name === 'items' ? deviceList.length : 'rows' in field ? field.rows : 0),
      };
    }

    function show(req: Request, res: Response, status: number, at: Target, form: FormState) {
      const locale = ctx.localeOf(req, res);
      const t = (key: MessageKey, values?: Record<string, string>) => translate(locale, key, values);
      const input = (spec: InputSpec, name: string, labelText: string) => ({
        name,
        label: labelText,
        type: spec.type,
        required: spec.required === true,
        options: (spec.options ?? []).map((code) => ({ value: code, label: word(locale, `option.${code}`, code) })),
      });
      const fieldLabel = (name: string) => word(locale, `stepField.${name}`, name);
      const fields = at.step.fields.map((field) => {
        if (field.type === 'list' || field.type === 'rows') {
          const columns: InputSpec[] = field.type === 'list' ? [{ name: '', type: 'text' }] : field.columns;
          return {
            group: true,
            name: field.name,
            legend: fieldLabel(field.name),
            rows: Array.from({ length: at.rowsOf(field) }, (_, i) => ({
              cells: columns.flatMap((c) => {
                const name = c.name ? `${field.name}.${i}.${c.name}` : `${field.name}.${i}`;
                const cellLabel = (text: string) => t('steps.row', { label: text, n: String(i + 1) });
                if (c.type === 'signers') return SIGNING_PARTIES.map((party) => input({ name: party, type: 'text' }, `${name}.${party}`, cellLabel(`${fieldLabel('signedFor')} ${word(locale, `option.${party}`, party)}`)));
                return [input(c, name, cellLabel(c.name ? fieldLabel(c.name) : fieldLabel(field.name)))];
              }),
            })),
          };
        }
        return { group: false, ...input(field, field.name, fieldLabel(field.name)) };
      });
      const query = at.targetKey ? `?${at.step.target === 'doa' ? 'serial' : 'issue'}=${encodeURIComponent(at.targetKey)}` : '';
      const suffix = at.targetKey ? ` ${at.step.target === 'doa' ? t('steps.forCase', { serial: at.targetKey }) : t('steps.forIssue', { issue: at.targetKey })}` : '';
      ctx.send(req, res, status, 'project-step', {
        title: `${t(`step.${at.name}` as MessageKey)}${suffix} · ${at.project.contractNo}`,
        timeZone: at.timeZone,
        projectHref: `/projects/${at.project.id}`,
        stage: label(locale, 'stage', at.project.stage),
        action: `/projects/${at.project.id}/steps/${at.name}${query}`,
        fields,
        form,
        once: form.values[ONCE_FIELD] ?? crypto.randomUUID(),
        occurredAtHint: t('steps.occurredAtHint', { zone: at.timeZone }),
      });
    }

    router.get('/projects/:id/steps/:step', ctx.requireUser, async (req, res) => {
      const query = { serial: typeof req.query.serial === 'string' ? req.query.serial : undefined, issue: typeof req.query.issue === 'string' ? req.query.issue : undefined };
      const at = await target(req, res, query);
      if (!at) return;
      const form = offeredIn(at.step, at.project.stage) ? emptyForm(at.initial) : formWithProblem(at.initial, ctx.t(req, res, 'steps.notOffered', { stage: label(ctx.localeOf(req, res), 'stage', at.project.stage) }));
      show(req, res, 200, at, form);
    });

    router.post('/projects/:id/steps/:step', ctx.requireUser, ...ctx.requireCsrf(ctx.expiredForm), async (req, res) => {
      const query = { serial: typeof req.query.serial === 'string' ? req.query.serial : undefined, issue: typeof req.query.issue === 'string' ? req.query.issue : undefined };
      const at = await target(req, res, query);
      if (!at) return;
      const values = formValues(req.body, [...fieldNames(at.step, at.rowsOf), 'occurredAt', ONCE_FIELD]);
      const receivedAt = new Date();
      const { body, rowsKept } = formToBody(at.step, values, at.rowsOf);
      const occurredAt = occurredAtOf(values.occurredAt, at.timeZone);
      if (occurredAt) body.occurredAt = occurredAt;
      const again = (status: number, form: FormState) => show(req, res, status, at, form);
      const asForm = (answer: unknown) => {
        const form = formFromApiError(answer, values, ctx.t(req, res, 'message.error.text'));
        const errors: Record<string, string[]> = {};
        for (const [field, messages] of Object.entries(form.errors)) (errors[formFieldOf(field, rowsKept)] ??= []).push(...messages);
        return { ...form, errors };
      };

      // The API's schema judges the body: its messages go beside the fields.
      const parsed = withStepTime(at.step.schema).safeParse(body, PROBLEM_PARSE);
      if (!parsed.success) return again(400, asForm(invalidFields(problemsOf(parsed.error, 'body', ctx.localeOf(req, res)), ctx.localeOf(req, res)).body));
      if (at.name === 'doa-shipped') {
        const serial = (parsed.data as { replacementSerial: string }).replacementSerial;
        if ((await devices.serialsTaken([serial])).length > 0) {
          const taken = say(ctx.localeOf(req, res), words('refusal.doa.serialTaken', { serial }));
          return again(409, asForm({ error: { message: taken, details: [{ field: 'replacementSerial', message: taken }] } }));
        }
      }
      const payload = { ...stepPayload(parsed.data, at.user, receivedAt), ...(at.step.target === 'issue' ? { issueId: at.targetKey } : {}) };
      const workflowId = at.step.target === 'doa' ? doaWorkflowId(at.project.id, at.targetKey!) : at.project.workflowId!;
      try {
        await runUpdate({ knex: ctx.knex, temporal: ctx.deps.temporal }, workflowId, at.step.update, payload, words('refusal.project.closed', { id: at.project.id, stage: at.project.stage }), updateIdFor(at.user, values[ONCE_FIELD]?.slice(0, 100)));
      } catch (error) {
        const known = toApiError(error);
        if (!known) throw error;
        await ctx.audit(req, res, { statusCode: known.status, user: at.user, details: { projectId: at.project.id, step: at.name } });
        if (known.status >= 500) return again(503, formWithProblem(values, ctx.t(req, res, 'steps.engineDown')));
        // A refusal carrying words is said in the page's language.
        return again(known.status, asForm(errorBodyIn(known, ctx.localeOf(req, res))));
      }
      await ctx.audit(req, res, { statusCode: 303, user: at.user, details: { projectId: at.project.id, step: at.name, target: at.targetKey } });
      res.redirect(303, `/projects/${at.project.id}?done=${at.name}`);
    });
  },
};
