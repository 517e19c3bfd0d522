import { ApplicationFailure } from '@temporalio/common';
import { NotFoundError } from '../db/errors';
import { CustomersRepository } from '../db/repositories/customers';
import { DevicesRepository } from '../db/repositories/devices';
import { parseInstant, ProjectsRepository, type ProjectPatch } from '../db/repositories/projects';
import type { Actor, DoaState, Person, TrialIssue } from '../workflows/projectDelivery.messages';
import type { ActivityDeps } from './deps';

export interface RecordProjectEventInput {
  projectId: number;
  eventKey: string;
  kind: string;
  at: string;
  actor?: Actor;
  summary: string;
  data?: unknown;
  patch: ProjectPatch | Record<string, unknown>;
}

/** customers.flag_reason is VARCHAR(500). */
const FLAG_REASON_LENGTH = 500;

/**
 * Input that can never be written (a malformed instant, an unknown stage) fails the activity for
 * good instead of retrying forever; a missing row stays retryable, since an operator can fix it.
 */
async function failOnBadInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RangeError) {
      throw ApplicationFailure.create({ type: 'InvalidActivityInput', message: error.message, nonRetryable: true, cause: error });
    }
    throw error;
  }
}

/**
 * What the delivery, trial-run and DOA workflows write to the store (PRODUCT §P1, §P2). Each one
 * is idempotent: a retry after the commit but before Temporal heard of it changes nothing.
 */
export function createProjectActivities(deps: ActivityDeps) {
  const customers = new CustomersRepository(deps.knex);

  return {
    /** The timeline event (once per event key) and the project row's new values, in one transaction. */
    async recordProjectEvent(input: RecordProjectEventInput): Promise<void> {
      await failOnBadInput(() =>
        deps.knex.transaction(async (trx) => {
          const projects = new ProjectsRepository(trx);
          await projects.addEvent(input.projectId, { eventKey: input.eventKey, kind: input.kind, at: input.at, actor: input.actor, summary: input.summary, data: input.data });
          // Applied even when the event was already there: equal values are not rewritten.
          await projects.applyPatch(input.projectId, input.patch ?? {}, deps.now());
        }),
      );
    },

    async saveTrialIssue(input: { projectId: number; issue: TrialIssue }): Promise<void> {
      await failOnBadInput(() => new ProjectsRepository(deps.knex).upsertTrialIssue(input.projectId, input.issue));
    },

    async saveDoaCase(input: { projectId: number; damage: { description: string; cause: string }; state: DoaState }): Promise<void> {
      await failOnBadInput(() => new ProjectsRepository(deps.knex).upsertDoaCase(input.projectId, { damage: input.damage, state: input.state }, deps.now()));
    },

    /** The warranty period on every device of the project (devices already carrying it are left alone). */
    async writeDeviceWarranty(input: { projectId: number; serials: string[]; startsAt: string; endsAt: string }): Promise<void> {
      await failOnBadInput(() =>
        new DevicesRepository(deps.knex).setWarranty(input.serials, parseInstant(input.startsAt, 'startsAt'), parseInstant(input.endsAt, 'endsAt'), deps.now()),
      );
    },

    /** The long-term customer file's acceptance date (PRODUCT §P1.8). */
    async recordCustomerAcceptance(input: { customerId: number; acceptedAt: string }): Promise<void> {
      await failOnBadInput(async () => {
        const acceptedAt = parseInstant(input.acceptedAt, 'acceptedAt');
        const customer = await customers.get(input.customerId);
        if (!customer) throw new NotFoundError(`Customer ${input.customerId} not found`, { customerId: input.customerId });
        if (customer.acceptanceDate?.getTime() === acceptedAt.getTime()) return;
        await customers.recordAcceptance(input.customerId, acceptedAt, deps.now());
      });
    },

    /** An unreturned or unacceptable DOA unit flags the account; service may be stopped (PRODUCT §P2). */
    async flagCustomerServiceStopped(input: { customerId: number; reason: string }): Promise<void> {
      const reason = input.reason.slice(0, FLAG_REASON_LENGTH);
      const customer = await customers.get(input.customerId);
      if (!customer) throw new NotFoundError(`Customer ${input.customerId} not found`, { customerId: input.customerId });
      if (customer.serviceStopped && customer.flagReason === reason) return;
      await customers.flagServiceStopped(input.customerId, reason, deps.now());
    },

    /** Escalation recipients when a project names no service manager: the active service managers. */
    async serviceManagerRecipients(): Promise<Person[]> {
      return new ProjectsRepository(deps.knex).activeServiceManagers();
    },
  };
}
