/**
 * P1 project delivery: contract → kickoff → unboxing → installation → (initial acceptance) → trial run →
 * final acceptance → handover → warranty. Each step is an update validated against the current stage;
 * every deadline (weekly report, trial report) is a timer from the contract's frozen policy.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  PROJECT_STAGES,
  missingSignatures,
  qualityScore,
  qualityScoreProblems,
  stageAfterInstallation,
  stepRejection,
  unboxingProblems,
  warrantyPeriod,
  weeklyReportLadder,
  type ProjectStage,
  type ProjectStep,
} from '../domain/delivery';
import { addDuration, subtractDuration } from '../domain/duration';
import { doaReplacement } from './doaReplacement';
import { escalate, msUntil, notify, projectRef } from './notify';
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
  trialProgressSignal,
  trialReportUpdate,
  trialRunWorkflowId,
  unboxingUpdate,
  weeklyReportUpdate,
  type Actor,
  type ProjectDeliveryInput,
  type ProjectState,
  type TrialIssue,
  type TrialIssueStep,
  type CancelStep,
  type FinalAcceptanceStep,
  type HandoverStep,
  type InitialAcceptanceStep,
  type InstallationCompleteStep,
  type KickoffStep,
  type ResolveTrialIssueStep,
  type UnboxingStep,
  type TrialReportStep,
  type WeeklyReportStep,
} from './projectDelivery.messages';
import { STAGE_ATTRIBUTE } from './searchAttributes';
import { trialRun } from './trialRun';

const { recordProjectEvent, saveTrialIssue, writeDeviceWarranty, recordCustomerAcceptance } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const INSTALLATION_STAGES: ProjectStage[] = ['installing', 'initial_acceptance'];

export async function projectDelivery(input: ProjectDeliveryInput): Promise<ProjectState> {
  const { policy } = input;
  const calendar = policy.calendar;
  const state: ProjectState = { projectId: input.projectId, stage: 'awaiting_kickoff', timeline: [], weeklyReports: 0, trialIssues: [], doaCases: [], deadlines: [] };
  const milestones: { installationCompletedAt?: Date; initialAcceptedAt?: Date; finalAcceptedAt?: Date } = {};
  let installingSince: Date | undefined;
  let lastWeeklyReportAt: Date | undefined;
  let trialHandle: ChildWorkflowHandle<typeof trialRun> | undefined;
  let finalAcceptancePassed = false;
  let handoverDone = false;
  let trialRound = 0;
  let failedFinalAcceptance = 0;
  let nextIssueNumber = 1;
  const base = { projectName: input.name, contractNo: input.contractNo, projectId: input.projectId };
  const project = projectRef({ contractNo: input.contractNo, name: input.name, customerName: input.customer.name });
  const noticeOptions = { timeZone: input.customer.timeZone, actionPath: `/projects/${input.projectId}`, record: { type: 'project' as const, id: input.projectId } };
  const initialAcceptanceRequired = policy.delivery.initialAcceptanceRequired;

  /** Records a step once (the event key makes the activity idempotent) and moves the stage. */
  async function record(eventKey: string, kind: string, summary: string, actor?: Actor, data?: unknown, patch: Record<string, unknown> = {}): Promise<void> {
    const at = new Date().toISOString();
    state.timeline.push({ at, kind, actor: actor?.name, summary });
    await recordProjectEvent({ projectId: input.projectId, eventKey, kind, at, actor, summary, data, patch: { stage: state.stage, ...patch } });
  }

  /** True once the project is at `stage` or further along (cancelled counts as neither). */
  function reached(stage: ProjectStage): boolean {
    return PROJECT_STAGES.indexOf(state.stage) >= PROJECT_STAGES.indexOf(stage) && state.stage !== 'cancelled';
  }

  function moveTo(stage: ProjectStage): void {
    state.stage = stage;
    upsertSearchAttributes([{ key: STAGE_ATTRIBUTE, value: stage }]);
  }

  function reject(step: ProjectStep): void {
    const reason = stepRejection(state.stage, step, initialAcceptanceRequired);
    if (reason) throw ApplicationFailure.create({ type: 'StepRejected', message: reason, nonRetryable: true });
  }

  /** `field` names the request field at fault, for the API's 400 answer. */
  function invalid(message: string, field = ''): never {
    throw ApplicationFailure.create({ type: 'InvalidStep', message, nonRetryable: true, details: [{ field }] });
  }

  function requireSignatures(signatures: Parameters<typeof missingSignatures>[0], what: string, field = 'signatures'): void {
    const missing = missingSignatures(signatures, ['customer', 'company']);
    if (missing.length > 0) invalid(`${what} needs the signature of: ${missing.join(', ')}`, field);
  }

  async function notifyIssuesChanged(): Promise<void> {
    const open = state.trialIssues.filter((i) => !i.resolvedAt).length;
    if (!trialHandle || state.trial?.status !== 'running') return;
    // The trial may have ended a moment ago; the issue is on record either way and goes to final acceptance.
    await trialHandle.signal(trialIssuesChangedSignal, { open }).catch(() => undefined);
  }

  /** `round` is the trial run that has to clear the issue: the current one, or the first before any started. */
  async function addTrialIssue(title: string, description: string | undefined, actor: Actor | undefined, round = Math.max(trialRound, 1)): Promise<TrialIssue> {
    const issue: TrialIssue = { id: `I${nextIssueNumber++}`, title, description, loggedAt: new Date().toISOString(), round };
    state.trialIssues.push(issue);
    await saveTrialIssue({ projectId: input.projectId, issue });
    await record(`trial-issue:${issue.id}`, 'trial_issue_logged', `issue ${issue.id}: ${title}`, actor, issue);
    return issue;
  }

  // --- Queries and updates ------------------------------------------------------------------

  setHandler(projectStateQuery, () => state);

  setHandler(trialProgressSignal, (progress) => {
    if (!state.trial || progress.round !== state.trial.round) return;
    // An extension asks for a new report and application for the new end.
    if (progress.extensions > state.trial.extensions) state.trial.reportSubmittedAt = undefined;
    state.trial.endsAt = progress.endsAt;
    state.trial.extensions = progress.extensions;
    state.deadlines = [
      ...state.deadlines.filter((d) => !d.kind.startsWith('trial_')),
      ...(state.trial.reportSubmittedAt ? [] : [{ kind: 'trial_report', dueAt: progress.reportDueAt, description: 'trial-run report and final-acceptance application' }]),
      { kind: 'trial_end', dueAt: progress.endsAt, description: `end of trial run ${progress.round}` },
    ];
  });

  setHandler(
    kickoffUpdate,
    async (step) => {
      moveTo('awaiting_unboxing');
      await record('kickoff', 'kickoff_recorded', `kickoff meeting on ${step.meetingDate}`, step.actor, step);
      return state;
    },
    {
      validator: (step: KickoffStep) => {
        reject('kickoff');
        if (step.acceptanceItems.length === 0) invalid('kickoff needs at least one acceptance item', 'acceptanceItems');
      },
    },
  );

  setHandler(
    unboxingUpdate,
    async (step) => {
      const damaged = step.items.filter((i) => i.condition === 'damaged');
      installingSince = new Date();
      moveTo('installing');
      await record('unboxing', 'unboxing_checked', `${step.items.length - damaged.length} ok, ${damaged.length} damaged`, step.actor, step);
      for (const item of damaged) {
        const device = input.devices.find((d) => d.serial === item.serial)!;
        const workflowId = doaWorkflowId(input.projectId, item.serial);
        // Abandoned, not terminated, when the project ends: a replacement's return can outlive delivery.
        await startChild(doaReplacement, {
          workflowId,
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ ...base, device, damage: item.damage!, reportedAt: new Date().toISOString(), customer: input.customer, projectManager: input.projectManager, serviceManager: input.serviceManager, policy }],
        });
        state.doaCases.push({ serial: item.serial, workflowId, cause: item.damage!.cause });
      }
      return state;
    },
    {
      validator: (step: UnboxingStep) => {
        reject('unboxing');
        const problems = unboxingProblems(step.items, input.devices.map((d) => d.serial));
        if (problems.length > 0) invalid(problems.join('; '), 'items');
        requireSignatures(step.signatures, 'the packing list');
      },
    },
  );

  setHandler(
    weeklyReportUpdate,
    async (step) => {
      state.weeklyReports += 1;
      lastWeeklyReportAt = new Date();
      await record(`weekly-report:${state.weeklyReports}`, 'weekly_report', `weekly report ${state.weeklyReports}: ${step.summary}`, step.actor, step);
      return state;
    },
    { validator: (_step: WeeklyReportStep) => reject('weeklyReport') },
  );

  setHandler(
    installationCompleteUpdate,
    async (step) => {
      milestones.installationCompletedAt = new Date();
      moveTo(stageAfterInstallation(initialAcceptanceRequired));
      await record('installation-complete', 'installation_completed', `installation and commissioning complete (${step.testRecords.length} test records)`, step.actor, step, {
        installationCompletedAt: milestones.installationCompletedAt.toISOString(),
      });
      return state;
    },
    {
      validator: (step: InstallationCompleteStep) => {
        reject('installationComplete');
        step.testRecords.forEach((record, i) => requireSignatures(record.signatures, `test record "${record.name}"`, `testRecords.${i}.signatures`));
      },
    },
  );

  setHandler(
    initialAcceptanceUpdate,
    async (step) => {
      milestones.installationCompletedAt ??= new Date();
      milestones.initialAcceptedAt = new Date();
      moveTo('trial_run');
      await record('initial-acceptance', 'initial_acceptance_passed', 'initial acceptance passed: certificate issued', step.actor, step, {
        installationCompletedAt: milestones.installationCompletedAt.toISOString(),
        initialAcceptedAt: milestones.initialAcceptedAt.toISOString(),
      });
      for (const issue of step.leftoverIssues ?? []) await addTrialIssue(issue.title, issue.description, step.actor);
      // The trial child may have started while the issues were being recorded: tell it the count
      // (patched: histories recorded before this signal existed replay without it).
      if (step.leftoverIssues?.length && patched('leftover-issues-reach-trial')) await notifyIssuesChanged();
      return state;
    },
    {
      validator: (step: InitialAcceptanceStep) => {
        reject('initialAcceptance');
        if (step.items.length === 0) invalid('initial acceptance needs at least one test item', 'items');
        const failed = step.items.filter((i) => !i.passed || i.signedBy.trim() === '');
        if (failed.length > 0) invalid(`every test item must be passed and signed: ${failed.map((i) => i.name).join(', ')}`, 'items');
        requireSignatures(step.signatures, 'the initial-acceptance certificate');
      },
    },
  );

  setHandler(
    trialIssueUpdate,
    async (step) => {
      await addTrialIssue(step.title, step.description, step.actor);
      await notifyIssuesChanged();
      return state;
    },
    { validator: (_step: TrialIssueStep) => reject('trialIssue') },
  );

  setHandler(
    resolveTrialIssueUpdate,
    async (step) => {
      const issue = state.trialIssues.find((i) => i.id === step.issueId)!;
      issue.resolvedAt = new Date().toISOString();
      issue.resolution = step.resolution;
      await saveTrialIssue({ projectId: input.projectId, issue });
      await record(`trial-issue:${issue.id}:resolved`, 'trial_issue_resolved', `issue ${issue.id} resolved: ${step.resolution}`, step.actor, step);
      await notifyIssuesChanged();
      return state;
    },
    {
      validator: (step: ResolveTrialIssueStep) => {
        reject('resolveTrialIssue');
        const issue = state.trialIssues.find((i) => i.id === step.issueId);
        if (!issue) invalid(`no trial issue ${step.issueId}`, 'issueId');
        if (issue.resolvedAt) throw ApplicationFailure.create({ type: 'StepRejected', message: `trial issue ${step.issueId} is already resolved`, nonRetryable: true });
      },
    },
  );

  setHandler(
    trialReportUpdate,
    async (step) => {
      const at = new Date().toISOString();
      state.trial!.reportSubmittedAt = at;
      state.deadlines = state.deadlines.filter((d) => d.kind !== 'trial_report');
      await record(`trial-report:${trialRound}:${state.trial!.extensions}`, 'trial_report_submitted', 'trial-run report and final-acceptance application submitted', step.actor, step);
      await trialHandle!.signal(trialReportSubmittedSignal, { at });
      return state;
    },
    {
      validator: (_step: TrialReportStep) => {
        reject('trialReport');
        if (!trialHandle || state.trial?.status !== 'running') throw ApplicationFailure.create({ type: 'StepRejected', message: 'the trial run has not started yet', nonRetryable: true });
      },
    },
  );

  setHandler(
    finalAcceptanceUpdate,
    async (step) => {
      if (step.passed) {
        milestones.finalAcceptedAt = new Date();
        state.qualityScore = qualityScore(step.scores!);
        const warranty = warrantyPeriod(policy.warranty.startsAt, policy.warranty.length, milestones, calendar);
        state.warranty = { startsAt: warranty.startsAt.toISOString(), endsAt: warranty.endsAt.toISOString() };
        finalAcceptancePassed = true;
        moveTo('handover');
        await writeDeviceWarranty({ projectId: input.projectId, serials: input.devices.map((d) => d.serial), ...state.warranty });
        await record('final-acceptance:passed', 'final_acceptance_passed', `final acceptance passed: certificate issued, quality score ${state.qualityScore}/100`, step.actor, step, {
          finalAcceptedAt: milestones.finalAcceptedAt.toISOString(),
          qualityScore: state.qualityScore,
          warrantyStartsAt: state.warranty.startsAt,
          warrantyEndsAt: state.warranty.endsAt,
        });
      } else {
        failedFinalAcceptance += 1;
        await record(`final-acceptance:failed:${failedFinalAcceptance}`, 'final_acceptance_failed', `final acceptance failed (${step.issues?.length ?? 0} new issues): back to trial run`, step.actor, step);
        // The new issues belong to the trial run they go back to.
        for (const issue of step.issues ?? []) await addTrialIssue(issue.title, issue.description, step.actor, trialRound + 1);
        moveTo('trial_run');
      }
      return state;
    },
    {
      validator: (step: FinalAcceptanceStep) => {
        reject('finalAcceptance');
        requireSignatures(step.signatures, 'the final-acceptance certificate');
        if (step.passed) {
          if (!step.scores) invalid('a passed final acceptance needs the quality scores', 'scores');
          const problems = qualityScoreProblems(step.scores);
          if (problems.length > 0) invalid(problems.join('; '), 'scores');
        } else if (!step.issues?.length) {
          invalid('a failed final acceptance must list the issues that failed it', 'issues');
        }
      },
    },
  );

  setHandler(
    handoverUpdate,
    async (step) => {
      handoverDone = true;
      moveTo('completed');
      await recordCustomerAcceptance({ customerId: input.customer.id, acceptedAt: milestones.finalAcceptedAt!.toISOString() });
      await record('handover', 'handover_completed', `documents handed over (${step.documents.length}); warranty runs to ${state.warranty!.endsAt}`, step.actor, step, {
        completedAt: new Date().toISOString(),
      });
      return state;
    },
    {
      validator: (step: HandoverStep) => {
        reject('handover');
        const missing = step.documents.filter((d) => !d.delivered);
        if (step.documents.length === 0) invalid('the handover checklist is empty', 'documents');
        if (missing.length > 0) invalid(`documents not delivered: ${missing.map((d) => d.name).join(', ')}`, 'documents');
        if (missingSignatures(step.signatures, ['customer']).length > 0) invalid('the handover checklist needs the customer signature', 'signatures');
      },
    },
  );

  // --- The process --------------------------------------------------------------------------

  const delivery = new CancellationScope();
  let cancelRequest: { reason: string; actor?: Actor } | undefined;
  let cancelRecorded = false;

  setHandler(
    cancelUpdate,
    async (step) => {
      cancelRequest = { reason: step.reason, actor: step.actor };
      delivery.cancel();
      // Answer once the cancellation is stored, as every other step does.
      await condition(() => cancelRecorded);
      return state;
    },
    {
      validator: (step: CancelStep) => {
        reject('cancel');
        if (step.reason.trim() === '') invalid('a cancellation needs a reason', 'reason');
      },
    },
  );

  const everyone = [input.projectManager, ...input.customer.contacts];

  async function watchWeeklyReports(): Promise<void> {
    while (INSTALLATION_STAGES.includes(state.stage)) {
      const reportsSeen = state.weeklyReports;
      const since = lastWeeklyReportAt ?? installingSince!;
      const cycle = `weekly-report:${reportsSeen + 1}`;
      const moved = () => state.weeklyReports !== reportsSeen || !INSTALLATION_STAGES.includes(state.stage);
      state.deadlines = state.deadlines.filter((d) => d.kind !== 'weekly_report');
      const ladder = weeklyReportLadder(since, policy.delivery.weeklyReportEvery, policy.delivery.weeklyReportGrace, calendar);
      state.deadlines.push({ kind: 'weekly_report', dueAt: ladder[0]!.at.toISOString(), description: `weekly report ${reportsSeen + 1}` });
      let answered = false;
      for (const rung of ladder) {
        if (await condition(moved, msUntil(rung.at))) {
          answered = true;
          break;
        }
        const dueAt = ladder[0]!.at.toISOString();
        if (rung.rung === 'escalation') {
          await escalate(`${cycle}:escalation`, input.serviceManager, { project, missedKey: 'weekly_report', dueAt, responsibleName: input.projectManager.name }, noticeOptions);
        } else {
          await notify(`${cycle}:${rung.rung}`, 'deadline-reminder', [input.projectManager], { project, taskKey: 'weekly_report', dueAt }, noticeOptions);
        }
        await record(`${cycle}:${rung.rung}`, `weekly_report_${rung.rung}`, `weekly report ${reportsSeen + 1} overdue: ${rung.rung.replace('_', ' ')}`);
      }
      if (!answered) await condition(moved);
    }
    state.deadlines = state.deadlines.filter((d) => d.kind !== 'weekly_report');
  }

  async function runTrial(length: 'trialRun' | 'trialExtendBy'): Promise<void> {
    trialRound += 1;
    const startsAt = (length === 'trialRun' ? (milestones.initialAcceptedAt ?? milestones.installationCompletedAt) : undefined) ?? new Date();
    trialHandle = await startChild(trialRun, {
      workflowId: trialRound === 1 ? trialRunWorkflowId(input.projectId) : `${trialRunWorkflowId(input.projectId)}-round-${trialRound}`,
      args: [{ ...base, projectName: input.name, customerName: input.customer.name, timeZone: input.customer.timeZone, round: trialRound, startsAt: startsAt.toISOString(), length, openIssues: state.trialIssues.filter((i) => !i.resolvedAt).length, projectManager: input.projectManager, serviceManager: input.serviceManager, policy }],
    });
    // The child reports its end (and each extension) by signal; until then this is the same computation.
    const endsAt = addDuration(startsAt, policy.delivery[length], calendar).toISOString();
    state.trial = { round: trialRound, startedAt: startsAt.toISOString(), endsAt, extensions: 0, status: 'running' };
    state.deadlines = [
      ...state.deadlines.filter((d) => !d.kind.startsWith('trial_')),
      { kind: 'trial_report', dueAt: subtractDuration(new Date(endsAt), policy.delivery.trialReportLead, calendar).toISOString(), description: 'trial-run report and final-acceptance application' },
      { kind: 'trial_end', dueAt: endsAt, description: `end of trial run ${trialRound}` },
    ];
    // An issue logged while the child was starting has not reached it yet.
    await notifyIssuesChanged();
    await record(`trial:${trialRound}:started`, 'trial_run_started', `trial run ${trialRound} started`, undefined, undefined, { trialStartedAt: startsAt.toISOString(), trialEndsAt: endsAt, trialExtensions: 0 });
    const result = await trialHandle.result();
    state.trial.status = 'ended';
    state.trial.extensions = result.extensions;
    state.trial.endsAt = result.endedAt;
    state.deadlines = state.deadlines.filter((d) => !d.kind.startsWith('trial_'));
    const open = state.trialIssues.filter((i) => !i.resolvedAt).length;
    moveTo('final_acceptance');
    await record(`trial:${trialRound}:ended`, 'trial_run_ended', `trial run ${trialRound} ended after ${result.extensions} extension(s); ${open} open issue(s) go to final acceptance`, undefined, result, {
      trialEndsAt: result.endedAt,
      trialExtensions: result.extensions,
    });
  }

  async function deliver(): Promise<void> {
    upsertSearchAttributes([{ key: STAGE_ATTRIBUTE, value: state.stage }]);
    await record('started', 'project_started', `project ${input.name} (${input.contractNo}) started`);
    await notify('started', 'project-started', everyone, { project, projectManager: input.projectManager.name, startedAt: new Date().toISOString(), devices: input.devices.map(({ model, serial }) => ({ model, serial })) }, noticeOptions);

    // Several steps can land in one activation, so wait for a stage reached, never for the stage itself.
    await condition(() => reached('installing'));
    // Both promises are awaited together so a cancelled watch is never an unhandled rejection.
    await Promise.all([watchWeeklyReports(), condition(() => reached('trial_run'))]);

    await runTrial('trialRun');
    while (!finalAcceptancePassed) {
      await condition(() => finalAcceptancePassed || state.stage === 'trial_run');
      if (!finalAcceptancePassed) await runTrial('trialExtendBy');
    }

    await condition(() => handoverDone);
    const warrantyLength = policy.warranty.length;
    await notify('completed', 'project-completed', everyone, {
      project,
      completedAt: new Date().toISOString(),
      warrantyPeriod: typeof warrantyLength === 'string' ? warrantyLength : `P${warrantyLength.workingDays}D`,
      devices: input.devices.map(({ model, serial }) => ({ model, serial, warrantyStart: state.warranty!.startsAt, warrantyEnd: state.warranty!.endsAt })),
    }, noticeOptions);
  }

  try {
    await delivery.run(deliver);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // An operator's cancel of the whole workflow arrives here too, without a cancel update.
    const reason = cancelRequest?.reason ?? 'cancelled by an operator';
    await CancellationScope.nonCancellable(async () => {
      // DOA children were started from update handlers, outside the delivery scope: cancel them by id.
      for (const doa of state.doaCases) {
        await getExternalWorkflowHandle(doa.workflowId).cancel().catch(() => undefined);
      }
      state.cancelReason = reason;
      state.deadlines = [];
      if (state.trial) state.trial.status = 'ended';
      moveTo('cancelled');
      await record('cancelled', 'project_cancelled', `cancelled: ${reason}`, cancelRequest?.actor, undefined, { cancelReason: reason });
      cancelRecorded = true;
      await notify('cancelled', 'project-cancelled', everyone, { project, cancelledAt: new Date().toISOString(), cancelledBy: cancelRequest?.actor?.name ?? 'operator', reason }, noticeOptions);
    });
  }
  await condition(allHandlersFinished);
  return state;
}
