/**
 * Project delivery rules (PRODUCT §P1, §P2): which step may happen in which stage, what each step must
 * carry, the quality score, warranty dates, DOA exclusions and the weekly-report ladder. Pure: the
 * projectDelivery workflow, its activities and the API all decide with these same functions.
 */
import { addDuration, type Duration } from '../../domain/duration';
import type { BusinessCalendar } from '../../domain/calendar';
import { words, type Words } from '../../domain/words';

export const PROJECT_STAGES = [
  'awaiting_kickoff',
  'awaiting_unboxing',
  'installing',
  'initial_acceptance',
  'trial_run',
  'final_acceptance',
  'handover',
  'completed',
  'cancelled',
] as const;
export type ProjectStage = (typeof PROJECT_STAGES)[number];

export type ProjectStep =
  | 'kickoff'
  | 'unboxing'
  | 'weeklyReport'
  | 'installationComplete'
  | 'initialAcceptance'
  | 'trialIssue'
  | 'resolveTrialIssue'
  | 'trialReport'
  | 'finalAcceptance'
  | 'handover'
  | 'cancel';

const STEP_ALLOWED_IN: Record<ProjectStep, readonly ProjectStage[]> = {
  kickoff: ['awaiting_kickoff'],
  unboxing: ['awaiting_unboxing'],
  weeklyReport: ['installing', 'initial_acceptance'],
  installationComplete: ['installing'],
  initialAcceptance: ['installing', 'initial_acceptance'],
  trialIssue: ['trial_run'],
  resolveTrialIssue: ['trial_run', 'final_acceptance'],
  trialReport: ['trial_run'],
  finalAcceptance: ['final_acceptance'],
  handover: ['handover'],
  cancel: ['awaiting_kickoff', 'awaiting_unboxing', 'installing', 'initial_acceptance', 'trial_run', 'final_acceptance', 'handover'],
};

export const TERMINAL_STAGES: readonly ProjectStage[] = ['completed', 'cancelled'];

/** Why `step` cannot happen now (as words: the reader hears it in their language), or null when it can. */
export function stepRejection(stage: ProjectStage, step: ProjectStep, initialAcceptanceRequired: boolean): Words | null {
  if (TERMINAL_STAGES.includes(stage)) return words('refusal.project.ended', { stage });
  if (step === 'initialAcceptance' && !initialAcceptanceRequired) {
    return words(stage === 'installing' ? 'refusal.project.noInitialAcceptanceInstalling' : 'refusal.project.noInitialAcceptance');
  }
  if (STEP_ALLOWED_IN[step].includes(stage)) return null;
  return words('refusal.project.outOfOrder', { step, stage, allowed: STEP_ALLOWED_IN[step].join(', ') });
}

/** The stage after installation ends: initial acceptance when the contract has one, else the trial run. */
export function stageAfterInstallation(initialAcceptanceRequired: boolean): ProjectStage {
  return initialAcceptanceRequired ? 'initial_acceptance' : 'trial_run';
}

// --- Signatures and records -------------------------------------------------------------------

export interface Signature {
  name: string;
  /** Which side signed: the customer's or ours. */
  party: 'customer' | 'company';
  signedAt?: string;
}

/** Both sides sign the packing list and acceptance certificates (001: two copies, one each). */
export function missingSignatures(signatures: readonly Signature[] | undefined, required: readonly Signature['party'][]): Signature['party'][] {
  const present = new Set((signatures ?? []).filter((s) => s.name.trim() !== '').map((s) => s.party));
  return required.filter((party) => !present.has(party));
}

export interface UnboxingItem {
  serial: string;
  condition: 'ok' | 'damaged';
  damage?: { description: string; cause: DoaDamageCause };
}

/**
 * Unboxing must account for every serial of the project exactly once, and name the damage of damaged
 * items. Each problem is words; `others` (0 here) is how many more problems a refusal that tells only
 * the first one has (`firstProblem`).
 */
export function unboxingProblems(items: readonly UnboxingItem[], projectSerials: readonly string[]): Words[] {
  const problems: Words[] = [];
  const problem = (key: string, serial: string) => problems.push(words(`refusal.project.${key}`, { serial, others: 0 }));
  const known = new Set(projectSerials);
  const seen = new Set<string>();
  for (const item of items) {
    if (!known.has(item.serial)) problem('unknownSerial', item.serial);
    if (seen.has(item.serial)) problem('serialTwice', item.serial);
    seen.add(item.serial);
    if (item.condition === 'damaged' && !item.damage) problem('damageMissing', item.serial);
  }
  for (const serial of projectSerials) if (!seen.has(serial)) problem('serialMissing', serial);
  return problems;
}

/** The first of several problems (each with an `others` argument), telling how many more there are. */
export function firstProblem(problems: readonly Words[]): Words {
  const [first] = problems;
  if (!first) throw new RangeError('no problem to tell');
  return words(first.key, { ...first.params, others: problems.length - 1 });
}

// --- DOA (P2) ---------------------------------------------------------------------------------

export const DOA_DAMAGE_CAUSES = ['transport', 'manufacturing', 'unknown', 'human', 'third_party_accessory', 'environment', 'force_majeure'] as const;
export type DoaDamageCause = (typeof DOA_DAMAGE_CAUSES)[number];

const DOA_EXCLUSIONS: Partial<Record<DoaDamageCause, string>> = {
  human: 'damage caused by people (not operated as documented)',
  third_party_accessory: 'unauthorised third-party accessories or software',
  environment: 'environmental or electrical conditions not met',
  force_majeure: 'force majeure',
};

/** 001: these causes are not dead-on-arrival; returns the exclusion, or null when a replacement is due. */
export function doaExclusion(cause: DoaDamageCause): string | null {
  return DOA_EXCLUSIONS[cause] ?? null;
}

export type DoaStatus = 'excluded' | 'awaiting_shipment' | 'awaiting_receipt' | 'awaiting_return' | 'returned' | 'charged' | 'cancelled';

/** 001: returned late or not acceptable → the customer pays the catalogue price and is flagged. */
export function doaReturnOutcome(returnedAt: Date | null, returnDue: Date, acceptable: boolean): 'returned' | 'charged' {
  if (!returnedAt || returnedAt.getTime() > returnDue.getTime() || !acceptable) return 'charged';
  return 'returned';
}

// --- Weekly report ladder ---------------------------------------------------------------------

export type WeeklyReportRung = 'reminder' | 'second_reminder' | 'escalation';

/** Due `every` after the last report (or the start of installation); then grace, grace again. */
export function weeklyReportLadder(since: Date, every: Duration, grace: Duration, calendar: BusinessCalendar): { rung: WeeklyReportRung; at: Date }[] {
  const due = addDuration(since, every, calendar);
  const second = addDuration(due, grace, calendar);
  const escalation = addDuration(second, grace, calendar);
  return [
    { rung: 'reminder', at: due },
    { rung: 'second_reminder', at: second },
    { rung: 'escalation', at: escalation },
  ];
}

// --- Trial run --------------------------------------------------------------------------------

/** At the end of a trial run: open issues extend it while extensions remain, else final acceptance. */
export function trialEndDecision(openIssues: number, extensionsUsed: number, maxExtensions: number): 'extend' | 'final_acceptance' {
  return openIssues > 0 && extensionsUsed < maxExtensions ? 'extend' : 'final_acceptance';
}

// --- Final acceptance -------------------------------------------------------------------------

/** 001: project quality out of 100 = hardware 30 + software 50 + documents 10 + customer satisfaction 10. */
export const QUALITY_SCORE_WEIGHTS = { hardware: 30, software: 50, documents: 10, satisfaction: 10 } as const;
export type QualityScoreParts = { [K in keyof typeof QUALITY_SCORE_WEIGHTS]: number };

/** Each part out of its range, as words (with `others`, see `firstProblem`). */
export function qualityScoreProblems(parts: QualityScoreParts): Words[] {
  return (Object.keys(QUALITY_SCORE_WEIGHTS) as (keyof QualityScoreParts)[]).flatMap((key) => {
    const value = parts[key];
    const max = QUALITY_SCORE_WEIGHTS[key];
    return Number.isFinite(value) && value >= 0 && value <= max ? [] : [words('refusal.project.scoreOutOfRange', { part: key, max, others: 0 })];
  });
}

export function qualityScore(parts: QualityScoreParts): number {
  const problems = qualityScoreProblems(parts);
  // A programming error (the step was validated first): told in English, for the log.
  if (problems.length > 0) throw new RangeError(problems.map((p) => `${p.params!.part} must be between 0 and ${p.params!.max}`).join('; '));
  return parts.hardware + parts.software + parts.documents + parts.satisfaction;
}

// --- Warranty ---------------------------------------------------------------------------------

export type WarrantyStart = 'installation' | 'initialAcceptance' | 'finalAcceptance';

export interface DeliveryMilestones {
  installationCompletedAt?: Date;
  initialAcceptedAt?: Date;
  finalAcceptedAt?: Date;
}

/**
 * The instant the warranty starts (ISO-8601), from the milestones on record (ISO-8601 strings). A
 * contract without initial acceptance falls back to installation end for 'initialAcceptance'.
 */
export function warrantyStart(startsAt: WarrantyStart, milestones: { installationCompletedAt?: string; initialAcceptedAt?: string; finalAcceptedAt?: string }): string {
  const start =
    startsAt === 'installation'
      ? milestones.installationCompletedAt
      : startsAt === 'initialAcceptance'
        ? (milestones.initialAcceptedAt ?? milestones.installationCompletedAt)
        : milestones.finalAcceptedAt;
  if (!start) throw new RangeError(`warranty starts at ${startsAt}, which has not happened yet`);
  return start;
}

/**
 * Warranty runs `length` from the milestone the policy names. A contract without initial acceptance
 * falls back to installation end for 'initialAcceptance'.
 */
export function warrantyPeriod(startsAt: WarrantyStart, length: Duration, milestones: DeliveryMilestones, calendar: BusinessCalendar): { startsAt: Date; endsAt: Date } {
  const iso = (date: Date | undefined) => date?.toISOString();
  const start = new Date(warrantyStart(startsAt, { installationCompletedAt: iso(milestones.installationCompletedAt), initialAcceptedAt: iso(milestones.initialAcceptedAt), finalAcceptedAt: iso(milestones.finalAcceptedAt) }));
  return { startsAt: start, endsAt: addDuration(start, length, calendar) };
}

/** True once a project at `current` is at `stage` or further along (cancelled counts as neither). */
export function stageReached(current: ProjectStage, stage: ProjectStage): boolean {
  return PROJECT_STAGES.indexOf(current) >= PROJECT_STAGES.indexOf(stage) && current !== 'cancelled';
}

/** The DOA case a damaged item of the unboxing opens: excluded with the reason, or awaiting the replacement's shipment. */
export function doaCaseOf<D extends { cause: DoaDamageCause }>(item: { serial: string; damage?: D }) {
  const exclusion = doaExclusion(item.damage!.cause);
  return { damage: item.damage!, state: { serial: item.serial, status: exclusion ? ('excluded' as const) : ('awaiting_shipment' as const), ...(exclusion ? { exclusion } : {}) } };
}

/** The timeline events of trial issues logged with a step. */
export function trialIssueEvents<I extends { id: string; title: string }>(issues: I[]): { eventKey: string; kind: string; words: Words; data: I }[] {
  return issues.map((issue) => ({ eventKey: `trial-issue:${issue.id}`, kind: 'trial_issue_logged', words: words('timeline.project.trial_issue_logged', { issue: issue.id, title: issue.title }), data: issue }));
}

/** The warranty's length as the completion notice states it: the ISO duration, or working days as `P<n>D`. */
export const warrantyLengthText = (length: Duration): string => (typeof length === 'string' ? length : `P${length.workingDays}D`);

/** What keeps a handover checklist from being signed off: empty, or documents not delivered; null when complete. */
export function handoverChecklistProblem(documents: readonly { name: string; delivered: boolean }[]): Words | null {
  const missing = documents.filter((d) => !d.delivered);
  if (documents.length === 0) return words('refusal.project.handoverChecklistEmpty');
  return missing.length > 0 ? words('refusal.project.documentsNotDelivered', { documents: missing.map((d) => d.name).join(', ') }) : null;
}
