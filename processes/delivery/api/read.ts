import type { Project } from '../projectRecords';
import { listProjects, projectRecords } from '../useCases/read';
import type { AuditTarget } from '../../../platform/http/audit';
import { apiModule } from '../../../platform/http/module';
import { oncePerKey } from '../../../platform/http/idempotency';
import { defineRoute } from '../../../platform/http/route';
import { PROJECT_ACTORS, projectOr404 } from '../useCases/steps';
import { createProject } from '../useCases/create';
import * as s from '../useCases/schemas';
import { trialView } from '../useCases/trialView';
import { readerLocale } from '../../../platform/http/problemMessages';
import { say } from '../../../platform/i18n/catalogue';
import { words } from '../../../domain/words';

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
    errors: { 403: 'A commercial policy term set by a role other than service_manager (details name the field)', 409: 'A device serial is already registered, or the contract number is another manager’s project', 503: 'No process engine configured; nothing was recorded' },
    idempotent: true,
  },
  async ({ body, deps, res, req, user, idempotencyKey }) => {
    const reply = await oncePerKey(deps, user, idempotencyKey, req, async () => {
      const { project, created } = await createProject(deps, body, user);
      return { status: created ? 201 : 200, body: projectSummary(project) } as const;
    });
    const summary = reply.body as ReturnType<typeof projectSummary>;
    res.locals.audit = { entityType: 'project', entityId: summary.id } satisfies AuditTarget;
    return reply.status === 201 ? { status: 201, body: summary } : { status: 200, body: summary };
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
    const projects = await listProjects(deps, { ...query, scope });
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
  async ({ params, deps, req, user }) => {
    const project = await projectOr404(deps, params.id);
    // What the timeline and the deadlines say, in the reader's language (a row stored before words keeps its sentence).
    const locale = readerLocale(req, user);
    const { timeline, devices, issues, doaCases, deadlines } = await projectRecords(deps, project);
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
        timeline: timeline.map((e) => ({ at: e.at.toISOString(), kind: e.kind, summary: say(locale, e.words, e.summary), actor: e.actor?.name ?? null })),
        devices: devices.map((d) => ({ serial: d.serial, model: d.model, brand: d.brand, warrantyStartsAt: iso(d.warrantyStartsAt), warrantyEndsAt: iso(d.warrantyEndsAt) })),
        trial: trialView(project, timeline),
        trialIssues: issues.map((i) => ({ id: i.issueKey, title: i.title, description: i.description, round: i.round, loggedAt: i.loggedAt.toISOString(), resolvedAt: iso(i.resolvedAt), resolution: i.resolution })),
        doaCases: doaCases.map((c) => ({ ...c, exclusion: c.exclusion === null ? null : say(locale, words('exclusion.doa', { cause: c.cause }), c.exclusion), shipBy: iso(c.shipBy), shippedAt: iso(c.shippedAt), receivedAt: iso(c.receivedAt), returnDue: iso(c.returnDue), returnedAt: iso(c.returnedAt), updatedAt: c.updatedAt.toISOString() })),
        deadlines: deadlines.map((d) => ({ kind: d.kind, dueAt: d.dueAt.toISOString(), description: say(locale, d.words, d.description), key: d.key, provisional: d.provisional, lastRung: d.lastRung })),
      },
    };
  },
);

export const projectReads = apiModule(create, list, detail);
