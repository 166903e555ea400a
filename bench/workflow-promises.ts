/**
 * Promises per task in the workflow sandbox: the part of worker CPU per task that the SDK charges
 * per promise. The TypeScript SDK's promise hook runs for every promise a workflow creates (every
 * async call, `await` of a non-promise, `condition`, `sleep`, activity, cancellation scope): it
 * captures a stack trace, maps each frame through the bundle's source map and files it for the
 * `__stack_trace` query (temporalio/sdk-typescript#1587). In the throughput benchmark's CPU
 * profiles that hook is the largest single part of the workflow thread's work, so a count of
 * promises says how much of zap's extra worker CPU per task its workflow code causes.
 *
 *   npx tsx bench/workflow-promises.ts     # BENCH_PROMISE_TASKS=3 BENCH_PROMISE_REPLAYS=20
 *                                          # BENCH_PROMISE_BATCH=30 BENCH_PROMISE_ROUNDS=5 BENCH_PROMISE_SITE_FRAMES=2
 *
 * One task of the throughput benchmark's shape (model call → `echo` → model call → answer) runs
 * per side on a real dev server, zap and the bare baseline (each also with its tool as a local
 * activity); its history is then replayed in this process (a replay worker runs the sandbox in this
 * thread) with a promise hook of ours counting the promises created in the sandbox, by the
 * function that created them. Counts are exact and the same on every run of the same code; the
 * replay time per task (median of BENCH_PROMISE_REPLAYS, alternating sides, without our hook's
 * stack captures) is printed beside them.
 *
 * The batches also measure what preloading zap's modules saves (zap's workers preload them; see
 * `zapWorkflowPreloadModules`): zap's histories replayed through its bundle as shipped and through
 * the same bundle without preloaded modules (every run evaluating its own copy, as in 0.2.0),
 * alternating.
 */
import { performance } from 'node:perf_hooks';
import { promiseHooks } from 'node:v8';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { globalHandlers } from '@temporalio/worker/lib/workflow/vm-shared';
import { createBareWorkerHost, startBareTask } from './lib/bare-activities';
import { BENCH_AGENT, BENCH_LOCAL_AGENT, createBenchAgent, createBenchZap, FINAL_WAIT_MS } from './lib/bench-zap';
import { range, readInteger, runBenchmark, runWorkerInProcess, startBenchServers, writeWorkflowBundle, type Cleanups, type WorkflowBundle } from './lib/harness';
import { HistoryFollower } from './lib/history';
import { fixed, formatTable, ratio, writeResults, type SummaryRow } from './lib/report';
import { formatTaskMessage, type ScriptedModel } from './lib/scripted-model';
import { median } from './lib/statistics';

type SideName = 'zap' | 'bare' | 'zap-local' | 'bare-local';
const SIDES: readonly SideName[] = ['zap', 'bare', 'zap-local', 'bare-local'];
/** Each side's baseline: the bare workflow with the same kind of tool call. */
const BASELINE: Record<SideName, SideName | undefined> = { zap: 'bare', 'zap-local': 'bare-local', bare: undefined, 'bare-local': undefined };
/** Frames of the sandbox named per creation site: the innermost this many (BENCH_PROMISE_SITE_FRAMES). */
const SITE_FRAMES = readInteger(process.env, 'BENCH_PROMISE_SITE_FRAMES', 2);

interface Settings {
  tasks: number;
  replays: number;
  /** Histories per batch through one replay worker. */
  batch: number;
  /** Batches per side (alternating), with the SDK's hook and without it. */
  rounds: number;
}

interface SideResult {
  side: SideName;
  promisesPerTask: number;
  /** Creation sites (innermost sandbox frames) → promises per task. */
  sites: Array<{ site: string; perTask: number }>;
  /** Replay of one task's history, median ms. */
  replayMs: number;
  /** Replay of one task's history in a batch through one replay worker, median ms per task over rounds. */
  batchMs: number;
  /** The same without the SDK's promise hook. */
  batchWithoutHookMs: number;
}

/** zap's batches through its bundle as shipped (modules preloaded) and with modules per run. */
interface PreloadResult {
  side: 'zap' | 'zap-local';
  preloadedMs: number;
  perRunMs: number;
}
const preloadResults: PreloadResult[] = [];

/** Median ms per task of each side's batches, sides alternating over `rounds`. */
async function measureBatches(batch: (side: SideName) => Promise<number>, rounds: number): Promise<Map<SideName, number>> {
  const times = new Map<SideName, number[]>(SIDES.map((side) => [side, []]));
  for (const round of range(rounds)) {
    for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) times.get(side)!.push(await batch(side));
  }
  return new Map(SIDES.map((side) => [side, median(times.get(side)!)]));
}

/**
 * Turns the SDK's promise hook (and its source-mapped stack traces) off and on again in this
 * thread, where replay workers run their sandboxes: `install()` is skipped while it is off.
 */
function sdkPromiseHook(on: boolean): void {
  if (on) {
    globalHandlers.installed = false;
    globalHandlers.install();
  } else {
    globalHandlers.uninstall();
    globalHandlers.installed = true;
  }
}

const results: SideResult[] = [];

/** Counts promises created in a workflow sandbox (their constructor is the sandbox's Promise, not ours). */
class PromiseCounter {
  total = 0;
  readonly sites = new Map<string, number>();
  private counting = false;
  private withSites = false;
  private readonly stop: Function;

  constructor() {
    this.stop = promiseHooks.onInit((promise: Promise<unknown>) => {
      if (!this.counting || promise.constructor === Promise) return;
      this.total += 1;
      if (this.withSites) this.sites.set(creationSite(), (this.sites.get(creationSite()) ?? 0) + 1);
    });
  }

  async during(work: () => Promise<void>, withSites: boolean): Promise<void> {
    this.total = 0;
    this.sites.clear();
    this.withSites = withSites;
    this.counting = true;
    try {
      await work();
    } finally {
      this.counting = false;
    }
  }

  close(): void {
    (this.stop as () => void)();
  }
}

/** The innermost frames of the workflow bundle on the stack: where a promise was created. */
function creationSite(): string {
  const original = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, sites) => sites;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, creationSite);
  const sites = holder.stack ?? [];
  Error.prepareStackTrace = original;
  const frames = sites
    .filter((site) => (site.getFileName() ?? '').includes('workflow-bundle') || site.getFileName() === undefined)
    .slice(0, SITE_FRAMES)
    .map((site) => site.getFunctionName() ?? site.getMethodName() ?? (site.getFileName() === undefined ? '(native)' : '(anonymous)'));
  return frames.join(' ← ') || '(outside the bundle)';
}

async function runTask(side: SideName, client: Client, taskQueue: string, taskKey: string, model: ScriptedModel, zapStart: (agent: string, message: string) => Promise<string>): Promise<string> {
  const message = formatTaskMessage({ taskKey, scenario: 'echo', rounds: 1 });
  const workflowId = side.startsWith('bare')
    ? await startBareTask(client, { taskQueue, message, finalWaitMs: FINAL_WAIT_MS, localTools: side === 'bare-local' })
    : await zapStart(side === 'zap-local' ? BENCH_LOCAL_AGENT : BENCH_AGENT, message);
  await new HistoryFollower(client, workflowId).waitForTimers(1);
  model.forget(taskKey);
  return workflowId;
}

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model, client } = await startBenchServers(cleanups);
  const bundles: Record<'zap' | 'bare', WorkflowBundle> = {
    zap: await writeWorkflowBundle('zap', cleanups),
    bare: await writeWorkflowBundle('bare', cleanups),
  };
  const perRunBundle = await writeWorkflowBundle('zap', cleanups, { preload: false });
  const zapQueue = `bench-promises-zap-${process.pid}`;
  const bareQueue = `bench-promises-bare-${process.pid}`;
  const llm = { baseURL: model.baseURL, apiKey: 'bench' };
  const zap = createBenchZap({ taskQueue: zapQueue, temporalAddress: temporal.address, temporalClient: client, idleTimeout: FINAL_WAIT_MS, llm });
  const bareHost = createBareWorkerHost({ taskQueue: bareQueue, temporalAddress: temporal.address, llm, agent: createBenchAgent() });
  await zap.start();
  cleanups.push(() => zap.stop());
  const workers = [await runWorkerInProcess(zap, bundles.zap, cleanups), await runWorkerInProcess(bareHost, bundles.bare, cleanups)];
  const zapStart = async (agentName: string, message: string) => (await zap.executeTask({ agentName, task: message })).id;

  const histories = new Map<SideName, Array<{ workflowId: string; history: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>> }>>();
  for (const side of SIDES) {
    const list = [];
    for (const index of range(settings.tasks)) {
      const taskQueue = side.startsWith('bare') ? bareQueue : zapQueue;
      const workflowId = await runTask(side, client, taskQueue, `promises-${side}-${index}`, model, zapStart);
      list.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
    }
    histories.set(side, list);
  }
  await Promise.all(workers.map((worker) => worker.stop()));

  const counter = new PromiseCounter();
  cleanups.push(async () => counter.close());
  const replay = async (side: SideName, index: number): Promise<void> => {
    const { workflowId, history } = histories.get(side)![index % settings.tasks]!;
    const bundle = side.startsWith('bare') ? bundles.bare : bundles.zap;
    // A replay worker runs its sandboxes in this thread (the SDK sets `debugMode` for replay).
    await Worker.runReplayHistory({ workflowBundle: { code: bundle.code } }, history, workflowId);
  };
  const counts = new Map<SideName, { totals: number[]; sites: Map<string, number> }>();
  for (const side of SIDES) {
    const entry = { totals: [] as number[], sites: new Map<string, number>() };
    for (const index of range(settings.tasks)) {
      await counter.during(() => replay(side, index), true);
      entry.totals.push(counter.total);
      for (const [site, count] of counter.sites) entry.sites.set(site, (entry.sites.get(site) ?? 0) + count);
    }
    counts.set(side, entry);
  }
  // Replay time, without our hook's stack captures: rounds alternate the sides.
  const times = new Map<SideName, number[]>(SIDES.map((side) => [side, []]));
  for (const round of range(settings.replays)) {
    for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
      const startedAt = performance.now();
      await replay(side, round);
      times.get(side)!.push(performance.now() - startedAt);
    }
  }
  // The workflow code's own time: a batch of histories through one replay worker (its start and
  // the bundle's load amortized), with the SDK's promise hook and then without it.
  const batch = async (side: SideName, bundle: WorkflowBundle = side.startsWith('bare') ? bundles.bare : bundles.zap): Promise<number> => {
    const list = histories.get(side)!;
    const items = range(settings.batch).map((index) => list[index % list.length]!);
    const startedAt = performance.now();
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code: bundle.code } }, items)) {
      if (result.error) throw result.error;
    }
    return (performance.now() - startedAt) / settings.batch;
  };
  const batchTimes = (): Promise<Map<SideName, number>> => measureBatches(batch, settings.rounds);
  const withHook = await batchTimes();
  sdkPromiseHook(false);
  const withoutHook = await batchTimes();
  sdkPromiseHook(true);
  for (const side of ['zap', 'zap-local'] as const) {
    const preloaded: number[] = [];
    const perRun: number[] = [];
    for (const round of range(settings.rounds)) {
      for (const variant of round % 2 === 0 ? ['preloaded', 'per-run'] : ['per-run', 'preloaded']) {
        if (variant === 'preloaded') preloaded.push(await batch(side));
        else perRun.push(await batch(side, perRunBundle));
      }
    }
    preloadResults.push({ side, preloadedMs: median(preloaded), perRunMs: median(perRun) });
  }
  for (const side of SIDES) {
    const { totals, sites } = counts.get(side)!;
    results.push({
      side,
      promisesPerTask: median(totals),
      sites: [...sites]
        .map(([site, count]) => ({ site, perTask: count / settings.tasks }))
        .sort((left, right) => right.perTask - left.perTask),
      replayMs: median(times.get(side)!),
      batchMs: withHook.get(side)!,
      batchWithoutHookMs: withoutHook.get(side)!,
    });
  }
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const bySide = new Map(results.map((result) => [result.side, result]));
  console.log(
    `\nPromises created in the workflow sandbox per task (one tool round: model → echo → model → answer), counted while replaying ` +
      `${settings.tasks} real histories per side; replay time per task, median of ${settings.replays}.`,
  );
  console.log(
    formatTable(
      ['side', 'promises/task', 'vs baseline', 'replay ms/task', 'vs baseline'],
      results.map((result) => {
        const baseline = BASELINE[result.side] ? bySide.get(BASELINE[result.side]!) : undefined;
        return [
          result.side,
          fixed(result.promisesPerTask, 0),
          baseline ? ratio(result.promisesPerTask / baseline.promisesPerTask) : '',
          fixed(result.replayMs, 2),
          baseline ? ratio(result.replayMs / baseline.replayMs) : '',
        ];
      }),
    ),
  );
  console.log(
    `\nThe workflow code's time per task: ${settings.batch} histories a batch through one replay worker (its start amortized), ` +
      `median of ${settings.rounds} batches a side, with the SDK's promise hook (as every worker runs) and without it.`,
  );
  console.log(
    formatTable(
      ['side', 'ms/task', 'vs baseline', 'no hook ms/task', 'vs baseline', 'hook ms/task', 'hook µs/promise'],
      results.map((result) => {
        const baseline = BASELINE[result.side] ? bySide.get(BASELINE[result.side]!) : undefined;
        const hookMs = result.batchMs - result.batchWithoutHookMs;
        return [
          result.side,
          fixed(result.batchMs, 2),
          baseline ? ratio(result.batchMs / baseline.batchMs) : '',
          fixed(result.batchWithoutHookMs, 2),
          baseline ? ratio(result.batchWithoutHookMs / baseline.batchWithoutHookMs) : '',
          fixed(hookMs, 2),
          fixed((hookMs * 1000) / result.promisesPerTask, 1),
        ];
      }),
    ),
  );
  console.log(
    `\nPreloaded modules: zap's workflow code per task in the same batches, through its bundle as shipped (zap's modules ` +
      `evaluated once per V8 context) and with every run evaluating its own copy (0.2.0), alternating, median of ${settings.rounds}.`,
  );
  console.log(
    formatTable(
      ['side', 'preloaded ms/task', 'modules per run ms/task', 'ratio', 'saved ms/task'],
      preloadResults.map((result) => [result.side, fixed(result.preloadedMs, 2), fixed(result.perRunMs, 2), ratio(result.preloadedMs / result.perRunMs), fixed(result.perRunMs - result.preloadedMs, 2)]),
    ),
  );
  for (const result of results.filter((entry) => entry.side === 'zap' || entry.side === 'bare')) {
    console.log(`\nWhere ${result.side}'s promises are created (innermost sandbox frames), per task:`);
    console.log(formatTable(['site', 'promises'], result.sites.slice(0, 25).map(({ site, perTask }) => [site, fixed(perTask, 1)])));
  }
  const summary: SummaryRow[] = results
    .filter((result) => BASELINE[result.side])
    .map((result) => {
      const baseline = bySide.get(BASELINE[result.side]!)!;
      return {
        benchmark: 'workflow-promises',
        figure: `promises per task in the workflow sandbox: ${result.side}`,
        unit: 'promises',
        median: result.promisesPerTask,
        ratio: result.promisesPerTask / baseline.promisesPerTask,
        baseline: `${baseline.side}, same run: ${fixed(baseline.promisesPerTask, 0)}`,
        note: `replay ${fixed(result.replayMs, 2)} ms/task vs ${fixed(baseline.replayMs, 2)}`,
      };
    })
    .concat(
      results
        .filter((result) => BASELINE[result.side])
        .map((result) => {
          const baseline = bySide.get(BASELINE[result.side]!)!;
          const hookMs = result.batchMs - result.batchWithoutHookMs;
          const baselineHookMs = baseline.batchMs - baseline.batchWithoutHookMs;
          return {
            benchmark: 'workflow-promises',
            figure: `workflow code per task, replayed in batches: ${result.side}`,
            unit: 'ms',
            median: result.batchMs,
            ratio: result.batchMs / baseline.batchMs,
            baseline: `${baseline.side}, same run: ${fixed(baseline.batchMs, 2)} ms`,
            note:
              `without the SDK's promise hook ${fixed(result.batchWithoutHookMs, 2)} vs ${fixed(baseline.batchWithoutHookMs, 2)} ms; ` +
              `the hook ${fixed(hookMs, 2)} vs ${fixed(baselineHookMs, 2)} ms a task`,
          };
        }),
    )
    .concat(
      preloadResults.map((result) => ({
        benchmark: 'workflow-promises',
        figure: `workflow code per task, replayed in batches, zap's modules preloaded (the default): ${result.side}`,
        unit: 'ms',
        median: result.preloadedMs,
        ratio: result.preloadedMs / result.perRunMs,
        baseline: `modules per run (0.2.0's bundle), same run: ${fixed(result.perRunMs, 2)} ms`,
        note: `${fixed(result.perRunMs - result.preloadedMs, 2)} ms a task saved`,
      })),
    );
  const path = await writeResults('workflow-promises', { complete, settings, summary, results, preload: preloadResults });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment): Settings => ({
    tasks: readInteger(environment, 'BENCH_PROMISE_TASKS', 3, 2),
    replays: readInteger(environment, 'BENCH_PROMISE_REPLAYS', 20, 6),
    batch: readInteger(environment, 'BENCH_PROMISE_BATCH', 30, 10),
    rounds: readInteger(environment, 'BENCH_PROMISE_ROUNDS', 5, 3),
  }),
  hardTimeoutMs: (settings) =>
    180_000 + settings.tasks * SIDES.length * 10_000 + settings.replays * SIDES.length * 5_000 + (2 * SIDES.length + 4) * settings.rounds * settings.batch * 1_000,
  main,
  report,
});
