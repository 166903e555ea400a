/**
 * Throughput of one worker process: tasks per second with C tasks in flight (C = 1, 10, 100,
 * 500), against the bare Temporal workflow running the same activities with the same HTTP calls,
 * on the same dev server in the same run.
 *
 *   npx tsx bench/throughput.ts     # BENCH_CONCURRENCY=1,10,100,500 BENCH_SLICES=5 BENCH_SLICE_SECONDS=4
 *                                   # BENCH_TUNED_WORKER_OPTIONS='{"…":…}' BENCH_TUNED_FROM=100 ('' to skip that side)
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
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { startBareTask } from './lib/bare-activities';
import { BENCH_AGENT, createBenchZap, FINAL_WAIT_MS } from './lib/bench-zap';
import { readInteger, readIntegerList, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { HistoryFollower, measureHistoryTimings, type HistoryTimings } from './lib/history';
import { cpuPercent, machineCpuPercent, readThreadCpu, RssPeakTracker, takeSnapshot, threadCpuPercent, type UsageSnapshot } from './lib/process-usage';
import { fixed, formatTable, isQuick, mebibytes, ratio, summaryRow, writeResults } from './lib/report';
import { formatTaskMessage, type ScriptedModel } from './lib/scripted-model';
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

type SideName = 'zap' | 'bare' | 'bare-local' | 'zap-tuned';

interface Settings {
  concurrency: number[];
  slices: number;
  sliceSeconds: number;
  warmUpMinimum: number;
  tunedWorkerOptions: Record<string, unknown> | undefined;
  tunedFrom: number;
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

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model, client: startClient, connect } = await startBenchServers(cleanups);
  const [zapBundle, bareBundle] = await Promise.all([writeWorkflowBundle('zap', cleanups), writeWorkflowBundle('bare', cleanups)]);
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
      workflowBundlePath: bare ? bareBundle.path : zapBundle.path,
      workerOptions,
    });
    cleanups.push(() => worker.stop());
    if (bare) {
      const localTools = name === 'bare-local';
      return { name, worker, start: (message) => startBareTask(startClient, { taskQueue, message, finalWaitMs: FINAL_WAIT_MS, localTools }) };
    }
    const zap = createBenchZap({ taskQueue, temporalAddress: temporal.address, temporalClient: startClient, idleTimeout: FINAL_WAIT_MS });
    await zap.start();
    cleanups.push(() => zap.stop());
    return { name, worker, start: async (message) => (await zap.executeTask({ agentName: BENCH_AGENT, task: message })).id };
  };
  const sides = [await startSide('zap'), await startSide('bare'), await startSide('bare-local')];
  if (settings.tunedWorkerOptions) sides.push(await startSide('zap-tuned', settings.tunedWorkerOptions));
  console.error(`workers: ${sides.map((side) => `${side.name} pid ${side.worker.pid}`).join(', ')}; server pid ${temporal.pid}`);

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
  const baselineOf = (result: LevelResult): LevelResult | undefined =>
    result.side === 'bare' ? undefined : results.find((other) => other.side === 'bare' && other.concurrency === result.concurrency);
  const vsBare = (result: LevelResult): number | undefined => {
    const baseline = baselineOf(result);
    return baseline && result.tasksPerSecond.median / baseline.tasksPerSecond.median;
  };
  const percent = (value: number): string => `${fixed(value)}%`;
  const rows = [...results].sort((left, right) => left.concurrency - right.concurrency || left.side.localeCompare(right.side));
  console.log(
    `\nThroughput: one worker process, one tool round per task, zero-latency model; ${settings.slices} slices of ` +
      `${settings.sliceSeconds} s per level (more when ${WINDOW.minimumLatencies} task latencies are longer) after a warm-up. ` +
      `CPU in % of one core (the machine has ${cpus().length}); "CPU ms/task" = CPU time of the process over the window / tasks finished in it. ` +
      'bare-local: the bare workflow with its tool as a local activity.',
  );
  console.log(
    formatTable(
      ['C', 'side', 'tasks/s median', 'min–max', 'vs bare', 'latency p50 ms', 'p95 ms', 'worker CPU', 'worker peak RSS MiB', 'server CPU', 'client CPU', 'machine CPU', 'CPU ms/task worker', 'server', 'client', 'failed'],
      rows.map((result) => [
        String(result.concurrency),
        result.side,
        fixed(result.tasksPerSecond.median, 1),
        `${fixed(result.tasksPerSecond.min, 1)}–${fixed(result.tasksPerSecond.max, 1)}`,
        result.side === 'bare' ? '' : ratio(vsBare(result)),
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
            ratio: vsBare(result),
            baseline: `bare workflow: ${fixed(baselineOf(result)?.tasksPerSecond.median, 1)}`,
            note: `latency p50 ${fixed(result.latencyMs.median)} ms; worker ${fixed(result.cpuPercent.worker)}% CPU, ${mebibytes(result.peakRssBytes.worker)} MiB`,
          },
          result.tasksPerSecond,
        ),
      ),
    settings: { ...settings, finalWaitMs: FINAL_WAIT_MS, stepsPerTask: STEPS_PER_TASK },
    levels: results,
  });
  console.log(`\nJSON: ${path}`);
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
  };
}

runBenchmark({
  readSettings,
  // Per level and side: warm-up, window, drain; generous for a loaded 2-core machine.
  hardTimeoutMs: (settings) => 60_000 + settings.concurrency.length * 4 * (150_000 + Math.max(settings.slices * settings.sliceSeconds, WINDOW.maximumSeconds) * 1000),
  main,
  report,
});
