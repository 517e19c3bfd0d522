import type { Knex } from 'knex';
import type { Scope } from '../../domain/access';
import type { Person } from './messages';
import { NotFoundError } from '../../platform/db/errors';
import { words } from '../../domain/words';
import { whereInScope } from '../../platform/db/scope';
import { PROJECT_SCOPE_COLUMNS } from './repository';

/** Who a project belongs to and who manages it: the user side of project access (domain/access.ts). */
export class ProjectAccessRepository {
  constructor(private readonly db: Knex) {}

  /** Records the project_manager user who manages the project; the pm_* contact is left as given. */
  async setManagerUser(projectId: number, userId: number, now: Date = new Date()): Promise<void> {
    const changed = await this.db('projects').where({ id: projectId }).update({ project_manager_user_id: userId, updated_at: now });
    if (changed === 0) throw new NotFoundError(words('refusal.project.notFound', { id: projectId }), { projectId });
  }

  /** Hands the project to another manager: their user and, for the records and later notices, their contact. */
  async assignManager(projectId: number, manager: { id: number } & Person, now: Date = new Date()): Promise<void> {
    const changed = await this.db('projects')
      .where({ id: projectId })
      .update({ project_manager_user_id: manager.id, pm_name: manager.name, pm_email: manager.email, pm_locale: manager.locale ?? null, updated_at: now });
    if (changed === 0) throw new NotFoundError(words('refusal.project.notFound', { id: projectId }), { projectId });
  }

  /** Projects per stage among those the scope admits. */
  async stageCounts(scope: Scope): Promise<Map<string, number>> {
    const query = this.db('projects').select('stage').count({ n: '*' }).groupBy('stage');
    const rows = (await whereInScope(query, scope, PROJECT_SCOPE_COLUMNS)) as Array<{ stage: string; n: number | string }>;
    return new Map(rows.map((row) => [row.stage, Number(row.n)]));
  }
}
