/** Who manages a project: the service manager hands it to another project manager. */
import { ProjectAccessRepository } from '../projectAccess';
import { ProjectsRepository } from '../repository';
import type { Project } from '../projectRecords';
import { UsersRepository } from '../../../people/repository';
import { PROJECT_MANAGER_ROLES } from '../../../domain/access';
import { validationFailed } from '../../../platform/http/errors';
import type { ApiDeps } from '../../../platform/http/module';
import { projectManagerChangedSignal } from '../../../platform/workflowKit/messages';

/**
 * The project's stored contact becomes the new manager's, and the running process (with its trial run
 * and DOA cases) sends its notices to them from now on. Answers the project as it now stands.
 */
export async function handProjectTo(deps: ApiDeps, projectId: number, managerUserId: number): Promise<Project> {
  const manager = await new UsersRepository(deps.knex).get(managerUserId);
  if (!manager || !manager.active || !PROJECT_MANAGER_ROLES.includes(manager.role)) {
    throw validationFailed([{ field: 'projectManagerUserId', message: `user ${managerUserId} is not an active project manager` }]);
  }
  await new ProjectAccessRepository(deps.knex).assignManager(projectId, { id: manager.id, name: manager.name, email: manager.email, locale: manager.locale });
  const project = (await new ProjectsRepository(deps.knex).get(projectId))!;
  // The process learns of it too; a closed process sends no more notices, so a failure here changes nothing.
  if (deps.temporal && project.workflowId) {
    await deps.temporal.client.workflow
      .getHandle(project.workflowId)
      .signal(projectManagerChangedSignal, { name: manager.name, email: manager.email, locale: manager.locale })
      .catch(() => undefined);
  }
  return project;
}
