/**
 * Replays recorded histories of every long-running workflow type (delivery, tickets, care, dealer),
 * and those kept from older code (in sub-folders), against the current workflow code. A change that
 * would make a running workflow take a different path on replay (a reordered, added or removed
 * activity, timer, child or signal without `patched()`) fails here instead of in production, where it
 * would stall every open project, ticket or care plan. It also fails when a workflow type has no
 * history, or a `patched()` id of the code is a marker in none.
 *
 * The fixtures in `histories/` were recorded on a real server by `recordHistories.ts`; to record the
 * missing ones: `RECORD_HISTORIES=1 npx jest test/replay`. The ones in sub-folders were recorded by
 * older code and are kept as they are (see README.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJson, type History } from './historyJson';
import * as workflows from '../../workflows';
import { recordHistories, SCENARIOS, type HistoryFixture } from './recordHistories';

const HISTORIES = path.join(__dirname, 'histories');
const PROCESSES = path.join(__dirname, '../../processes');

/**
 * Workflow types that need no history: they run one activity and end within seconds, so no run of
 * them is left open when new code is deployed. Every other type exported by workflows/index.ts runs
 * for days or years and must have at least one recorded history.
 */
const SHORT_LIVED: Record<string, string> = {
  testNotice: 'the admin console’s test mail: one notice activity, then it ends',
  processStartReconciler: 'a Schedule’s run every minute: reads the pending starts, starts each as a child it leaves, then ends',
};

/** Patches the recorded histories cannot reach, with the reason; every other `patched()` id must be a marker in some history. */
const PATCHES_NOT_RECORDED: Record<string, string> = {};
const RECORD = process.env.RECORD_HISTORIES === '1' || process.env.RECORD_HISTORIES === 'all';

interface Loaded {
  file: string;
  workflowId: string;
  workflowType: string;
  history: History;
}

/** Every `.json` under histories/ (sub-folders too, e.g. histories kept from an older release). */
function fixtureFiles(dir = HISTORIES): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? fixtureFiles(path.join(dir, entry.name)) : entry.name.endsWith('.json') ? [path.join(dir, entry.name)] : []))
    .sort();
}

/** A fixture file as the recorder writes it, or a bare history as `temporal workflow show -o json` writes it. */
function load(file: string): Loaded {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<HistoryFixture> & { events?: unknown };
  const history = historyFromJson(json.events ? json : json.history);
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started?.workflowType?.name) throw new Error(`${file}: the history does not begin with WorkflowExecutionStarted`);
  return { file: path.relative(HISTORIES, file), workflowId: json.workflowId ?? path.basename(file, '.json'), workflowType: started.workflowType.name, history };
}

/** The workflow code under test: the bundle jest's globalSetup built from workflows/ for this run. */
function replayOptions(): ReplayWorkerOptions {
  const bundle = process.env.AFTERCARE_TEST_WORKFLOW_BUNDLE;
  return bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('../../workflows') };
}

/** The negative control below makes Core log the non-determinism it finds: only errors are shown. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [], telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  } catch {
    // Already installed (by the recorder's worker in this process): it is quiet too.
  }
}

/** Every patch id the workflow code asks `patched()` about: literal ids, and constants named in the same file. */
function patchIdsInCode(dir = PROCESSES): Set<string> {
  const ids = new Set<string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const id of patchIdsInCode(file)) ids.add(id);
    if (!entry.name.endsWith('.workflow.ts')) continue;
    const source = fs.readFileSync(file, 'utf8');
    for (const [, literal, constant] of source.matchAll(/patched\(\s*(?:'([^']+)'|([A-Z_][A-Z0-9_]*))\s*\)/g)) {
      const id = literal ?? new RegExp(`const ${constant} = '([^']+)'`).exec(source)?.[1];
      if (!id) throw new Error(`${file}: patched(${constant}) names no constant with a literal id`);
      ids.add(id);
    }
  }
  return ids;
}

type HistoryEvent = NonNullable<Loaded['history']['events']>[number];

/** The patch ids a history recorded (markers `core_patch`, the id in its `patch_data` payload). */
function patchMarkers(history: History): string[] {
  return (history.events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    return Object.values(marker.details ?? {}).flatMap((payloads) =>
      (payloads.payloads ?? []).map((payload) => (JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8')) as { id: string }).id),
    );
  });
}
/** How the workflow closed, from the history's last event. */
const closedAs = (event: HistoryEvent | undefined): string | undefined =>
  event?.workflowExecutionCompletedEventAttributes ? 'completed' : event?.workflowExecutionCanceledEventAttributes ? 'cancelled' : undefined;

describe('replay: recorded histories run against the current workflow code', () => {
  let fixtures: Loaded[];

  beforeAll(async () => {
    if (RECORD) await recordHistories(HISTORIES, process.env.RECORD_HISTORIES === 'all' ? 'all' : 'missing');
    quietRuntime();
    fixtures = fixtureFiles().map(load);
  }, 600_000);

  it('has a complete recorded history for every scenario', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(Object.keys(SCENARIOS).length);
    expect(Object.keys(SCENARIOS).length).toBeGreaterThanOrEqual(6);
    for (const [scenario, workflowType] of Object.entries(SCENARIOS)) {
      const fixture = fixtures.find((f) => f.file === `${scenario}.json`);
      expect({ scenario, workflowType: fixture?.workflowType }).toEqual({ scenario, workflowType });
      // A closed workflow: the replay covers its whole life, not a prefix.
      const events = fixture!.history.events ?? [];
      expect({ scenario, closedAs: closedAs(events[events.length - 1]) }).toEqual({ scenario, closedAs: scenario.endsWith('--cancelled') ? 'cancelled' : 'completed' });
      expect(events.length).toBeGreaterThan(10);
    }
  });

  it('has a history for every long-running workflow type the worker registers', () => {
    const exported = Object.keys(workflows).sort();
    const recorded = new Set(fixtures.map((f) => f.workflowType));
    // A new workflow type fails here until a scenario records it (or it is listed as short-lived, with why).
    expect(exported.filter((type) => !recorded.has(type) && !(type in SHORT_LIVED))).toEqual([]);
    // Every type a scenario names is one the worker registers; the exempt ones too.
    expect(Object.values(SCENARIOS).filter((type) => !exported.includes(type))).toEqual([]);
    expect(Object.keys(SHORT_LIVED).filter((type) => !exported.includes(type))).toEqual([]);
  });

  it('passes every patched() branch of the current code in some history', () => {
    const inCode = patchIdsInCode();
    expect(inCode.size).toBeGreaterThanOrEqual(10);
    const markers = new Set(fixtures.flatMap((f) => patchMarkers(f.history)));
    expect([...inCode].filter((id) => !markers.has(id) && !(id in PATCHES_NOT_RECORDED)).sort()).toEqual([]);
    expect(Object.keys(PATCHES_NOT_RECORDED).filter((id) => !inCode.has(id))).toEqual([]);
  });

  it('replays every recorded history without a determinism error', async () => {
    const results: { file: string; error?: string }[] = [];
    const replays = Worker.runReplayHistories(replayOptions(), fixtures.map((f) => ({ workflowId: f.workflowId, history: f.history })));
    let i = 0;
    for await (const result of replays) {
      results.push({ file: fixtures[i++]!.file, ...(result.error ? { error: `${result.error.name}: ${result.error.message}` } : {}) });
    }
    expect(results).toEqual(fixtures.map((f) => ({ file: f.file })));
  });

  it('the check is live: a history that does not match the code is reported as non-deterministic', async () => {
    // The recorded project's first activity renamed, as if the code had called another one at that point.
    const original = fixtures.find((f) => f.file === 'projectDelivery--initial-acceptance.json')!;
    const tampered = load(path.join(HISTORIES, original.file)).history;
    const scheduled = tampered.events!.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!;
    scheduled.activityType = { name: 'sendInvoice' };
    await expect(Worker.runReplayHistory(replayOptions(), tampered, original.workflowId)).rejects.toThrow(DeterminismViolationError);
  });
});
