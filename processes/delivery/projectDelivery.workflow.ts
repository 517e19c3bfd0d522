/**
 * P1 project delivery: contract → kickoff → unboxing → installation → (initial acceptance) → trial run →
 * final acceptance → handover → warranty. Each step is an update taken through the step kit (one at a
 * time, recorded whole, then applied); every deadline comes from the contract's frozen policy, on the
 * calendar it names, and is a row the pages read.
 */
import {
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createProjectActivities, RecordProjectStepInput } from './activities';
import {
  doaCaseOf,
  firstProblem,
  handoverChecklistProblem,
  missingSignatures,
  qualityScore,
  qualityScoreProblems,
  stageAfterInstallation,
  stageReached,
  stepRejection,
  trialIssueEvents,
  unboxingProblems,
  warrantyLengthText,
  warrantyStart,
  type ProjectStage,
  type ProjectStep,
} from './rules';
import { doaReplacement } from './doaReplacement.workflow';
import { weeklyReportsWatch } from './projectDelivery.weeklyReports.workflow';
import { Deadlines } from '../../platform/workflowKit/deadlines';
import { projectManagerChangedSignal } from '../../platform/workflowKit/messages';
import { StepKit, invalidStep, rejectStep, type Actor } from '../../platform/workflowKit/steps';
import { notify, projectRef } from '../../platform/workflowKit/notify';
import {
  cancelUpdate,
  doaWorkflowId,
  finalAcceptanceUpdate,
  handoverUpdate,
  initialAcceptanceUpdate,
  installationCompleteUpdate,
  kickoffUpdate,
  projectStateQuery,
  resolveTrialIssueUpdate,
  trialIssuesChangedSignal,
  trialIssueUpdate,
  trialReportSubmittedSignal,
  trialReportUpdate,
  trialRunWorkflowId,
  unboxingUpdate,
  weeklyReportUpdate,
  type ProjectDeliveryInput,
  type ProjectState,
  type ProjectStepResult,
  type TrialIssue,
} from './messages';
import { STAGE_ATTRIBUTE } from '../../platform/temporal/searchAttributes';
import { trialRun } from './trialRun.workflow';
import { CARE_PLAN_WORKFLOW, projectCarePlanWorkflowId, type CarePlanBasisActivities, type CarePlanWorkflow } from '../care/messages';
import { STEP_ACTIVITY, BACKGROUND_ACTIVITY } from '../../platform/workflowKit/activityOptions';
import { words, type Words } from '../../domain/words';

type Activities = ReturnType<typeof createProjectActivities> & CarePlanBasisActivities;
const steps = proxyActivities<Activities>(STEP_ACTIVITY);
const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

function freshState(projectId: number): ProjectState {
  return { projectId, stage: 'awaiting_kickoff', milestones: {}, weeklyReports: 0, trialRound: 0, failedFinalAcceptances: 0, nextIssueNumber: 1, trialIssues: [], doaCases: [], handoverDone: false };
}

export async function projectDelivery(input: ProjectDeliveryInput): Promise<ProjectState> {
  const { policy } = input;
  const state: ProjectState = input.resume ?? freshState(input.projectId);
  const kit = new StepKit<ProjectStage>({ backdateWithin: policy.steps.backdateWithin, lastStepAt: () => state.lastStepAt });
  const deadlines = new Deadlines(policy.calendar, { type: 'project', id: input.projectId });
  let trialHandle: ChildWorkflowHandle<typeof trialRun> | undefined;
  const base = { projectName: input.name, contractNo: input.contractNo, projectId: input.projectId };
  const project = projectRef({ contractNo: input.contractNo, name: input.name, customerName: input.customer.name });
  const noticeOptions = { timeZone: input.customer.timeZone, actionPath: `/projects/${input.projectId}`, record: { type: 'project' as const, id: input.projectId } };
  const initialAcceptanceRequired = policy.delivery.initialAcceptanceRequired;
  const everyone = () => [input.projectManager, ...input.customer.contacts];

  function entry(eventKey: string, kind: string, said: Words, options: { actor?: Actor; at?: string; data?: unknown; patch?: Record<string, unknown> } = {}): RecordProjectStepInput {
    return { projectId: input.projectId, eventKey, kind, at: options.at ?? new Date().toISOString(), actor: options.actor, words: said, data: options.data, patch: options.patch ?? {} };
  }

  const reached = (stage: ProjectStage): boolean => stageReached(state.stage, stage);

  function moveTo(stage: ProjectStage): void {
    state.stage = stage;
    upsertSearchAttributes([{ key: STAGE_ATTRIBUTE, value: stage }]);
  }

  function result(at: string, extra: Partial<ProjectStepResult> = {}): ProjectStepResult {
    return { projectId: input.projectId, stage: state.stage, at, ...extra };
  }

  /** Records a step under the lock (steps and the process's own transitions only). */
  async function recordStep(record: RecordProjectStepInput, via: typeof steps = steps): Promise<void> {
    const leave = kit.enter((record.patch as { stage?: ProjectStage }).stage);
    try {
      await via.recordProjectStep(record);
    } finally {
      leave();
    }
  }

  /** A transition of the process itself (under the lock), retried until the database answers. */
  const recordStepInBackground = (record: RecordProjectStepInput) => recordStep(record, background);

  function refuseOutOfOrder(step: ProjectStep): void {
    const reason = stepRejection(state.stage, step, initialAcceptanceRequired);
    if (reason && !kit.allows(state.stage, (stage) => stepRejection(stage, step, initialAcceptanceRequired) === null)) rejectStep(reason);
  }

  /** Both sides' signatures on a document (`packing_list`, `test_record` named `name`, `initial_certificate`, `final_certificate`). */
  function requireSignatures(signatures: Parameters<typeof missingSignatures>[0], what: string, field = 'signatures', name = ''): void {
    const missing = missingSignatures(signatures, ['customer', 'company']);
    if (missing.length > 0) invalidStep(words('refusal.project.signatureMissing', { document: what, name, parties: missing.join(', ') }), field);
  }

  /** New issues numbered after the ones on record; `round` is the trial run that has to clear them. */
  function newIssues(items: { title: string; description?: string }[], at: string, round: number): TrialIssue[] {
    return items.map((item, i) => ({ id: `I${state.nextIssueNumber + i}`, title: item.title, description: item.description, loggedAt: at, round }));
  }

  function addIssues(issues: TrialIssue[]): void {
    state.trialIssues.push(...issues);
    state.nextIssueNumber += issues.length;
  }

  async function notifyIssuesChanged(): Promise<void> {
    if (!trialHandle || state.trial?.status !== 'running') return;
    const open = state.trialIssues.filter((i) => !i.resolvedAt).length;
    // The trial may have ended a moment ago; the issue is on record either way and goes to final acceptance.
    await trialHandle.signal(trialIssuesChangedSignal, { open }).catch(() => undefined);
  }

  // --- Steps ---------------------------------------------------------------------------------

  setHandler(projectStateQuery, () => state);

  // Assigned to another project manager: this process and its running children notify them from now on.
  setHandler(projectManagerChangedSignal, (manager) => {
    input.projectManager = manager;
    const children = [...state.doaCases.map((c) => c.workflowId), ...(trialHandle && state.trial?.status === 'running' ? [trialHandle.workflowId] : [])];
    for (const workflowId of children) void getExternalWorkflowHandle(workflowId).signal(projectManagerChangedSignal, manager).catch(() => undefined);
  });

  kit.step(kickoffUpdate, {
    validate(step) {
      refuseOutOfOrder('kickoff');
      if (step.acceptanceItems.length === 0) invalidStep(words('refusal.project.kickoffNeedsItems'), 'acceptanceItems');
    },
    async apply(step, at) {
      await recordStep(entry('kickoff', 'kickoff_recorded', words('timeline.project.kickoff_recorded', { meetingDate: step.meetingDate }), { actor: step.actor, at, data: step, patch: { stage: 'awaiting_unboxing' } }));
      state.lastStepAt = at;
      moveTo('awaiting_unboxing');
      return result(at);
    },
  });

  kit.step(unboxingUpdate, {
    validate(step) {
      refuseOutOfOrder('unboxing');
      const problems = unboxingProblems(step.items, input.devices.map((d) => d.serial));
      if (problems.length > 0) invalidStep(firstProblem(problems), 'items');
      requireSignatures(step.signatures, 'packing_list');
    },
    async apply(step, at) {
      const damaged = step.items.filter((i) => i.condition === 'damaged');
      // The cases are on record before this step answers, so their first step never finds nothing.
      const cases = damaged.map(doaCaseOf);
      await recordStep({
        ...entry('unboxing', 'unboxing_checked', words('timeline.project.unboxing_checked', { ok: step.items.length - damaged.length, damaged: damaged.length }), { actor: step.actor, at, data: step, patch: { stage: 'installing' } }),
        doaCases: cases,
      });
      state.lastStepAt = at;
      state.milestones.installingSince = at;
      moveTo('installing');
      for (const item of damaged) {
        const device = input.devices.find((d) => d.serial === item.serial)!;
        const workflowId = doaWorkflowId(input.projectId, item.serial);
        // Abandoned, not terminated, when the project ends: a replacement's return can outlive delivery.
        await startChild(doaReplacement, {
          workflowId,
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ ...base, device, damage: item.damage!, reportedAt: at, customer: input.customer, projectManager: input.projectManager, serviceManager: input.serviceManager, policy }],
        });
        state.doaCases.push({ serial: item.serial, workflowId, cause: item.damage!.cause });
      }
      return result(at, { doaCases: cases.map((c) => ({ serial: c.state.serial, status: c.state.status })) });
    },
  });

  kit.step(weeklyReportUpdate, {
    validate: () => refuseOutOfOrder('weeklyReport'),
    async apply(step, at) {
      const number = state.weeklyReports + 1;
      await recordStep(entry(`weekly-report:${number}`, 'weekly_report', words('timeline.project.weekly_report', { number, summary: step.summary }), { actor: step.actor, at, data: step }));
      state.weeklyReports = number;
      state.lastWeeklyReportAt = at;
      return result(at);
    },
  });

  kit.step(installationCompleteUpdate, {
    validate(step) {
      refuseOutOfOrder('installationComplete');
      step.testRecords.forEach((record, i) => requireSignatures(record.signatures, 'test_record', `testRecords.${i}.signatures`, record.name));
    },
    async apply(step, at) {
      const next = stageAfterInstallation(initialAcceptanceRequired);
      await recordStep(
        entry('installation-complete', 'installation_completed', words('timeline.project.installation_completed', { testRecords: step.testRecords.length }), { actor: step.actor, at, data: step, patch: { stage: next, installationCompletedAt: at } }),
      );
      state.lastStepAt = at;
      state.milestones.installationCompletedAt = at;
      moveTo(next);
      return result(at);
    },
  });

  kit.step(initialAcceptanceUpdate, {
    validate(step) {
      refuseOutOfOrder('initialAcceptance');
      if (step.items.length === 0) invalidStep(words('refusal.project.initialAcceptanceNeedsItems'), 'items');
      const failed = step.items.filter((i) => !i.passed || i.signedBy.trim() === '');
      if (failed.length > 0) invalidStep(words('refusal.project.itemsNotPassed', { items: failed.map((i) => i.name).join(', ') }), 'items');
      requireSignatures(step.signatures, 'initial_certificate');
    },
    async apply(step, at) {
      const installationCompletedAt = state.milestones.installationCompletedAt ?? at;
      // Leftover issues belong to the first trial run, which starts now.
      const issues = newIssues(step.leftoverIssues ?? [], at, Math.max(state.trialRound, 1));
      await recordStep({
        ...entry('initial-acceptance', 'initial_acceptance_passed', words('timeline.project.initial_acceptance_passed'), { actor: step.actor, at, data: step, patch: { stage: 'trial_run', installationCompletedAt, initialAcceptedAt: at } }),
        trialIssues: issues,
        events: trialIssueEvents(issues),
      });
      state.lastStepAt = at;
      state.milestones.installationCompletedAt = installationCompletedAt;
      state.milestones.initialAcceptedAt = at;
      addIssues(issues);
      moveTo('trial_run');
      await notifyIssuesChanged();
      return result(at, { issueIds: issues.map((i) => i.id) });
    },
  });

  kit.step(trialIssueUpdate, {
    validate: () => refuseOutOfOrder('trialIssue'),
    async apply(step, at) {
      const [issue] = newIssues([step], at, Math.max(state.trialRound, 1));
      await recordStep({ ...entry(`trial-issue:${issue!.id}`, 'trial_issue_logged', words('timeline.project.trial_issue_logged', { issue: issue!.id, title: step.title }), { actor: step.actor, at, data: issue }), trialIssues: [issue!] });
      addIssues([issue!]);
      await notifyIssuesChanged();
      return result(at, { issueIds: [issue!.id] });
    },
  });

  kit.step(resolveTrialIssueUpdate, {
    validate(step) {
      refuseOutOfOrder('resolveTrialIssue');
      const issue = state.trialIssues.find((i) => i.id === step.issueId);
      if (!issue) return invalidStep(words('refusal.project.noSuchIssue', { issue: step.issueId }), 'issueId');
      if (issue.resolvedAt) rejectStep(words('refusal.project.issueAlreadyResolved', { issue: step.issueId }));
    },
    async apply(step, at) {
      const issue = state.trialIssues.find((i) => i.id === step.issueId)!;
      const resolved: TrialIssue = { ...issue, resolvedAt: at, resolution: step.resolution };
      await recordStep({ ...entry(`trial-issue:${issue.id}:resolved`, 'trial_issue_resolved', words('timeline.project.trial_issue_resolved', { issue: issue.id, resolution: step.resolution }), { actor: step.actor, at, data: step }), trialIssues: [resolved] });
      Object.assign(issue, resolved);
      await notifyIssuesChanged();
      return result(at, { issueIds: [issue.id] });
    },
  });

  kit.step(trialReportUpdate, {
    validate() {
      refuseOutOfOrder('trialReport');
      if (!trialHandle || state.trial?.status !== 'running') rejectStep(words('refusal.project.trialNotStarted'));
    },
    async apply(step, at) {
      const trial = state.trial!;
      const number = (trial.reports ?? 0) + 1;
      await recordStep(entry(`trial-report:${trial.round}:${number}`, 'trial_report_submitted', words('timeline.project.trial_report_submitted'), { actor: step.actor, at, data: step }));
      trial.reports = number;
      trial.reportSubmittedAt = at;
      await trialHandle!.signal(trialReportSubmittedSignal, { at }).catch(() => undefined);
      return result(at);
    },
  });

  kit.step(finalAcceptanceUpdate, {
    validate(step) {
      refuseOutOfOrder('finalAcceptance');
      requireSignatures(step.signatures, 'final_certificate');
      if (step.passed) {
        if (!step.scores) return invalidStep(words('refusal.project.scoresMissing'), 'scores');
        const problems = qualityScoreProblems(step.scores);
        if (problems.length > 0) invalidStep(firstProblem(problems), 'scores');
      } else if (!step.issues?.length) {
        invalidStep(words('refusal.project.failedNeedsIssues'), 'issues');
      }
    },
    async apply(step, at) {
      if (step.passed) {
        const score = qualityScore(step.scores!);
        const startsAt = warrantyStart(policy.warranty.startsAt, { ...state.milestones, finalAcceptedAt: at });
        const endsAt = (await deadlines.add(startsAt, policy.warranty.length)).at.toISOString();
        const warranty = { startsAt, endsAt };
        await recordStep({
          ...entry('final-acceptance:passed', 'final_acceptance_passed', words('timeline.project.final_acceptance_passed', { score }), {
            actor: step.actor,
            at,
            data: step,
            patch: { stage: 'handover', finalAcceptedAt: at, qualityScore: score, warrantyStartsAt: startsAt, warrantyEndsAt: endsAt },
          }),
          warranty,
        });
        state.lastStepAt = at;
        state.milestones.finalAcceptedAt = at;
        state.qualityScore = score;
        state.warranty = warranty;
        moveTo('handover');
        return result(at, { warranty, qualityScore: score });
      }
      const failures = state.failedFinalAcceptances + 1;
      // The new issues belong to the trial run they go back to.
      const issues = newIssues(step.issues ?? [], at, state.trialRound + 1);
      await recordStep({
        ...entry(`final-acceptance:failed:${failures}`, 'final_acceptance_failed', words('timeline.project.final_acceptance_failed', { issues: issues.length }), { actor: step.actor, at, data: step, patch: { stage: 'trial_run' } }),
        trialIssues: issues,
        events: trialIssueEvents(issues),
      });
      state.lastStepAt = at;
      state.failedFinalAcceptances = failures;
      addIssues(issues);
      moveTo('trial_run');
      return result(at, { issueIds: issues.map((i) => i.id) });
    },
  });

  kit.step(handoverUpdate, {
    validate(step) {
      refuseOutOfOrder('handover');
      const checklistProblem = handoverChecklistProblem(step.documents);
      if (checklistProblem) invalidStep(checklistProblem, 'documents');
      if (missingSignatures(step.signatures, ['customer']).length > 0) invalidStep(words('refusal.project.handoverNeedsCustomerSignature'), 'signatures');
    },
    async apply(step, at) {
      await recordStep({
        ...entry('handover', 'handover_completed', words('timeline.project.handover_completed', { documents: step.documents.length, warrantyEndsAt: state.warranty!.endsAt }), { actor: step.actor, at, data: step, patch: { stage: 'completed', completedAt: at } }),
        customerAcceptance: { customerId: input.customer.id, acceptedAt: state.milestones.finalAcceptedAt! },
      });
      state.lastStepAt = at;
      state.handoverDone = true;
      moveTo('completed');
      return result(at);
    },
  });

  // --- Cancel ----------------------------------------------------------------------------------

  const delivery = new CancellationScope();
  let cancelledBy: Actor | undefined;

  kit.step(cancelUpdate, {
    validate(step) {
      refuseOutOfOrder('cancel');
      if (step.reason.trim() === '') invalidStep(words('refusal.project.cancelNeedsReason'), 'reason');
    },
    async apply(step, at) {
      await recordStep(entry('cancelled', 'project_cancelled', words('timeline.project.project_cancelled', { reason: step.reason }), { actor: step.actor, at, patch: { stage: 'cancelled', cancelReason: step.reason } }));
      state.lastStepAt = at;
      state.cancelReason = step.reason;
      cancelledBy = step.actor;
      moveTo('cancelled');
      delivery.cancel();
      return result(at);
    },
  });

  // --- The process -----------------------------------------------------------------------------

  const watchWeeklyReports = weeklyReportsWatch({ input, state, deadlines, project, noticeOptions, entry, continueAsNewWithState: () => continueAsNew<typeof projectDelivery>({ ...input, resume: state }) });

  async function runTrial(length: 'trialRun' | 'trialExtendBy'): Promise<void> {
    const round = state.trialRound + 1;
    const startsAt = (length === 'trialRun' ? (state.milestones.initialAcceptedAt ?? state.milestones.installationCompletedAt) : undefined) ?? new Date().toISOString();
    await kit.exclusive(async () => {
      const endsAt = (await deadlines.add(startsAt, policy.delivery[length])).at.toISOString();
      trialHandle = await startChild(trialRun, {
        workflowId: round === 1 ? trialRunWorkflowId(input.projectId) : `${trialRunWorkflowId(input.projectId)}-round-${round}`,
        args: [{ ...base, projectName: input.name, customerName: input.customer.name, timeZone: input.customer.timeZone, round, startsAt, length, openIssues: state.trialIssues.filter((i) => !i.resolvedAt).length, projectManager: input.projectManager, serviceManager: input.serviceManager, policy }],
      });
      // Running from the moment the child is: once the record says so, a report is accepted.
      state.trialRound = round;
      state.trial = { round, startedAt: startsAt, status: 'running' };
      await recordStepInBackground(entry(`trial:${round}:started`, 'trial_run_started', words('timeline.project.trial_run_started', { round }), { patch: { trialStartedAt: startsAt, trialEndsAt: endsAt, trialExtensions: 0 } }));
    });
    // An issue logged while the child was starting has not reached it yet.
    await notifyIssuesChanged();
    const ended = await trialHandle!.result();
    await kit.exclusive(async () => {
      const open = state.trialIssues.filter((i) => !i.resolvedAt).length;
      await recordStepInBackground(
        entry(`trial:${round}:ended`, 'trial_run_ended', words('timeline.project.trial_run_ended', { round, extensions: ended.extensions, open }), {
          data: ended,
          patch: { stage: 'final_acceptance', trialEndsAt: ended.endedAt, trialExtensions: ended.extensions },
        }),
      );
      state.trial!.status = 'ended';
      state.trial!.extensions = ended.extensions;
      moveTo('final_acceptance');
    });
  }

  async function deliver(): Promise<void> {
    upsertSearchAttributes([{ key: STAGE_ATTRIBUTE, value: state.stage }]);
    if (!input.resume) {
      await background.recordProjectStep(entry('started', 'project_started', words('timeline.project.project_started', { name: input.name, contractNo: input.contractNo })));
      await notify('started', 'project-started', everyone(), { project, projectManager: input.projectManager.name, startedAt: new Date().toISOString(), devices: input.devices.map(({ model, serial }) => ({ model, serial })) }, noticeOptions);
    }

    // Several steps can land in one activation, so wait for a stage reached, never for the stage itself.
    await condition(() => reached('installing'));
    // Both promises are awaited together so a cancelled watch is never an unhandled rejection.
    await Promise.all([watchWeeklyReports(), condition(() => reached('trial_run'))]);

    await runTrial('trialRun');
    while (!reached('handover')) {
      await condition(() => reached('handover') || state.stage === 'trial_run');
      if (!reached('handover')) await runTrial('trialExtendBy');
    }

    await condition(() => state.handoverDone);
    await notify('completed', 'project-completed', everyone(), {
      project,
      completedAt: new Date().toISOString(),
      warrantyPeriod: warrantyLengthText(policy.warranty.length),
      devices: input.devices.map(({ model, serial }) => ({ model, serial, warrantyStart: state.warranty!.startsAt, warrantyEnd: state.warranty!.endsAt })),
    }, noticeOptions);
    // Asset care (P4) takes over from final acceptance for years; it outlives the project's workflow.
    if (patched('care-plan-at-handover')) await startCarePlan();
  }

  /** The project's care plan, started once (its id is the project's): its devices, from final acceptance. */
  async function startCarePlan(): Promise<void> {
    const basis = await background.projectCarePlanBasis({ projectId: input.projectId });
    try {
      await startChild<CarePlanWorkflow>(CARE_PLAN_WORKFLOW, {
        workflowId: projectCarePlanWorkflowId(input.projectId),
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [{ ...basis, projectId: input.projectId, anchorAt: state.warranty!.startsAt, warrantyEndsAt: state.warranty!.endsAt, policy }],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  try {
    await delivery.run(deliver);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    await CancellationScope.nonCancellable(async () => {
      // An operator's cancel of the whole workflow arrives here without a cancel step: record it now.
      if (state.stage !== 'cancelled') {
        await kit.exclusive(async () => {
          const reason = 'cancelled by an operator';
          await recordStepInBackground(entry('cancelled', 'project_cancelled', words('timeline.project.project_cancelled_by_operator'), { patch: { stage: 'cancelled', cancelReason: reason } }));
          state.cancelReason = reason;
          moveTo('cancelled');
        });
      }
      // DOA children were started from update handlers, outside the delivery scope: cancel them by id.
      for (const doa of state.doaCases) {
        await getExternalWorkflowHandle(doa.workflowId).cancel().catch(() => undefined);
      }
      if (state.trial) state.trial.status = 'ended';
      await deadlines.closeAll('dropped');
      await notify('cancelled', 'project-cancelled', everyone(), { project, cancelledAt: new Date().toISOString(), cancelledBy: cancelledBy?.name ?? 'operator', reason: state.cancelReason! }, noticeOptions);
    });
  }
  await condition(allHandlersFinished);
  return state;
}
