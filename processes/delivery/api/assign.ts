/** Who manages a project: the service manager hands it to another project manager. */
import { ProjectAccessRepository } from '../projectAccess';
import { ProjectsRepository } from '../repository';
import { UsersRepository } from '../../../people/repository';
import { PROJECT_MANAGER_ROLES } from '../../../domain/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { validationFailed } from '../../../platform/http/errors';
import { defineRoute } from '../../../platform/http/route';
import { projectManagerChangedSignal } from '../../../platform/workflowKit/messages';
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
    const manager = await new UsersRepository(deps.knex).get(body.projectManagerUserId);
    if (!manager || !manager.active || !PROJECT_MANAGER_ROLES.includes(manager.role)) {
      throw validationFailed([{ field: 'projectManagerUserId', message: `user ${body.projectManagerUserId} is not an active project manager` }]);
    }
    await new ProjectAccessRepository(deps.knex).assignManager(params.id, { id: manager.id, name: manager.name, email: manager.email, locale: manager.locale });
    res.locals.audit = { entityType: 'project', entityId: params.id } satisfies AuditTarget;
    const project = (await new ProjectsRepository(deps.knex).get(params.id))!;
    // The process learns of it too; a closed process sends no more notices, so a failure here changes nothing.
    if (deps.temporal && project.workflowId) {
      await deps.temporal.client.workflow
        .getHandle(project.workflowId)
        .signal(projectManagerChangedSignal, { name: manager.name, email: manager.email, locale: manager.locale })
        .catch(() => undefined);
    }
    return { status: 200, body: projectSummary(project) };
  },
);
