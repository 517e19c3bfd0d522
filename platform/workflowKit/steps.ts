/**
 * The step kit: how every process takes a person's step.
 *
 * - Steps and the process's own transitions run one at a time (a mutex per workflow, the SDK's
 *   documented pattern for handlers that await), so two answers to the same step cannot both apply.
 * - Each step is judged twice: by the update's validator (a bad step never enters history) and again
 *   once it holds the lock, because the state may have moved while it waited.
 * - A step is written first (one activity, one transaction) and applied to the workflow's state only
 *   after that succeeded: a recording that fails for good leaves the process as it was.
 * - Steps carry when they happened (`occurredAt`), checked against the policy's back-dating window.
 */
import { wordsAsText, type Words } from '../../domain/words';
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { recordedInstant, stepTimeProblem } from '../../domain/steps';

/** Who took a step (a user of the API). */
export interface Actor {
  userId: number;
  name: string;
  role: string;
}

/** The timeline event every recorded step or transition writes, whatever the process (once per event key). */
export interface TimelineEntry {
  eventKey: string;
  kind: string;
  at: string;
  actor?: Actor;
  summary: string;
  data?: unknown;
}

/** What every step payload carries. */
export interface StepMeta {
  actor: Actor;
  /** When it happened, ISO-8601; the API fills in when it received the step. */
  occurredAt: string;
}

/** Wrong stage or order, or already done: the API answers 409. */
/**
 * Refuses a step that does not fit the record's state (the API answers 409). Given words, the refusal
 * is said in the reader's language; its message is then the words as text.
 */
export function rejectStep(reason: string | Words): never {
  if (typeof reason === 'string') throw ApplicationFailure.create({ type: 'StepRejected', message: reason, nonRetryable: true });
  throw ApplicationFailure.create({ type: 'StepRejected', message: wordsAsText(reason), nonRetryable: true, details: [{ words: reason }] });
}

/** Bad content; `field` names the request field at fault for the API's 400 answer. */
export function invalidStep(reason: string | Words, field = ''): never {
  const message = typeof reason === 'string' ? reason : wordsAsText(reason);
  throw ApplicationFailure.create({ type: 'InvalidStep', message, nonRetryable: true, details: [typeof reason === 'string' ? { field } : { field, words: reason }] });
}

export interface StepSpec<S extends StepMeta, R> {
  /** Synchronous, no side effects: throws rejectStep/invalidStep. */
  validate(step: S): void;
  /** Records the step (an activity), then applies it to the state, then answers a compact result. */
  apply(step: S, at: string): Promise<R>;
}

export class StepKit<Status = string> {
  private readonly lock = new Mutex();
  /** The status a step being recorded moves the record to (see `enter`). */
  private entering: Status | undefined;

  /** `lastStepAt`: when the last step that moved the process happened; a later one may not say it came before. */
  constructor(private readonly options: { backdateWithin: string; lastStepAt: () => string | undefined }) {}

  /** Runs `work` with no step and no other transition in between. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.lock.runExclusive(work);
  }

  /**
   * Marks `status` as the one a step or transition being recorded moves the record to, until the
   * returned function is called (in a `finally` around the recording activity). The record's row
   * shows that status before the workflow applies it, so a step sent in that moment is judged against
   * it as well (`allows`); under the lock it is judged again once the first step is applied, or failed.
   * A plain mark rather than a wrapper around the activity: an extra `await` layer would reorder the
   * workflow's commands against histories already recorded.
   */
  enter(status: Status | undefined): () => void {
    this.entering = status;
    return () => {
      this.entering = undefined;
    };
  }

  /** `enter(status)` around `record`, for processes written on the kit from the start. */
  async recording<T>(status: Status | undefined, record: () => Promise<T>): Promise<T> {
    const leave = this.enter(status);
    try {
      return await record();
    } finally {
      leave();
    }
  }

  /** Whether `fits` holds for the current status or, while one is being recorded, for the status being entered. */
  allows(current: Status, fits: (status: Status) => boolean): boolean {
    return fits(current) || (this.entering !== undefined && fits(this.entering));
  }

  /** Registers a step as an update: validated, serialized, recorded, then applied. */
  step<S extends StepMeta, R>(update: UpdateDefinition<R, [S]>, spec: StepSpec<S, R>): void {
    // Stage and order first: of two people taking the same step at once, the second hears it is done (409).
    const judge = (step: S) => {
      spec.validate(step);
      const problem = stepTimeProblem(step.occurredAt, new Date(), this.options.backdateWithin, this.options.lastStepAt());
      if (problem) invalidStep(problem, 'occurredAt');
    };
    setHandler(
      update,
      (step: S) =>
        this.exclusive(async () => {
          judge(step);
          return spec.apply(step, recordedInstant(step.occurredAt, new Date()));
        }),
      { validator: judge },
    );
  }
}
