/**
 * Throughput of one worker process: tasks per second with C tasks in flight (C = 1, 10, 100,
 * 500), against the bare Temporal workflow running the same activities with the same HTTP calls,
 * on the same dev server in the same run.
 *
 *   npx tsx bench/throughput.ts     # BENCH_CONCURRENCY=1,10,100,500 BENCH_SLICES=5 BENCH_SLICE_SECONDS=4
 *                                   # BENCH_TUNED_WORKER_OPTIONS='{"…":…}' BENCH_TUNED_FROM=100 ('' to skip that side)
 *                                   # BENCH_STREAMING=0 BENCH_COST_TASKS=10 (0 skips the server-cost phase)
 *                                   # BENCH_SIDES=zap,bare,bare-local,zap-local,zap-plain (bare is always measured: the baseline;
 *                                   #   zap-per-run, only when named: zap's bundle without preloaded modules, as in 0.2.0;
 *                                   #   zap-node-heap, only when named: the zap worker with Node's heap flags, not the compact heap)
 *                                   # BENCH_SEARCH_ATTRIBUTE_CACHE=refresh (start-dev's default) | cached (as in production)
 *                                   # BENCH_CPU_PROFILE=<dir>: the worker processes write `node --cpu-prof` profiles there
 *
 * Each task is one tool round: model call → `echo` → model call → answer, with a zero-latency
 * scripted model. Closed loop: C lanes each start a task, wait until its answer is recorded in
 * history (the `TimerStarted` that follows it), and start the next. After a warm-up of max(C, 20)
 * tasks, the window (20 s, or two task latencies when longer, at most 90 s) is cut into 4 s
 * slices; tasks/s is counted per slice (median, min–max over slices), latency over the tasks
 * finished in the window.
 *
 * The worker runs in its own process, so its CPU (utime + stime of all its threads) and RSS come
 * from /proc, as do the Temporal server's and this process's (the client and the scripted model).
 * Per-thread CPU of the worker and per-step waits from history (workflow task and activity
 * schedule-to-start) tell where a limit comes from.
 *
 * Each side is compared with its matching baseline: `zap` (and `zap-tuned`, `zap-plain`: the zap
 * worker serving tasks started with `searchAttributes: 'off'`) with `bare`, a side
 * whose tools run as local activities with `bare-local`; `bare-local` itself with `bare` (what
 * one workflow task and one activity task per tool round cost). The CPU-per-task identity (on a
 * saturated machine throughput ∝ 1 / total CPU per task) predicts each ratio from CPU alone; where
 * prediction and measurement agree, the gap is the extra work per task, not waiting. A last table
 * splits zap's extra CPU per task over bare by process and thread: the workflow thread (its
 * workflow code), the rest of the worker, the server (and of it, by zap − zap-plain, what the
 * search attributes cost), the client.
 *
 * Before the load levels, BENCH_COST_TASKS tasks per side run one at a time and the dev server's
 * own counters (`--metrics-port`) give the server's work per task: frontend RPCs by method,
 * persistence calls (`UpdateWorkflowExecution` is one mutable-state write) and visibility writes.
 * Exact counts, whatever the load of the machine. The Bench agent's `streaming` is explicit
 * (BENCH_STREAMING, default off like the bare workflow, which cannot stream).
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { startBareTask } from './lib/bare-activities';
import { BENCH_AGENT, BENCH_LOCAL_AGENT, createBenchZap, FINAL_WAIT_MS } from './lib/bench-zap';
import { readInteger, readIntegerList, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { HistoryFollower, measureHistoryTimings, type HistoryTimings } from './lib/history';
import { cpuPercent, machineCpuPercent, readThreadCpu, RssPeakTracker, takeSnapshot, threadCpuPercent, type UsageSnapshot } from './lib/process-usage';
import { fixed, formatTable, isQuick, mebibytes, ratio, summaryRow, writeResults, type SummaryRow } from './lib/report';
import { formatTaskMessage, type ScriptedModel } from './lib/scripted-model';
import { countersBetween, findFreePort, metricsArguments, scrapeServerMetrics, sumOf } from './lib/server-metrics';
import { median, summarize, type Summary } from './lib/statistics';
import { startWorkerProcess, type WorkerProcess } from './lib/worker-process';

/** Worker options of the tuned side unless BENCH_TUNED_WORKER_OPTIONS says otherwise: see the README's Benchmarks section. */
const DEFAULT_TUNED_WORKER_OPTIONS = JSON.stringify({
  maxConcurrentWorkflowTaskExecutions: 200,
  workflowTaskPollerBehavior: { type: 'autoscaling', maximum: 100 },
  maxConcurrentActivityTaskExecutions: 500,
  activityTaskPollerBehavior: { type: 'autoscaling', maximum: 100 },
});
/**
 * The measuring window lasts at least this many task latencies (measured in the warm-up), so a
 * slow level is not judged on one wave, and at most this many seconds.
 */
const WINDOW = { minimumLatencies: 2, maximumSeconds: 90 };
/** Tasks whose histories are read for the per-step table, per level and side. */
const HISTORY_SAMPLE_TASKS = 20;
/** How long in-flight tasks may take to finish after a window before they are abandoned. */
const DRAIN_TIMEOUT_MS = 120_000;
const WARM_UP_TIMEOUT_MS = 180_000;
/** Steps before the answer of a one-round task. */
const STEPS_PER_TASK = { workflowTasks: 4, activities: 3, modelCalls: 2 };

/** The per-step means of the second table. */
const STEPS = ['workflowTaskWait', 'workflowTaskRun', 'activityWait', 'modelActivityRun'] as const;

type SideName = 'zap' | 'bare' | 'bare-local' | 'zap-local' | 'zap-plain' | 'zap-per-run' | 'zap-node-heap' | 'zap-tuned';

interface Settings {
  concurrency: number[];
  slices: number;
  sliceSeconds: number;
  warmUpMinimum: number;
  tunedWorkerOptions: Record<string, unknown> | undefined;
  tunedFrom: number;
  /** The Bench agent's `streaming` on the zap sides (BENCH_STREAMING=1|0). */
  streaming: boolean;
  /** The sides measured (BENCH_SIDES, comma-separated; zap-tuned comes from BENCH_TUNED_WORKER_OPTIONS). @default all the others */
  sides: Array<Exclude<SideName, 'zap-tuned'>>;
  /** Tasks per side of the server-cost phase (BENCH_COST_TASKS; 0 skips it). */
  costTasks: number;
  /** Where the worker processes write CPU profiles (BENCH_CPU_PROFILE). @default undefined (none) */
  cpuProfileDirectory: string | undefined;
  /**
   * BENCH_SEARCH_ATTRIBUTE_CACHE: `refresh` is the dev server as `temporal server start-dev` runs it
   * (`system.forceSearchAttributesCacheRefreshOnRead: true`: namespace and cluster metadata are read
   * again for every search-attribute check), `cached` as a production server runs it.
   */
  searchAttributeCache: 'refresh' | 'cached';
}

/** The dev server's counters per task of one side (see `server-metrics.ts`). */
interface ServerCost {
  side: string;
  tasks: number;
  counters: Record<string, number>;
}

/** A side of the comparison: a worker process and a way to start a task on it. */
interface LoadSide {
  name: SideName;
  worker: WorkerProcess;
  start(message: string): Promise<string>;
}

interface TaskRecord {
  workflowId: string;
  startedAt: number;
  endedAt: number;
}

/** What one side measured at one concurrency. */
interface LevelResult {
  side: SideName;
  concurrency: number;
  /** Tasks finished per second in each slice of the window. */
  sliceThroughput: number[];
  tasksPerSecond: Summary;
  latencyMs: Summary;
  failures: number;
  cpuPercent: { worker: number; server: number; client: number; machine: number };
  /** CPU time per finished task in the window: what one task costs each process. */
  cpuMsPerTask: { worker: number; server: number; client: number };
  windowSeconds: number;
  peakRssBytes: { worker: number; server: number };
  /** The worker's busiest threads over the window (thread name → % of one core). */
  workerThreads: Array<{ thread: string; cpuPercent: number }>;
  /** Means per step, medians over sampled tasks (server timestamps). */
  perStepMs: Record<(typeof STEPS)[number], number> | undefined;
}

const results: LevelResult[] = [];
const serverCosts: ServerCost[] = [];

/**
 * The same-run baseline of a side: `bare-local` for sides whose tools are local activities, else
 * `bare`; `bare-local` itself against `bare` (the inherent cost of an activity per tool round).
 */
function baselineNameOf(side: string): string | undefined {
  if (side === 'bare') return undefined;
  if (side === 'bare-local') return 'bare';
  return side.endsWith('-local') ? 'bare-local' : 'bare';
}

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const metricsPort = await findFreePort();
  // The CLI's start-dev re-reads search-attribute metadata on every read; a production server caches it.
  const cacheArguments = settings.searchAttributeCache === 'cached' ? ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'] : [];
  // The server's metrics endpoint only when the cost phase reads it: its counters are work of their own.
  const metrics = settings.costTasks > 0 ? metricsArguments(metricsPort) : [];
  const { temporal, model, client: startClient, connect } = await startBenchServers(cleanups, [...metrics, ...cacheArguments]);
  const [zapBundle, bareBundle] = await Promise.all([writeWorkflowBundle('zap', cleanups), writeWorkflowBundle('bare', cleanups)]);
  // zap-per-run: zap's bundle with every run evaluating its own copy of zap's modules (0.2.0's way).
  const perRunBundle = settings.sides.includes('zap-per-run') ? await writeWorkflowBundle('zap', cleanups, { preload: false }) : undefined;
  // Starts go through one connection, the history long polls of the answer waits through another.
  const pollClient = await connect();
  const suffix = randomBytes(4).toString('hex');

  const startSide = async (name: SideName, workerOptions: Record<string, unknown> = {}): Promise<LoadSide> => {
    const taskQueue = `bench-throughput-${name}-${suffix}`;
    const bare = name.startsWith('bare');
    const worker = await startWorkerProcess({
      side: bare ? 'bare' : 'zap',
      taskQueue,
      temporalAddress: temporal.address,
      llmBaseURL: model.baseURL,
      workflowBundlePath: bare ? bareBundle.path : name === 'zap-per-run' ? perRunBundle!.path : zapBundle.path,
      workerOptions,
      environment: {
        BENCH_STREAMING: settings.streaming ? '1' : '0',
        // zap-node-heap: the zap worker with Node's V8 heap flags instead of zap-worker's compact heap (as in 0.2.0).
        ...(name === 'zap-node-heap' ? { ZAP_WORKER_HEAP: 'node' } : {}),
        // A profile per worker process, written when it exits (after its drain).
        ...(settings.cpuProfileDirectory ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${settings.cpuProfileDirectory}/${name}`.trim() } : {}),
      },
    });
    cleanups.push(() => worker.stop());
    if (bare) {
      const localTools = name === 'bare-local';
      return { name, worker, start: (message) => startBareTask(startClient, { taskQueue, message, finalWaitMs: FINAL_WAIT_MS, localTools }) };
    }
    const zap = createBenchZap({ taskQueue, temporalAddress: temporal.address, temporalClient: startClient, idleTimeout: FINAL_WAIT_MS });
    await zap.start();
    cleanups.push(() => zap.stop());
    // zap-local: the same agent with its echo run as a local activity (`tool({ localActivity: true })`).
    const agentName = name === 'zap-local' ? BENCH_LOCAL_AGENT : BENCH_AGENT;
    return { name, worker, start: async (message) => (await zap.executeTask({ agentName, task: message })).id };
  };
  const zapSide = await startSide('zap');
  // zap-plain: the zap worker serving tasks started with `searchAttributes: 'off'`, so the server's
  // cost of zap's search attributes (set at start, upserted when the task answers) shows by difference.
  const plainZap = createBenchZap({
    taskQueue: `bench-throughput-zap-${suffix}`,
    temporalAddress: temporal.address,
    temporalClient: startClient,
    idleTimeout: FINAL_WAIT_MS,
    searchAttributes: 'off',
  });
  await plainZap.start();
  cleanups.push(() => plainZap.stop());
  const plainSide: LoadSide = {
    name: 'zap-plain',
    worker: zapSide.worker,
    start: async (message) => (await plainZap.executeTask({ agentName: BENCH_AGENT, task: message })).id,
  };
  const sides: LoadSide[] = [];
  for (const name of settings.sides) {
    if (name === 'zap') sides.push(zapSide);
    else if (name === 'zap-plain') sides.push(plainSide);
    else sides.push(await startSide(name));
  }
  if (settings.tunedWorkerOptions) sides.push(await startSide('zap-tuned', settings.tunedWorkerOptions));
  console.error(`workers: ${sides.map((side) => `${side.name} pid ${side.worker.pid}`).join(', ')}; server pid ${temporal.pid}`);

  if (settings.costTasks > 0) {
    // zap-plain's counters always: exact and cheap, they show what the search attributes cost the server.
    const costSides = [...sides.filter((side) => side.name !== 'zap-tuned' && side !== plainSide), plainSide].map((side) => ({ ...side, label: side.name }));
    for (const side of costSides) serverCosts.push(await measureServerCost(side, settings.costTasks, model, pollClient, metricsPort));
  }

  for (const [levelIndex, concurrency] of settings.concurrency.entries()) {
    // Alternate which side goes first, so drift on a shared machine hits all sides alike.
    const active = sides.filter((side) => side.name !== 'zap-tuned' || concurrency >= settings.tunedFrom);
    for (const side of levelIndex % 2 === 0 ? active : [...active].reverse()) {
      const startedAt = Date.now();
      const result = await measureLevel({ side, concurrency, settings, model, pollClient, serverPid: temporal.pid });
      results.push(result);
      console.error(
        `C=${concurrency} ${side.name}: ${result.tasksPerSecond.median.toFixed(1)} tasks/s, p50 ${result.latencyMs.median.toFixed(0)} ms, ` +
          `worker ${result.cpuPercent.worker.toFixed(0)}% CPU (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`,
      );
    }
  }
}

interface MeasureLevelOptions {
  side: LoadSide;
  concurrency: number;
  settings: Settings;
  model: ScriptedModel;
  pollClient: Client;
  serverPid: number;
}

async function measureLevel(options: MeasureLevelOptions): Promise<LevelResult> {
  const { side, concurrency, settings, model, pollClient } = options;
  const pids = { worker: side.worker.pid, server: options.serverPid, client: process.pid };
  const finished: TaskRecord[] = [];
  let failures = 0;
  let starting = true;
  let counter = 0;

  const runTask = async (): Promise<void> => {
    counter += 1;
    const taskKey = `${side.name}-c${concurrency}-${counter}`;
    const startedAt = performance.now();
    try {
      const workflowId = await side.start(formatTaskMessage({ taskKey, scenario: 'echo' }));
      await model.whenRequested(taskKey, 2);
      await new HistoryFollower(pollClient, workflowId).waitForTimers(1);
      finished.push({ workflowId, startedAt, endedAt: performance.now() });
    } catch (error) {
      failures += 1;
      if (failures <= 3) console.error(`task ${taskKey} failed:`, error instanceof Error ? error.message : error);
    } finally {
      model.forget(taskKey);
    }
  };
  const lanes = Array.from({ length: concurrency }, async () => {
    while (starting) await runTask();
  });

  const warmUpDeadline = Date.now() + WARM_UP_TIMEOUT_MS;
  while (finished.length < Math.max(concurrency, settings.warmUpMinimum) && Date.now() < warmUpDeadline && failures <= Math.max(10, concurrency)) {
    await sleep(20);
  }
  const warmUpLatencySeconds = median(finished.map((task) => task.endedAt - task.startedAt)) / 1000 || 0;
  const windowSeconds = Math.min(WINDOW.maximumSeconds, Math.max(settings.slices * settings.sliceSeconds, WINDOW.minimumLatencies * warmUpLatencySeconds));

  const tracker = new RssPeakTracker({ worker: pids.worker, server: pids.server });
  tracker.start();
  const threadsBefore = readThreadCpu(side.worker.pid);
  const snapshots: UsageSnapshot[] = [takeSnapshot(pids)];
  for (let slice = 0; slice < Math.ceil(windowSeconds / settings.sliceSeconds); slice += 1) {
    await sleep(settings.sliceSeconds * 1000);
    snapshots.push(takeSnapshot(pids));
  }
  const threadsAfter = readThreadCpu(side.worker.pid);
  tracker.stop();
  starting = false;
  const [first, last] = [snapshots[0]!, snapshots.at(-1)!];
  const endedBetween = (from: number, to: number): TaskRecord[] => finished.filter((task) => task.endedAt >= from && task.endedAt < to);
  const inWindow = endedBetween(first.atMs, last.atMs);
  const sliceThroughput = snapshots.slice(1).map((snapshot, index) => {
    const from = snapshots[index]!.atMs;
    return endedBetween(from, snapshot.atMs).length / ((snapshot.atMs - from) / 1000);
  });

  const drained = await Promise.race([Promise.all(lanes).then(() => true), sleep(DRAIN_TIMEOUT_MS).then(() => false)]);
  if (!drained) console.error(`C=${concurrency} ${side.name}: tasks still running ${DRAIN_TIMEOUT_MS / 1000} s after the window; going on.`);

  const seconds = (last.atMs - first.atMs) / 1000;
  const percent = { worker: cpuPercent(first, last, 'worker'), server: cpuPercent(first, last, 'server'), client: cpuPercent(first, last, 'client') };
  const perTask = (name: keyof typeof percent): number => ((percent[name] / 100) * seconds * 1000) / inWindow.length;
  return {
    side: side.name,
    concurrency,
    windowSeconds: seconds,
    sliceThroughput,
    tasksPerSecond: summarize(sliceThroughput),
    latencyMs: summarize(inWindow.map((task) => task.endedAt - task.startedAt)),
    failures,
    cpuPercent: { ...percent, machine: machineCpuPercent(first, last) },
    cpuMsPerTask: { worker: perTask('worker'), server: perTask('server'), client: perTask('client') },
    peakRssBytes: { worker: tracker.peak('worker'), server: tracker.peak('server') },
    workerThreads: threadCpuPercent(threadsBefore, threadsAfter, seconds).slice(0, 6),
    perStepMs: await sampleSteps(pollClient, inWindow),
  };
}

/** Tasks of the cost phase run before counting, so the first task's one-off work is left out. */
const COST_WARM_UP_TASKS = 2;

/**
 * The server's work per task of one side: `tasks` tasks one at a time, each from its start to the
 * close of its workflow, between two reads of the dev server's counters. Other sides' workers are
 * idle but poll: their long polls end only on a timeout (about a minute), so at most a few poll
 * RPCs of the whole phase are theirs.
 */
async function measureServerCost(
  side: Pick<LoadSide, 'start'> & { label: string },
  tasks: number,
  model: ScriptedModel,
  client: Client,
  metricsPort: number,
): Promise<ServerCost> {
  const runTask = async (taskKey: string): Promise<void> => {
    const workflowId = await side.start(formatTaskMessage({ taskKey, scenario: 'echo' }));
    await model.whenRequested(taskKey, 2);
    await new HistoryFollower(client, workflowId).waitForTimers(1);
    model.forget(taskKey);
    await client.workflow.getHandle(workflowId).result().catch(() => undefined);
  };
  const key = side.label.replace(/[^a-z-]/g, '');
  for (let index = 0; index < COST_WARM_UP_TASKS; index += 1) await runTask(`cost-${key}-warm-${index}`);
  const before = await scrapeServerMetrics(metricsPort);
  for (let index = 0; index < tasks; index += 1) await runTask(`cost-${key}-${index}`);
  const after = await scrapeServerMetrics(metricsPort);
  const counters = countersBetween(before, after, tasks);
  console.error(
    `cost ${side.label}: ${fixed(sumOf(counters, 'rpc:'), 1)} RPCs, ${fixed(counters.get('persistence:UpdateWorkflowExecution'), 1)} mutable-state writes, ` +
      `${fixed(counters.get('visibility:UpsertWorkflowExecution'), 1)} visibility upserts per task`,
  );
  return { side: side.label, tasks, counters: Object.fromEntries(counters) };
}

/** Per-step server timings of a sample of the window's tasks. */
async function sampleSteps(client: Client, tasks: readonly TaskRecord[]): Promise<LevelResult['perStepMs']> {
  const step = Math.max(1, Math.floor(tasks.length / HISTORY_SAMPLE_TASKS));
  const timings: HistoryTimings[] = [];
  for (const task of tasks.filter((_, index) => index % step === 0).slice(0, HISTORY_SAMPLE_TASKS)) {
    // A history that cannot be read is left out of the sample.
    const history = await client.workflow.getHandle(task.workflowId).fetchHistory().catch(() => undefined);
    if (history) timings.push(measureHistoryTimings(history));
  }
  if (timings.length === 0) return undefined;
  const per = (pick: (timing: HistoryTimings) => number, steps: number): number => median(timings.map((timing) => pick(timing) / steps));
  return {
    workflowTaskWait: per((timing) => timing.workflowTaskWaitMs, STEPS_PER_TASK.workflowTasks),
    workflowTaskRun: per((timing) => timing.workflowTaskRunMs, STEPS_PER_TASK.workflowTasks),
    activityWait: per((timing) => timing.activityWaitMs, STEPS_PER_TASK.activities),
    modelActivityRun: per((timing) => timing.modelActivityRunMs, STEPS_PER_TASK.modelCalls),
  };
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const baselineOf = (result: LevelResult): LevelResult | undefined => {
    const name = baselineNameOf(result.side);
    return name === undefined ? undefined : results.find((other) => other.side === name && other.concurrency === result.concurrency);
  };
  const vsBaseline = (result: LevelResult): number | undefined => {
    const baseline = baselineOf(result);
    return baseline && result.tasksPerSecond.median / baseline.tasksPerSecond.median;
  };
  const cpuPerTask = (result: LevelResult): number => result.cpuMsPerTask.worker + result.cpuMsPerTask.server + result.cpuMsPerTask.client;
  /** What the CPU-per-task identity predicts: the baseline's total CPU per task over this side's. */
  const predicted = (result: LevelResult): number | undefined => {
    const baseline = baselineOf(result);
    return baseline && cpuPerTask(baseline) / cpuPerTask(result);
  };
  const percent = (value: number): string => `${fixed(value)}%`;
  const rows = [...results].sort((left, right) => left.concurrency - right.concurrency || left.side.localeCompare(right.side));
  console.log(
    `\nThroughput: one worker process, one tool round per task, zero-latency model; ${settings.slices} slices of ` +
      `${settings.sliceSeconds} s per level (more when ${WINDOW.minimumLatencies} task latencies are longer) after a warm-up. ` +
      `CPU in % of one core (the machine has ${cpus().length}); "CPU ms/task" = CPU time of the process over the window / tasks finished in it. ` +
      'bare-local: the bare workflow with its tool as a local activity. "vs baseline": tasks/s over the matching baseline ' +
      `of the same level (bare-local for *-local sides, bare for the others and for bare-local). Bench agent streaming: ${settings.streaming ? 'on' : 'off'}; ` +
      `dev server search-attribute cache: ${settings.searchAttributeCache}.`,
  );
  console.log(
    formatTable(
      ['C', 'side', 'tasks/s median', 'min–max', 'vs baseline', 'latency p50 ms', 'p95 ms', 'worker CPU', 'worker peak RSS MiB', 'server CPU', 'client CPU', 'machine CPU', 'CPU ms/task worker', 'server', 'client', 'failed'],
      rows.map((result) => [
        String(result.concurrency),
        result.side,
        fixed(result.tasksPerSecond.median, 1),
        `${fixed(result.tasksPerSecond.min, 1)}–${fixed(result.tasksPerSecond.max, 1)}`,
        result.side === 'bare' ? '' : `${ratio(vsBaseline(result))} ${baselineNameOf(result.side)}`,
        fixed(result.latencyMs.median),
        fixed(result.latencyMs.p95),
        percent(result.cpuPercent.worker),
        mebibytes(result.peakRssBytes.worker),
        percent(result.cpuPercent.server),
        percent(result.cpuPercent.client),
        percent(result.cpuPercent.machine),
        ...Object.values(result.cpuMsPerTask).map((value) => fixed(value, 1)),
        String(result.failures),
      ]),
    ),
  );
  console.log('\nWhere a task waits, mean ms per step (server timestamps, medians over sampled tasks)');
  console.log(
    formatTable(
      ['C', 'side', 'workflow task wait', 'workflow task run', 'activity wait', 'model activity run', 'worker threads, % of a core'],
      rows.map((result) => [
        String(result.concurrency),
        result.side,
        ...STEPS.map((step) => fixed(result.perStepMs?.[step], 1)),
        result.workerThreads.slice(0, 4).map((entry) => `${entry.thread} ${entry.cpuPercent.toFixed(0)}`).join(', '),
      ]),
    ),
  );
  console.log(
    '\nCPU-per-task identity: on a saturated machine tasks/s ∝ 1 / (worker + server + client CPU ms per task), so the baseline\'s ' +
      'CPU per task over the side\'s predicts the throughput ratio. measured / predicted ≈ 1: the gap is the extra CPU per task (work); ' +
      '> 1: the side waits less than its CPU suggests; < 1: it waits more (latency, not CPU). At low machine CPU the identity does not hold (latency-bound).',
  );
  console.log(
    formatTable(
      ['C', 'side', 'baseline', 'CPU ms/task side', 'baseline', 'predicted ratio', 'measured ratio', 'measured / predicted', 'machine CPU'],
      rows
        .filter((result) => baselineOf(result))
        .map((result) => [
          String(result.concurrency),
          result.side,
          baselineNameOf(result.side) ?? '',
          fixed(cpuPerTask(result), 1),
          fixed(cpuPerTask(baselineOf(result)!), 1),
          ratio(predicted(result)),
          ratio(vsBaseline(result)),
          ratio((vsBaseline(result) ?? Number.NaN) / (predicted(result) ?? Number.NaN)),
          percent(result.cpuPercent.machine),
        ]),
    ),
  );
  printTargets();
  printCpuGap();
  printServerCosts();
  if (settings.tunedWorkerOptions) console.log(`\nzap-tuned worker options: ${JSON.stringify(settings.tunedWorkerOptions)}`);
  const path = await writeResults('throughput', {
    complete,
    summary: rows
      .filter((result) => result.side !== 'bare')
      .map((result) =>
        summaryRow(
          {
            benchmark: 'throughput',
            figure: `tasks/s at C=${result.concurrency}${result.side === 'zap' ? '' : ` (${result.side})`}`,
            unit: 'tasks/s',
            ratio: vsBaseline(result),
            baseline: `${baselineNameOf(result.side)} workflow: ${fixed(baselineOf(result)?.tasksPerSecond.median, 1)}`,
            note:
              `latency p50 ${fixed(result.latencyMs.median)} ms; worker ${fixed(result.cpuPercent.worker)}% CPU, ${mebibytes(result.peakRssBytes.worker)} MiB; ` +
              `CPU/task ${fixed(cpuPerTask(result), 1)} ms vs ${fixed(cpuPerTask(baselineOf(result) ?? result), 1)} → predicted ${ratio(predicted(result))}`,
          },
          result.tasksPerSecond,
        ),
      )
      .concat(serverCostSummaryRows()),
    settings: { ...settings, finalWaitMs: FINAL_WAIT_MS, stepsPerTask: STEPS_PER_TASK },
    levels: results,
    serverCostPerTask: serverCosts,
  });
  console.log(`\nJSON: ${path}`);
}

/** The issue's target: zap at least this fraction of bare's tasks/s at every level. */
const TARGET_RATIO = 0.95;

/**
 * The target per level, and what stands between zap and bare-local: zap / bare-local =
 * (zap / bare) × (bare / bare-local), where bare / bare-local is what one workflow task and one
 * activity task per tool round cost any Temporal workflow (inherent to running tools as activities).
 */
function printTargets(): void {
  const at = (side: string, concurrency: number): LevelResult | undefined =>
    results.find((result) => result.side === side && result.concurrency === concurrency);
  const levels = [...new Set(results.map((result) => result.concurrency))].sort((left, right) => left - right);
  const rate = (side: string, concurrency: number): number | undefined => at(side, concurrency)?.tasksPerSecond.median;
  const over = (top: number | undefined, bottom: number | undefined): number | undefined => (top && bottom ? top / bottom : undefined);
  console.log(
    `\nTargets: zap ≥ ${TARGET_RATIO}× bare at every level. zap / bare-local = zap / bare × bare / bare-local; the last factor is the cost ` +
      'of one workflow task and one activity task per tool round (inherent to tools as activities), which zap-local removes.',
  );
  console.log(
    formatTable(
      ['C', 'zap / bare', `≥ ${TARGET_RATIO}`, 'bare / bare-local', 'zap / bare-local', 'zap-local / bare-local', 'zap-local / bare'],
      levels.map((concurrency) => {
        const zapOverBare = over(rate('zap', concurrency), rate('bare', concurrency));
        return [
          String(concurrency),
          ratio(zapOverBare),
          zapOverBare === undefined ? '' : zapOverBare >= TARGET_RATIO ? 'yes' : 'no',
          ratio(over(rate('bare', concurrency), rate('bare-local', concurrency))),
          ratio(over(rate('zap', concurrency), rate('bare-local', concurrency))),
          ratio(over(rate('zap-local', concurrency), rate('bare-local', concurrency))),
          ratio(over(rate('zap-local', concurrency), rate('bare', concurrency))),
        ];
      }),
    ),
  );
}

/** CPU ms per task of one worker thread (by name, summed over threads of that name) in a level. */
function threadMsPerTask(result: LevelResult, thread: string): number {
  const percent = result.workerThreads.filter((entry) => entry.thread === thread).reduce((sum, entry) => sum + entry.cpuPercent, 0);
  return result.cpuPercent.worker > 0 ? (result.cpuMsPerTask.worker * percent) / result.cpuPercent.worker : 0;
}

/**
 * Where zap's extra CPU per task over bare goes, per level: the worker's workflow threads
 * (`WorkerThread`: zap's workflow code and the SDK's per-promise hook, see
 * `bench/workflow-promises.ts`), the rest of the worker (main thread: activities and the SDK's
 * bridge; Core's threads), the server (and of it the part zap-plain saves: the search attributes),
 * the client. The total over bare's total is the throughput ratio the CPU identity predicts.
 */
function printCpuGap(): void {
  const levels = [...new Set(results.map((result) => result.concurrency))].sort((left, right) => left - right);
  const rows = levels.flatMap((concurrency) => {
    const at = (side: string): LevelResult | undefined => results.find((result) => result.side === side && result.concurrency === concurrency);
    const zap = at('zap');
    const bare = at('bare');
    if (!zap || !bare) return [];
    const plain = at('zap-plain');
    const total = (result: LevelResult): number => result.cpuMsPerTask.worker + result.cpuMsPerTask.server + result.cpuMsPerTask.client;
    const workflowThread = threadMsPerTask(zap, 'WorkerThread') - threadMsPerTask(bare, 'WorkerThread');
    const worker = zap.cpuMsPerTask.worker - bare.cpuMsPerTask.worker;
    const signed = (value: number | undefined): string => (value === undefined ? '' : `${value >= 0 ? '+' : ''}${fixed(value, 1)}`);
    return [
      [
        String(concurrency),
        fixed(total(bare), 1),
        signed(total(zap) - total(bare)),
        signed(workflowThread),
        signed(worker - workflowThread),
        signed(zap.cpuMsPerTask.server - bare.cpuMsPerTask.server),
        signed(plain && zap.cpuMsPerTask.server - plain.cpuMsPerTask.server),
        signed(zap.cpuMsPerTask.client - bare.cpuMsPerTask.client),
        ratio(total(bare) / total(zap)),
        plain ? ratio(total(bare) / total(plain)) : '',
        ratio(zap.tasksPerSecond.median / bare.tasksPerSecond.median),
        plain ? ratio(plain.tasksPerSecond.median / bare.tasksPerSecond.median) : '',
      ],
    ];
  });
  if (rows.length === 0) return;
  console.log(
    '\nWhere zap\'s extra CPU per task goes (ms per task, zap − bare, same level): the worker\'s workflow threads (zap\'s workflow code and the ' +
      'SDK\'s per-promise stack-trace hook; see bench/workflow-promises.ts), the rest of the worker (main thread: activities, the SDK bridge; Core), ' +
      'the server, and of it the search attributes (zap − zap-plain, the same tasks started with searchAttributes: \'off\'), the client. ' +
      'Predicted = bare\'s total CPU per task over the side\'s.',
  );
  console.log(
    formatTable(
      ['C', 'bare CPU ms/task', 'zap extra', 'workflow threads', 'rest of worker', 'server', 'of it search attributes', 'client', 'zap predicted', 'zap-plain predicted', 'zap measured', 'zap-plain measured'],
      rows,
    ),
  );
}

/** The figures of the server-cost table, per task: label, counter key (or prefix, summed). */
const COST_FIGURES: ReadonlyArray<{ label: string; key: string; sum?: boolean; except?: string }> = [
  { label: 'frontend RPCs (all)', key: 'rpc:', sum: true },
  // Polls are left out: the idle pollers of every worker process count there too.
  { label: 'frontend RPCs but polls', key: 'rpc:', sum: true, except: 'rpc:Poll' },
  { label: 'mutable-state writes (UpdateWorkflowExecution)', key: 'persistence:UpdateWorkflowExecution' },
  { label: 'persistence calls (all)', key: 'persistence:', sum: true },
  { label: 'visibility upserts (UpsertWorkflowExecution)', key: 'visibility:UpsertWorkflowExecution' },
  { label: 'visibility calls (all)', key: 'visibility:', sum: true },
];

function costOf(cost: ServerCost, figure: { key: string; sum?: boolean; except?: string }): number {
  const counters = new Map(Object.entries(cost.counters));
  if (!figure.sum) return counters.get(figure.key) ?? 0;
  return sumOf(counters, figure.key) - (figure.except ? sumOf(counters, figure.except) : 0);
}

/** The server's work per task, side by side: the headline figures, then every frontend RPC method and persistence operation. */
function printServerCosts(): void {
  if (serverCosts.length === 0) return;
  const tasks = serverCosts[0]!.tasks;
  console.log(
    `\nServer work per task (dev server counters, ${tasks} tasks per side one at a time, start to workflow close; exact). ` +
      'RPCs include the benchmark client\'s start and history long polls (alike on every side); Poll* include the idle pollers of the other worker ' +
      'processes, hence "but polls". On the CLI\'s dev server (BENCH_SEARCH_ATTRIBUTE_CACHE=refresh) every search-attribute check re-reads ' +
      'namespace and cluster metadata (GetNamespace, GetCurrentClusterMetadata); a production server caches them (=cached).',
  );
  const labels = serverCosts.map((cost) => cost.side);
  const bare = serverCosts.find((cost) => cost.side === 'bare');
  const keys = [...new Set(serverCosts.flatMap((cost) => Object.keys(cost.counters)))]
    .filter((key) => serverCosts.some((cost) => (cost.counters[key] ?? 0) >= 0.05))
    .sort();
  const figureRows = COST_FIGURES.map((figure) => [
    figure.label,
    ...serverCosts.map((cost) => {
      const value = costOf(cost, figure);
      const base = bare && costOf(bare, figure);
      return cost === bare || !base ? fixed(value, 1) : `${fixed(value, 1)} (${ratio(value / base)})`;
    }),
  ]);
  const detailRows = keys.map((key) => [key, ...serverCosts.map((cost) => fixed(cost.counters[key] ?? 0, 1))]);
  console.log(formatTable(['per task', ...labels], [...figureRows, ...detailRows]));
}

/** Summary rows of the server-cost table: each side's headline figures against bare. */
function serverCostSummaryRows(): SummaryRow[] {
  const bare = serverCosts.find((cost) => cost.side === 'bare');
  if (!bare) return [];
  return serverCosts
    .filter((cost) => cost !== bare)
    .flatMap((cost) =>
      COST_FIGURES.filter((figure) => figure.label !== 'frontend RPCs (all)' && figure.label !== 'persistence calls (all)').map((figure) => {
        const value = costOf(cost, figure);
        const base = costOf(bare, figure);
        return {
          benchmark: 'throughput',
          figure: `${figure.label} per task (${cost.side})`,
          unit: 'count',
          median: value,
          ...(base > 0 ? { ratio: value / base } : {}),
          baseline: `bare workflow: ${fixed(base, 1)}`,
          note: `dev server counters, ${cost.tasks} tasks one at a time`,
        };
      }),
    );
}

/** The sides measured unless BENCH_SIDES says otherwise. */
const DEFAULT_SIDES = ['zap', 'bare', 'bare-local', 'zap-local', 'zap-plain'] as const;
/** Every side BENCH_SIDES may name, in measuring order. */
const KNOWN_SIDES = [...DEFAULT_SIDES, 'zap-per-run', 'zap-node-heap'] as const;

/** BENCH_SIDES: which sides to measure; `bare` (every side's baseline, or its baseline's) always. */
function readSides(raw: string | undefined): Settings['sides'] {
  if (raw === undefined || raw.trim() === '') return [...DEFAULT_SIDES];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(KNOWN_SIDES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_SIDES: unknown side ${unknown.join(', ')}; the sides are ${KNOWN_SIDES.join(', ')}.`);
  // bare-local is the baseline of the *-local sides.
  const needed = new Set([...names, 'bare', ...(names.some((name) => name.endsWith('-local')) ? ['bare-local'] : [])]);
  return KNOWN_SIDES.filter((name) => needed.has(name));
}

function readSettings(environment: NodeJS.ProcessEnv): Settings {
  const tuned = environment.BENCH_TUNED_WORKER_OPTIONS ?? DEFAULT_TUNED_WORKER_OPTIONS;
  const tunedWorkerOptions: unknown = tuned.trim() === '' ? undefined : JSON.parse(tuned);
  const isObject = typeof tunedWorkerOptions === 'object' && tunedWorkerOptions !== null && !Array.isArray(tunedWorkerOptions);
  if (tunedWorkerOptions !== undefined && !isObject) {
    throw new Error('BENCH_TUNED_WORKER_OPTIONS must be a JSON object.');
  }
  return {
    concurrency: readIntegerList(environment, 'BENCH_CONCURRENCY', [1, 10, 100, 500], [1, 10, 50]),
    slices: readInteger(environment, 'BENCH_SLICES', 5, 3),
    sliceSeconds: readInteger(environment, 'BENCH_SLICE_SECONDS', 4, 2),
    warmUpMinimum: isQuick(environment) ? 10 : 20,
    tunedWorkerOptions: tunedWorkerOptions as Record<string, unknown> | undefined,
    // The tuned side runs from this concurrency on (slots and pollers cannot matter below it).
    tunedFrom: readInteger(environment, 'BENCH_TUNED_FROM', 100),
    streaming: environment.BENCH_STREAMING === '1' || environment.BENCH_STREAMING === 'true',
    sides: readSides(environment.BENCH_SIDES),
    costTasks: readInteger(environment, 'BENCH_COST_TASKS', 10, 4, 0),
    cpuProfileDirectory: environment.BENCH_CPU_PROFILE || undefined,
    searchAttributeCache: readSearchAttributeCache(environment.BENCH_SEARCH_ATTRIBUTE_CACHE),
  };
}

function readSearchAttributeCache(raw: string | undefined): Settings['searchAttributeCache'] {
  if (raw === undefined || raw === '' || raw === 'refresh') return 'refresh';
  if (raw === 'cached') return 'cached';
  throw new Error(`BENCH_SEARCH_ATTRIBUTE_CACHE must be 'refresh' or 'cached', not ${raw}.`);
}

runBenchmark({
  readSettings,
  // Per level and side: warm-up, window, drain; generous for a loaded 2-core machine.
  hardTimeoutMs: (settings) => 60_000 + settings.concurrency.length * (settings.sides.length + (settings.tunedWorkerOptions ? 1 : 0)) * (150_000 + Math.max(settings.slices * settings.sliceSeconds, WINDOW.maximumSeconds) * 1000),
  main,
  report,
});
