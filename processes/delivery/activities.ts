import type { TimelineEntry } from '../../platform/workflowKit/steps';
import { ApplicationFailure } from '@temporalio/common';
import { ConflictError, NotFoundError } from '../../platform/db/errors';
import { CustomersRepository } from '../../installedBase/customers';
import { DeadlinesRepository } from '../../schedule/deadlines/repository';
import { DevicesRepository } from '../../installedBase/devices';
import { parseInstant, ProjectsRepository, type ProjectPatch } from './repository';
import type { DoaState, Person, TrialIssue } from './messages';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';
import { noticeFailedEventKey, type NoticeFailureRecorder } from '../../platform/notices/activities';
import { words, type Words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';

/**
 * A timeline event as workflows hand it over: `words` (a catalogue key and its arguments), said in each
 * reader's language. `summary` is still accepted: activities scheduled by histories already running carry it.
 */
export interface ProjectTimelineEntry extends Omit<TimelineEntry, 'summary'> {
  words?: Words;
  summary?: string;
}

export interface RecordProjectEventInput extends ProjectTimelineEntry {
  projectId: number;
  patch: ProjectPatch | Record<string, unknown>;
}

/** The event as stored: an English summary (exports, logs) from its words, and the words themselves. */
function storedEvent(entry: { eventKey: string; kind: string; at: string; actor?: TimelineEntry['actor']; summary?: string; words?: Words; data?: unknown }) {
  return { eventKey: entry.eventKey, kind: entry.kind, at: entry.at, actor: entry.actor, summary: entry.summary ?? say('en', entry.words, entry.kind), words: entry.words ?? null, data: entry.data };
}

/**
 * One step of a project process, written whole in one transaction: its timeline event, the project
 * row's new values and whatever rows the step creates. The workflow applies the step to its state
 * only after this succeeded, so a step is on record whole or not at all.
 */
export interface RecordProjectStepInput extends RecordProjectEventInput {
  /** More timeline events of the same step (same actor and time), e.g. each leftover issue logged. */
  events?: { eventKey: string; kind: string; words?: Words; summary?: string; data?: unknown }[];
  trialIssues?: TrialIssue[];
  /** DOA cases opened by the step (unboxing), so the case answers before the child's first step. */
  doaCases?: { damage: { description: string; cause: string }; state: DoaState }[];
  /** A DOA case's new state (a DOA step). */
  doaCase?: { damage: { description: string; cause: string }; state: DoaState };
  /** A replacement unit shipped for a DOA case: a device of the project from now on. */
  replacementDevice?: { serial: string; model: string; brand?: string };
  /** Final acceptance: the warranty of every device of the project still in service. */
  warranty?: { startsAt: string; endsAt: string };
  /** Handover: the long-term customer file's acceptance date. */
  customerAcceptance?: { customerId: number; acceptedAt: string };
  /** A DOA charge: the account is flagged; service may be stopped (PRODUCT §P2). */
  flagCustomer?: { customerId: number; reason: string };
  /** A DOA charge reversed: the customer's flag is lifted. */
  unflagCustomer?: { customerId: number; reason: string };
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
    // Another record holds what this step would create (a replacement's serial): the step is refused, not retried.
    if (error instanceof ConflictError) {
      throw ApplicationFailure.create({ type: 'StepRejected', message: error.message, nonRetryable: true, details: error.words ? [{ words: error.words }] : [] });
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
          await projects.addEvent(input.projectId, storedEvent(input));
          // Applied even when the event was already there: equal values are not rewritten.
          await projects.applyPatch(input.projectId, input.patch ?? {}, deps.now());
        }),
      );
    },

    /** A step whole: event, project row, and what the step creates, or nothing at all. */
    async recordProjectStep(input: RecordProjectStepInput): Promise<void> {
      await failOnBadInput(() =>
        deps.knex.transaction(async (trx) => {
          const now = deps.now();
          const projects = new ProjectsRepository(trx);
          const { inserted } = await projects.addEvent(input.projectId, storedEvent(input));
          for (const more of input.events ?? []) await projects.addEvent(input.projectId, storedEvent({ ...more, at: input.at, actor: input.actor }));
          await projects.applyPatch(input.projectId, input.patch ?? {}, now);
          // A cancelled project owes nothing any more: its deadlines go with the same commit that shows it cancelled.
          if ((input.patch as { stage?: string } | undefined)?.stage === 'cancelled') await new DeadlinesRepository(trx).closeAllOfRecord('project', input.projectId, 'dropped', now);
          for (const issue of input.trialIssues ?? []) await projects.upsertTrialIssue(input.projectId, issue);
          for (const doa of input.doaCases ?? []) await projects.upsertDoaCase(input.projectId, doa, now);
          if (input.doaCase) await projects.upsertDoaCase(input.projectId, input.doaCase, now);
          const devices = new DevicesRepository(trx);
          if (input.replacementDevice && inserted) {
            const project = await projects.get(input.projectId);
            if (!project) throw new NotFoundError(words('refusal.project.notFound', { id: input.projectId }), { projectId: input.projectId });
            if (!(await devices.getBySerial(input.replacementDevice.serial))) {
              await devices.createMany(project.customerId, [{ ...input.replacementDevice, projectId: input.projectId }], now);
            }
          }
          if (input.warranty) {
            // A damaged unit that was replaced went back to the factory: its replacement carries the warranty.
            const replaced = new Set((await projects.doaCases(input.projectId)).filter((c) => c.replacementSerial).map((c) => c.serial));
            const serials = (await devices.listByProject(input.projectId)).map((d) => d.serial).filter((serial) => !replaced.has(serial));
            await devices.setWarranty(serials, parseInstant(input.warranty.startsAt, 'startsAt'), parseInstant(input.warranty.endsAt, 'endsAt'), now);
          }
          const customers = new CustomersRepository(trx);
          if (input.customerAcceptance) {
            const acceptedAt = parseInstant(input.customerAcceptance.acceptedAt, 'acceptedAt');
            const customer = await customers.get(input.customerAcceptance.customerId);
            if (!customer) throw new NotFoundError(words('refusal.project.customerNotFound', { id: input.customerAcceptance.customerId }), { customerId: input.customerAcceptance.customerId });
            if (customer.acceptanceDate?.getTime() !== acceptedAt.getTime()) await customers.recordAcceptance(customer.id, acceptedAt, now);
          }
          if (input.flagCustomer) {
            const reason = input.flagCustomer.reason.slice(0, FLAG_REASON_LENGTH);
            const customer = await customers.get(input.flagCustomer.customerId);
            if (!customer) throw new NotFoundError(words('refusal.project.customerNotFound', { id: input.flagCustomer.customerId }), { customerId: input.flagCustomer.customerId });
            if (!(customer.serviceStopped && customer.flagReason === reason)) await customers.flagServiceStopped(customer.id, reason, now);
          }
          if (input.unflagCustomer) {
            const customer = await customers.get(input.unflagCustomer.customerId);
            // Lift only the flag this case raised; another reason stays until its own case clears it.
            if (customer?.serviceStopped && customer.flagReason === input.unflagCustomer.reason.slice(0, FLAG_REASON_LENGTH)) await customers.clearServiceStopped(customer.id, now);
          }
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
        if (!customer) throw new NotFoundError(words('refusal.project.customerNotFound', { id: input.customerId }), { customerId: input.customerId });
        if (customer.acceptanceDate?.getTime() === acceptedAt.getTime()) return;
        await customers.recordAcceptance(input.customerId, acceptedAt, deps.now());
      });
    },

    /** An unreturned or unacceptable DOA unit flags the account; service may be stopped (PRODUCT §P2). */
    async flagCustomerServiceStopped(input: { customerId: number; reason: string }): Promise<void> {
      const reason = input.reason.slice(0, FLAG_REASON_LENGTH);
      const customer = await customers.get(input.customerId);
      if (!customer) throw new NotFoundError(words('refusal.project.customerNotFound', { id: input.customerId }), { customerId: input.customerId });
      if (customer.serviceStopped && customer.flagReason === reason) return;
      await customers.flagServiceStopped(input.customerId, reason, deps.now());
    },

    /** Escalation recipients when a project names no service manager: the active service managers. */
    async serviceManagerRecipients(): Promise<Person[]> {
      return new ProjectsRepository(deps.knex).activeServiceManagers();
    },
  };
}

/**
 * A notice about a project that can never go out is put on the project's timeline (the notices
 * worker calls this through the activities registry); a record that no longer exists has no timeline,
 * and the failed notice is still listed for the service managers.
 */
export function projectNoticeFailureRecorder(deps: ActivityDeps): NoticeFailureRecorder {
  return async (record, request, reason) => {
    if (record.type !== 'project') return;
    try {
      const said = words('timeline.notice.failed', { template: request.template, to: request.to.email, reason });
      // Said in each reader's language from its words; the English summary is for exports and rows read before words.
      await new ProjectsRepository(deps.knex).addEvent(record.id, {
        eventKey: noticeFailedEventKey(request.idempotencyKey),
        kind: 'notice_failed',
        at: deps.now().toISOString(),
        summary: say('en', said).slice(0, 1000),
        words: said,
        data: { idempotencyKey: request.idempotencyKey, template: request.template, to: request.to.email, reason },
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  };
}
