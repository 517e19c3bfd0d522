/**
 * The return calls' steps of a carePlan workflow (./carePlan.workflow.ts): a call answered (a
 * repair's call handed to its ticket as the survey), not answered (tried again, or given up and
 * escalated), a wrong number; and the follow-ups a call leaves for the service manager. Registered on
 * the plan's step kit by the workflow; workflow code, no I/O of its own.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { createCareActivities, RecordCareStepInput } from './activities';
import type { CallSurveyOutcome, CallSurveyRequest } from '../tickets/messages';
import { followUpReason, surveyComment } from './rules';
import { words, type Words } from '../../domain/words';
import type { ServicePolicy } from '../../domain/policy';
import { BACKGROUND_ACTIVITY, STEP_ACTIVITY } from '../../platform/workflowKit/activityOptions';
import type { Deadlines } from '../../platform/workflowKit/deadlines';
import { invalidStep, type Actor, type StepKit } from '../../platform/workflowKit/steps';
import { escalate, notify, type NoticeOptions, type NoticesBeside } from '../../platform/workflowKit/notify';
import type { Person } from '../delivery/messages';
import { completeCallUpdate, noAnswerCallUpdate, repairCallRound, wrongNumberCallUpdate, type CarePlanInput, type CarePlanState, type CareStepResult, type CompleteCallStep, type OpenCareTask } from './messages';

/** Care's own activities, and the ticket's that takes a repair's return call as its survey. */
type Activities = ReturnType<typeof createCareActivities> & { surveyTicketFromCall(request: CallSurveyRequest): Promise<CallSurveyOutcome> };

const steps = proxyActivities<Activities>(STEP_ACTIVITY);
const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

/** What the call steps share with the rest of the plan's workflow. */
export interface CareCallsContext {
  input: CarePlanInput;
  planId: number;
  /** The workflow's own state object: the steps read and change it. */
  state: CarePlanState;
  kit: StepKit;
  deadlines: Deadlines;
  care: () => ServicePolicy['care'];
  compute: (computation: Parameters<Activities['computeCare']>[0]['computation']) => ReturnType<Activities['computeCare']>;
  entry: (eventKey: string, kind: string, said: Words, options?: Partial<RecordCareStepInput> & { actor?: Actor; at?: string }) => RecordCareStepInput;
  openTask: (taskKey: string, visit: boolean) => OpenCareTask;
  answer: (taskKey: string, status: string, at: string, extra?: Partial<CareStepResult>) => CareStepResult;
  finish: (taskKey: string, at: string) => void;
  moveTask: (task: OpenCareTask, dueAt: string) => Promise<OpenCareTask>;
  chase: (key: string) => void;
  planRef: () => Record<string, unknown>;
  serviceManagers: () => Promise<Person[]>;
  noticeOptions: NoticeOptions;
  noticesBesideSteps: () => boolean;
  stepNotices: NoticesBeside;
}

export function registerCallSteps({ input, planId, state, kit, deadlines, care, compute, entry, openTask, answer, finish, moveTask, chase, planRef, serviceManagers, noticeOptions, noticesBesideSteps, stepNotices }: CareCallsContext): void {
  /** A follow-up for the service manager, with a deadline; answers the record's part of the step. */
  async function followUpOf(taskKey: string, reason: string, said: Words, at: string): Promise<NonNullable<RecordCareStepInput['followUp']>> {
    const dueAt = (await deadlines.add(at, care().followUpWithin)).at.toISOString();
    return { key: `${taskKey}:${reason}`, customerId: input.customerId, reason, words: said, dueAt, callTaskKey: taskKey };
  }

  async function announceFollowUp(followUp: NonNullable<RecordCareStepInput['followUp']>): Promise<void> {
    state.followUps += 1;
    await deadlines.open({ key: `care:${planId}:follow-up:${followUp.key}`, kind: 'care_follow_up', words: words('deadline.care.follow_up', { planId, reason: followUp.reason }) }, { at: new Date(followUp.dueAt), provisional: false });
    // Codes and what people typed only: the notice says them in each recipient's language (`reasonKey` → notice.care_<reason>).
    const said = followUp.words?.params ?? {};
    const context = { plan: planRef(), reasonKey: `care_${followUp.reason}`, call: followUp.callTaskKey ?? null, score: said.score ?? null, problems: said.problems ?? null, attempts: said.attempts ?? null, ticketId: said.ticketId ?? null, dueAt: followUp.dueAt };
    if (noticesBesideSteps()) stepNotices.send(serviceManagers().then((to) => notify(`follow-up:${followUp.key}`, 'care-follow-up', to, context, noticeOptions)));
    else await notify(`follow-up:${followUp.key}`, 'care-follow-up', await serviceManagers(), context, noticeOptions);
  }

  /** The record of a call answered: its outcome, the call row done and the try that reached someone. */
  function callDone(task: OpenCareTask, step: CompleteCallStep, at: string, said: Words): RecordCareStepInput {
    const outcome = { answers: step.answers, satisfaction: step.satisfaction, unsolvedProblem: step.unsolvedProblem ?? false, contactId: step.contactId ?? null };
    return entry(`${task.key}:done`, 'call_done', said, {
      actor: step.actor,
      at,
      data: outcome,
      call: { taskKey: task.key, patch: { status: 'done', doneAt: at, outcome, attempts: task.attempts + 1 } },
      attempt: { taskKey: task.key, attempt: task.attempts + 1, outcome: 'reached', contactId: step.contactId },
    });
  }

  kit.step(completeCallUpdate, {
    validate(step) {
      openTask(step.taskKey, false);
      if (!Number.isInteger(step.satisfaction) || step.satisfaction < 1 || step.satisfaction > 5) invalidStep(words('refusal.care.satisfaction'), 'satisfaction');
    },
    async apply(step, at) {
      const task = state.open[step.taskKey]!;
      if (task.ticketId !== undefined && patched('care-repair-call-survey')) return completeRepairCall(task, step, at);
      const reason = followUpReason({ satisfaction: step.satisfaction, unsolvedProblem: step.unsolvedProblem }, care());
      const followUp = reason ? await followUpOf(task.key, reason, reason === 'low_score' ? words('followUp.care.low_score', { key: task.key, score: step.satisfaction }) : words('followUp.care.unsolved_problem', { key: task.key, problems: step.answers.problems ?? '' }), at) : undefined;
      await steps.recordCareStep({ ...callDone(task, step, at, words('timeline.care.call_done', { key: task.key, score: step.satisfaction, followUp: reason ?? null })), ...(followUp ? { followUp } : {}) });
      finish(task.key, at);
      if (followUp) await announceFollowUp(followUp);
      return answer(task.key, 'done', at, { followUp: followUp !== undefined });
    },
  });

  /**
   * A repair's return call is its ticket's survey (P3 close → survey): the call is recorded done, then
   * its answers go to the ticket as the survey of that close, where a low score reopens the ticket
   * (until the customer is satisfied, 002). Only when the ticket cannot take them (its survey already
   * answered through the link, or the ticket reopened since) does a low score open a care follow-up.
   */
  async function completeRepairCall(task: OpenCareTask, step: CompleteCallStep, at: string): Promise<CareStepResult> {
    await steps.recordCareStep(callDone(task, step, at, words('timeline.care.repair_call_done', { key: task.key, score: step.satisfaction, ticketId: task.ticketId! })));
    finish(task.key, at);
    const comment = surveyComment(step.answers);
    const survey = await background.surveyTicketFromCall({
      ticketId: task.ticketId!,
      updateId: `care-call:${planId}:${task.key}`,
      step: { score: step.satisfaction, ...(comment ? { comment } : {}), ...(step.unsolvedProblem ? { notSatisfied: true } : {}), round: repairCallRound(task.key), actor: step.actor, occurredAt: at },
    });
    const reason = survey.taken ? null : followUpReason({ satisfaction: step.satisfaction, unsolvedProblem: step.unsolvedProblem }, care());
    const followUp = reason
      ? await followUpOf(task.key, reason, reason === 'low_score' ? words('followUp.care.repair_low_score', { key: task.key, ticketId: task.ticketId!, score: step.satisfaction }) : words('followUp.care.repair_unsolved_problem', { key: task.key, ticketId: task.ticketId!, problems: step.answers.problems ?? '' }), at)
      : undefined;
    // Why the ticket did not take it stays in the entry's data (the ticket's refusal).
    const said = survey.taken ? words('timeline.care.repair_call_survey_taken', { ticketId: task.ticketId!, reopened: survey.reopened ? 'yes' : 'no' }) : words('timeline.care.repair_call_survey_not_taken', { ticketId: task.ticketId!, followUp: reason ?? null });
    await background.recordCareStep(entry(`${task.key}:ticket-survey`, 'repair_call_survey', said, { actor: step.actor, at, data: { ticketId: task.ticketId, ...survey }, ...(followUp ? { followUp } : {}) }));
    if (followUp) await announceFollowUp(followUp);
    return answer(task.key, 'done', at, { followUp: followUp !== undefined, ticketSurvey: survey.taken ? (survey.reopened ? 'reopened' : 'surveyed') : 'not_taken' });
  }

  kit.step(noAnswerCallUpdate, {
    validate: (step) => void openTask(step.taskKey, false),
    async apply(step, at) {
      const task = state.open[step.taskKey]!;
      const attempts = task.attempts + 1;
      const attempt = { taskKey: task.key, attempt: attempts, outcome: 'no_answer' as const, contactId: step.contactId, note: step.note };
      if (attempts < care().callAttempts) {
        // Tried again the next working day (001); the call's ladder starts again from the new time.
        const retryAt = (await compute({ what: 'retry', at })).at!;
        const moved = { ...(await moveTask(task, retryAt)), attempts };
        await steps.recordCareStep(
          entry(`${task.key}:no-answer:${attempts}`, 'call_no_answer', words('timeline.care.call_no_answer', { key: task.key, attempt: attempts, attempts: care().callAttempts, retryAt }), {
            actor: step.actor,
            at,
            attempt,
            call: { taskKey: task.key, patch: { attempts, dueAt: moved.dueAt, windowEnd: moved.windowEnd, remindAt: moved.remindAt } },
          }),
        );
        state.open[task.key] = moved;
        state.lastStepAt = at;
        chase(task.key);
        return answer(task.key, 'due', at, { dueAt: retryAt });
      }
      const followUp = await followUpOf(task.key, 'unreached', words('followUp.care.unreached', { key: task.key, attempts }), at);
      await steps.recordCareStep(
        entry(`${task.key}:no-answer:${attempts}`, 'call_unreached', words('timeline.care.call_unreached', { key: task.key, attempts }), {
          actor: step.actor,
          at,
          attempt,
          call: { taskKey: task.key, patch: { status: 'unreached', attempts, doneAt: at } },
          followUp,
        }),
      );
      finish(task.key, at);
      // What was missed, said in each recipient's language (localizeContext turns `missedWords` into `missed`).
      const missed = { missedWords: words('notice.care.missed', { task: 'call', customer: input.customerName }), dueAt: task.dueAt, responsibleName: step.actor.name };
      if (noticesBesideSteps()) stepNotices.send(escalate(`${task.key}:unreached`, undefined, missed, noticeOptions));
      else await escalate(`${task.key}:unreached`, undefined, missed, noticeOptions);
      await announceFollowUp(followUp);
      return answer(task.key, 'unreached', at, { followUp: true });
    },
  });

  kit.step(wrongNumberCallUpdate, {
    validate(step) {
      openTask(step.taskKey, false);
      if (!Number.isInteger(step.contactId)) invalidStep(words('refusal.care.contactId'), 'contactId');
    },
    async apply(step, at) {
      const task = state.open[step.taskKey]!;
      // The contact is flagged for correction; the call stays open for the others.
      await steps.recordCareStep(
        entry(`${task.key}:wrong-number:${step.contactId}:${at}`, 'call_wrong_number', words('timeline.care.call_wrong_number', { key: task.key, contactId: step.contactId }), {
          actor: step.actor,
          at,
          wrongNumberContactId: step.contactId,
          attempt: { taskKey: task.key, attempt: task.attempts + 1, outcome: 'wrong_number', contactId: step.contactId, note: step.note },
          call: { taskKey: task.key, patch: { attempts: task.attempts + 1 } },
        }),
      );
      state.open[task.key] = { ...task, attempts: task.attempts + 1 };
      state.lastStepAt = at;
      return answer(task.key, 'due', at);
    },
  });
}
