import { ProjectsRepository, type Project } from '../../db/repositories/projects';
import { DevicesRepository } from '../../db/repositories/devices';
import { projectStateQuery, type ProjectState } from '../../workflows/projectDelivery.messages';
import type { AuditTarget } from '../audit';
import { apiModule, type ApiDeps } from '../module';
import { defineRoute } from '../route';
import { PROJECT_ACTORS, projectOr404 } from './steps';
import { createProject } from './create';
import * as s from './schemas';

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function projectSummary(project: Project) {
  return {
    id: project.id,
    workflowId: project.workflowId!,
    stage: project.stage,
    contractNo: project.contractNo,
    name: project.name,
    customerId: project.customerId,
    projectManager: project.projectManager,
    projectManagerUserId: project.projectManagerUserId,
    createdAt: project.createdAt.toISOString(),
  };
}

/** The live process state, or null when the engine does not answer in time (the stored records still do). */
async function liveState(deps: ApiDeps, project: Project): Promise<ProjectState | null> {
  if (!deps.temporal || !project.workflowId) return null;
  const { client } = deps.temporal;
  try {
    return await client.connection.withDeadline(Date.now() + 3000, () => client.workflow.getHandle(project.workflowId!).query(projectStateQuery));
  } catch {
    return null;
  }
}

const create = defineRoute(
  {
    method: 'post',
    path: '/projects',
    roles: [...PROJECT_ACTORS],
    access: { rule: 'collection', resource: 'project', action: 'act' },
    summary: 'Start an installation project (the same contractNo again returns the existing project)',
    tags: ['projects'],
    body: s.CreateProjectBody,
    responses: {
      201: { description: 'Started', body: s.ProjectSummarySchema },
      200: { description: 'A project with this contract number already exists: it is returned, no second process starts', body: s.ProjectSummarySchema },
    },
    errors: { 403: 'A commercial policy term set by a role other than service_manager (details name the field)', 409: 'A device serial is already registered, or the contract number is another manager’s project', 503: 'The process engine is not reachable; nothing was recorded' },
  },
  async ({ body, user, deps, res }) => {
    const { project, created } = await createProject(deps, body, user);
    res.locals.audit = { entityType: 'project', entityId: project.id } satisfies AuditTarget;
    return created ? { status: 201, body: projectSummary(project) } : { status: 200, body: projectSummary(project) };
  },
);

const list = defineRoute(
  {
    method: 'get',
    path: '/projects',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'project', action: 'read' },
    summary: 'List the projects the caller may read, optionally by stage',
    tags: ['projects'],
    query: s.ListProjectsQuery,
    responses: { 200: { description: 'Projects, oldest first', body: s.ProjectListSchema } },
  },
  async ({ query, scope, deps }) => {
    const projects = await new ProjectsRepository(deps.knex).list({ ...query, scope });
    return { status: 200, body: { projects: projects.map(projectSummary) } };
  },
);

const detail = defineRoute(
  {
    method: 'get',
    path: '/projects/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'project', action: 'read' },
    summary: 'A project: stage, timeline, devices with warranty dates, trial run, DOA cases, pending deadlines',
    tags: ['projects'],
    params: s.ProjectIdParams,
    responses: { 200: { description: 'The project', body: s.ProjectDetailSchema } },
    errors: { 404: 'No such project' },
  },
  async ({ params, deps }) => {
    const project = await projectOr404(deps, params.id);
    const repo = new ProjectsRepository(deps.knex);
    const [timeline, devices, issues, doaCases, live] = await Promise.all([
      repo.timeline(project.id),
      new DevicesRepository(deps.knex).listByProject(project.id),
      repo.trialIssues(project.id),
      repo.doaCases(project.id),
      liveState(deps, project),
    ]);
    return {
      status: 200,
      body: {
        ...projectSummary(project),
        serviceManager: project.serviceManager,
        qualityScore: project.qualityScore,
        milestones: {
          installationCompletedAt: iso(project.installationCompletedAt),
          initialAcceptedAt: iso(project.initialAcceptedAt),
          finalAcceptedAt: iso(project.finalAcceptedAt),
          completedAt: iso(project.completedAt),
        },
        cancelReason: project.cancelReason,
        timeline: timeline.map((e) => ({ at: e.at.toISOString(), kind: e.kind, summary: e.summary, actor: e.actor?.name ?? null })),
        devices: devices.map((d) => ({ serial: d.serial, model: d.model, brand: d.brand, warrantyStartsAt: iso(d.warrantyStartsAt), warrantyEndsAt: iso(d.warrantyEndsAt) })),
        trial: live?.trial ?? (project.trialStartedAt ? { startedAt: iso(project.trialStartedAt), endsAt: iso(project.trialEndsAt), extensions: project.trialExtensions } : null),
        trialIssues: issues.map((i) => ({ id: i.issueKey, title: i.title, description: i.description, round: i.round, loggedAt: i.loggedAt.toISOString(), resolvedAt: iso(i.resolvedAt), resolution: i.resolution })),
        doaCases: doaCases.map((c) => ({ ...c, shipBy: iso(c.shipBy), shippedAt: iso(c.shippedAt), receivedAt: iso(c.receivedAt), returnDue: iso(c.returnDue), returnedAt: iso(c.returnedAt), updatedAt: c.updatedAt.toISOString() })),
        deadlines: live?.deadlines ?? [],
        live: live !== null,
      },
    };
  },
);

export const projectReads = apiModule(create, list, detail);
