/**
 * A project's steps as use cases: the payload a step sends its workflow (who, when), and the update
 * itself. The step routes and the console's step forms both go through here.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { ProjectsRepository, type Project } from '../repository';
import type { User } from '../../../people/repository';
import type { Actor } from '../messages';
import { unavailable } from '../../../platform/http/errors';
import { NotFoundError } from '../../../platform/db/errors';
import { words, type Words } from '../../../domain/words';
import type { ApiDeps } from '../../../platform/http/module';
import { z } from '../../../platform/http/zod';
import { stepFailureToApi } from '../../../platform/temporal/processStarts';

/** Project managers and service managers act; everyone else reads. */
export const PROJECT_ACTORS = ['project_manager', 'service_manager'] as const;

export const actorOf = (user: User): Actor => ({ userId: user.id, name: user.name, role: user.role });

export async function projectOr404(deps: ApiDeps, id: number): Promise<Project> {
  const project = await new ProjectsRepository(deps.knex).get(id);
  if (!project) throw new NotFoundError(words('refusal.project.noProject', { id }));
  return project;
}

// Each update is typed by its own payload; the route only forwards it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyUpdate = UpdateDefinition<any, [any]>;

/** When a step happened; the API's receipt time unless the caller says otherwise (back-dating). */
const StepTime = z.object({
  occurredAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 instant with a zone, e.g. 2026-11-24T09:30:00+08:00' })
    .optional()
    .openapi({ description: 'When the step happened (default: when the API received it). Never in the future; at most the policy’s steps.backdateWithin (default P7D) back, and not before the previous step.' }),
});

export function withStepTime<B extends z.ZodType>(body: B): z.ZodType {
  return (body as unknown as z.ZodObject).extend(StepTime.shape);
}

/** The step as the workflow takes it: the body, who, and when it happened. */
export function stepPayload(body: unknown, user: User, receivedAt: Date): Record<string, unknown> {
  const { occurredAt, ...rest } = body as { occurredAt?: string };
  return { ...rest, actor: actorOf(user), occurredAt: occurredAt ? new Date(occurredAt).toISOString() : receivedAt.toISOString() };
}

export async function runUpdate(deps: ApiDeps, workflowId: string, update: AnyUpdate, payload: unknown, closedMessage: string | Words, updateId: string | undefined): Promise<Record<string, unknown>> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  try {
    return (await deps.temporal.client.workflow.getHandle(workflowId).executeUpdate(update, { args: [payload], ...(updateId ? { updateId } : {}) })) as Record<string, unknown>;
  } catch (error) {
    throw await stepFailureToApi(deps.knex, error, closedMessage);
  }
}

