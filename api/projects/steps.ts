/** Every recorded step is an update on the project's workflow; the workflow decides if it may happen now. */
import type { UpdateDefinition } from '@temporalio/common';
import type { z } from 'zod';
import { ProjectsRepository, type Project } from '../../db/repositories/projects';
import type { User } from '../../db/repositories/users';
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
  type Actor,
} from '../../workflows/projectDelivery.messages';
import type { AuditTarget } from '../audit';
import { notFound, unavailable } from '../errors';
import { apiModule, type ApiDeps, type ApiModule } from '../module';
import { defineRoute } from '../route';
import { updateFailureToApi } from '../temporalErrors';
import * as s from './schemas';

/** Project managers and service managers act; everyone else reads. */
export const PROJECT_ACTORS = ['project_manager', 'service_manager'] as const;

export const actorOf = (user: User): Actor => ({ userId: user.id, name: user.name, role: user.role });

export async function projectOr404(deps: ApiDeps, id: number): Promise<Project> {
  const project = await new ProjectsRepository(deps.knex).get(id);
  if (!project) throw notFound(`no project ${id}`);
  return project;
}

// Each update is typed by its own payload; the route only forwards it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyUpdate = UpdateDefinition<any, [any]>;

async function runUpdate(deps: ApiDeps, workflowId: string, update: AnyUpdate, payload: unknown, closedMessage: string): Promise<Record<string, unknown>> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  try {
    return (await deps.temporal.client.workflow.getHandle(workflowId).executeUpdate(update, { args: [payload] })) as Record<string, unknown>;
  } catch (error) {
    throw updateFailureToApi(error, closedMessage);
  }
}

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
      body,
      responses: { [status]: { description: 'The process state after the step', body: s.StepResultSchema } } as Record<200 | 201, { description: string; body: typeof s.StepResultSchema }>,
      errors: { 404: 'No such project', 409: 'Not possible in the current stage' },
    },
    async ({ params, body: payload, user, deps, res }) => {
      const project = await projectOr404(deps, params.id);
      res.locals.audit = { entityType: 'project', entityId: params.id } satisfies AuditTarget;
      const state = await runUpdate(deps, project.workflowId!, update, { ...(payload as object), actor: actorOf(user) }, `project ${params.id} is ${project.stage}`);
      return { status, body: state };
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
    body: s.ResolveIssueBody,
    responses: { 200: { description: 'The process state after the step', body: s.StepResultSchema } },
    errors: { 404: 'No such project', 409: 'Not possible now' },
  },
  async ({ params, body, user, deps, res }) => {
    const project = await projectOr404(deps, params.id);
    res.locals.audit = { entityType: 'project', entityId: params.id } satisfies AuditTarget;
    const state = await runUpdate(deps, project.workflowId!, resolveTrialIssueUpdate, { ...body, issueId: params.issueId, actor: actorOf(user) }, `project ${params.id} is ${project.stage}`);
    return { status: 200, body: state };
  },
);

function doaStep<B extends z.ZodType>(path: string, summary: string, body: B, update: AnyUpdate): ApiModule {
  return defineRoute(
    {
      method: 'post',
      path: `/projects/:id/doa/:serial/${path}`,
      roles: [...PROJECT_ACTORS],
      access: { rule: 'record', resource: 'doa_case', action: 'act' },
      summary,
      tags: ['projects'],
      params: s.DoaParams,
      body,
      responses: { 200: { description: 'The DOA case after the step', body: s.StepResultSchema } },
      errors: { 404: 'No such project or DOA case', 409: 'Not possible in the case’s current state' },
    },
    async ({ params, body: payload, user, deps, res }) => {
      await projectOr404(deps, params.id);
      const cases = await new ProjectsRepository(deps.knex).doaCases(params.id);
      const doa = cases.find((c) => c.serial === params.serial);
      if (!doa) throw notFound(`no dead-on-arrival case for serial ${params.serial} in project ${params.id}`);
      res.locals.audit = { entityType: 'doa_case', entityId: `${params.id}/${params.serial}` } satisfies AuditTarget;
      const state = await runUpdate(deps, doaWorkflowId(params.id, params.serial), update, { ...(payload as object), actor: actorOf(user) }, `the DOA case for ${params.serial} is closed (${doa.status})`);
      return { status: 200, body: state };
    },
  );
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
  doaStep('shipped', 'The replacement has shipped', s.DoaShippedBody, doaShippedUpdate),
  doaStep('received', 'The customer received the replacement; the return clock starts', s.DoaReceivedBody, doaReceivedUpdate),
  doaStep('returned', 'The damaged unit came back (acceptable or not)', s.DoaReturnedBody, doaReturnedUpdate),
);
