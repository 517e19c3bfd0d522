/** Reading projects, for the API's routes (the console pages read through their own views of the same repository). */
import { ProjectsRepository, type ProjectListFilter } from '../repository';
import type { Project } from '../projectRecords';
import { DeadlinesRepository } from '../../../schedule/deadlines/repository';
import { DevicesRepository } from '../../../installedBase/devices';
import { NotFoundError } from '../../../platform/db/errors';
import { words } from '../../../domain/words';
import type { ApiDeps } from '../../../platform/http/module';

export function listProjects(deps: ApiDeps, filter: ProjectListFilter): Promise<Project[]> {
  return new ProjectsRepository(deps.knex).list(filter);
}

/** Everything a project's page shows besides its row, from the database: a read never waits for a busy worker. */
export async function projectRecords(deps: ApiDeps, project: Project) {
  const repo = new ProjectsRepository(deps.knex);
  const [timeline, devices, issues, doaCases, deadlines] = await Promise.all([
    repo.timeline(project.id),
    new DevicesRepository(deps.knex).listByProject(project.id),
    repo.trialIssues(project.id),
    repo.doaCases(project.id),
    new DeadlinesRepository(deps.knex).forRecord('project', project.id),
  ]);
  return { timeline, devices, issues, doaCases, deadlines };
}

/** A project's DOA case by the damaged unit's serial; 404 when the project has none. */
export async function doaCaseOf(deps: ApiDeps, projectId: number, serial: string) {
  const found = (await new ProjectsRepository(deps.knex).doaCases(projectId)).find((c) => c.serial === serial);
  if (!found) throw new NotFoundError(words('refusal.doa.noCase', { serial, id: projectId }));
  return found;
}
