/** Who manages a project: the service manager hands it to another project manager. */
import type { AuditTarget } from '../../../platform/http/audit';
import { defineRoute } from '../../../platform/http/route';
import { handProjectTo } from '../useCases/assign';
import { projectSummary } from './read';
import * as s from '../useCases/schemas';

export const assignProjectManager = defineRoute(
  {
    method: 'post',
    path: '/projects/:id/assign',
    roles: ['service_manager'],
    access: { rule: 'record', resource: 'project', action: 'assign' },
    summary: 'Hand the project to another project manager (the user who reads and acts on it, and its contact)',
    description:
      'The project’s stored contact becomes the new manager’s, and the running process (with its trial run and DOA cases) sends its notices to them from now on.',
    tags: ['projects'],
    params: s.ProjectIdParams,
    body: s.AssignProjectBody,
    responses: { 200: { description: 'The project with its new manager', body: s.ProjectSummarySchema } },
    errors: { 404: 'No such project' },
  },
  async ({ params, body, deps, res }) => {
    const project = await handProjectTo(deps, params.id, body.projectManagerUserId);
    res.locals.audit = { entityType: 'project', entityId: params.id } satisfies AuditTarget;
    return { status: 200, body: projectSummary(project) };
  },
);
