/** Every recorded step is an update on the project's workflow; the workflow decides if it may happen now. */
import { DevicesRepository } from '../../../installedBase/devices';
import { doaCaseOf } from '../useCases/read';
import {
  cancelUpdate,
  doaReceivedUpdate,
  doaReturnedUpdate,
  doaShippedUpdate,
  doaWorkflowId,
  finalAcceptanceUpdate,
  handoverUpdate,
  initialAcceptanceUpdate,
  installationCompleteUpdate,
  kickoffUpdate,
  resolveTrialIssueUpdate,
  trialIssueUpdate,
  trialReportUpdate,
  unboxingUpdate,
  weeklyReportUpdate,
} from '../messages';
import type { AuditTarget } from '../../../platform/http/audit';
import { conflict } from '../../../platform/http/errors';
import { words } from '../../../domain/words';
import { apiModule, type ApiDeps, type ApiModule } from '../../../platform/http/module';
import { updateIdFor } from '../../../platform/http/idempotency';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import * as s from '../useCases/schemas';
import { projectOr404, PROJECT_ACTORS, runUpdate, stepPayload, withStepTime, type AnyUpdate } from '../useCases/steps';

const STEP_ERRORS = {
  404: 'No such project',
  409: 'Not possible in the current stage, or already done',
  503: 'The step could not be recorded (database or process engine unreachable); nothing changed, try again',
};

function projectStep<B extends z.ZodType>(path: string, summary: string, body: B, update: AnyUpdate, status: 200 | 201 = 200): ApiModule {
  return defineRoute(
    {
      method: 'post',
      path: `/projects/:id/${path}`,
      roles: [...PROJECT_ACTORS],
      access: { rule: 'record', resource: 'project', action: 'act' },
      summary,
      tags: ['projects'],
      params: s.ProjectIdParams,
      body: withStepTime(body),
      idempotent: true,
      responses: { [status]: { description: 'What the step did: the stage after it and when it happened', body: s.StepResultSchema } } as Record<200 | 201, { description: string; body: typeof s.StepResultSchema }>,
      errors: STEP_ERRORS,
    },
    async ({ params, body: payload, user, deps, res, idempotencyKey }) => {
      const receivedAt = new Date();
      const project = await projectOr404(deps, params.id);
      res.locals.audit = { entityType: 'project', entityId: params.id } satisfies AuditTarget;
      const result = await runUpdate(deps, project.workflowId!, update, stepPayload(payload, user, receivedAt), words('refusal.project.closed', { id: params.id, stage: project.stage }), updateIdFor(user, idempotencyKey));
      return { status, body: result };
    },
  );
}

const resolveIssue = defineRoute(
  {
    method: 'post',
    path: '/projects/:id/trial-issues/:issueId/resolve',
    roles: [...PROJECT_ACTORS],
    access: { rule: 'record', resource: 'project', action: 'act' },
    summary: 'Resolve a trial-run issue',
    tags: ['projects'],
    params: s.IssueParams,
    body: withStepTime(s.ResolveIssueBody),
    idempotent: true,
    responses: { 200: { description: 'What the step did', body: s.StepResultSchema } },
    errors: STEP_ERRORS,
  },
  async ({ params, body, user, deps, res, idempotencyKey }) => {
    const receivedAt = new Date();
    const project = await projectOr404(deps, params.id);
    res.locals.audit = { entityType: 'project', entityId: params.id } satisfies AuditTarget;
    const payload = { ...stepPayload(body, user, receivedAt), issueId: params.issueId };
    const result = await runUpdate(deps, project.workflowId!, resolveTrialIssueUpdate, payload, words('refusal.project.closed', { id: params.id, stage: project.stage }), updateIdFor(user, idempotencyKey));
    return { status: 200, body: result };
  },
);

function doaStep<B extends z.ZodType>(path: string, summary: string, body: B, update: AnyUpdate, beforeDoaStep?: (deps: ApiDeps, body: unknown) => Promise<void>): ApiModule {
  return defineRoute(
    {
      method: 'post',
      path: `/projects/:id/doa/:serial/${path}`,
      roles: [...PROJECT_ACTORS],
      access: { rule: 'record', resource: 'doa_case', action: 'act' },
      summary,
      tags: ['projects'],
      params: s.DoaParams,
      body: withStepTime(body),
      idempotent: true,
      responses: { 200: { description: 'The DOA case after the step', body: s.StepResultSchema } },
      errors: { ...STEP_ERRORS, 404: 'No such project or DOA case', 409: 'Not possible in the case’s current state' },
    },
    async ({ params, body: payload, user, deps, res, idempotencyKey }) => {
      const receivedAt = new Date();
      await projectOr404(deps, params.id);
      const doa = await doaCaseOf(deps, params.id, params.serial);
      res.locals.audit = { entityType: 'doa_case', entityId: `${params.id}/${params.serial}` } satisfies AuditTarget;
      await beforeDoaStep?.(deps, payload);
      const result = await runUpdate(deps, doaWorkflowId(params.id, params.serial), update, stepPayload(payload, user, receivedAt), words('refusal.doa.ended', { serial: params.serial, status: doa.status }), updateIdFor(user, idempotencyKey));
      return { status: 200, body: result };
    },
  );
}

/** A replacement unit's serial must be new: it becomes a device of the project. */
async function replacementSerialFree(deps: ApiDeps, body: unknown): Promise<void> {
  const serial = (body as { replacementSerial: string }).replacementSerial;
  const taken = await new DevicesRepository(deps.knex).serialsTaken([serial]);
  if (taken.length > 0) throw conflict(words('refusal.doa.serialTaken', { serial }), [{ field: 'replacementSerial', message: 'already registered' }]);
}

export const projectSteps = apiModule(
  projectStep('kickoff', 'Record the kickoff meeting', s.KickoffBody, kickoffUpdate),
  projectStep('unboxing', 'Record the joint unboxing check; damaged items start DOA replacements', s.UnboxingBody, unboxingUpdate),
  projectStep('weekly-reports', 'Submit a weekly installation report', s.WeeklyReportBody, weeklyReportUpdate, 201),
  projectStep('installation-complete', 'Record the end of installation and commissioning', s.InstallationCompleteBody, installationCompleteUpdate),
  projectStep('initial-acceptance', 'Record the passed initial acceptance; the trial run starts', s.InitialAcceptanceBody, initialAcceptanceUpdate),
  projectStep('trial-issues', 'Log an issue during the trial run', s.TrialIssueBody, trialIssueUpdate, 201),
  resolveIssue,
  projectStep('trial-report', 'Submit the trial-run report and final-acceptance application', s.TrialReportBody, trialReportUpdate),
  projectStep('final-acceptance', 'Record final acceptance, passed (certificate, score, warranty) or failed (back to trial)', s.FinalAcceptanceBody, finalAcceptanceUpdate),
  projectStep('handover', 'Record the signed document handover; the project completes', s.HandoverBody, handoverUpdate),
  projectStep('cancel', 'Cancel the project with a reason', s.CancelBody, cancelUpdate),
  doaStep('shipped', 'The replacement has shipped; the replacement unit becomes a device of the project', s.DoaShippedBody, doaShippedUpdate, replacementSerialFree),
  doaStep('received', 'The customer received the replacement; the return clock starts', s.DoaReceivedBody, doaReceivedUpdate),
  doaStep('returned', 'The damaged unit came back (acceptable or not)', s.DoaReturnedBody, doaReturnedUpdate),
);
