/**
 * Throughput of one worker process: tasks per second with C tasks in flight (C = 1, 10, 100,
 * 500), against the bare Temporal workflow of the overhead benchmark running the same activities
 * with the same HTTP calls, on the same dev server in the same run.
 *
 *   npx tsx bench/throughput.ts     # BENCH_CONCURRENCY=1,10,100,500 BENCH_SLICES=5 BENCH_SLICE_SECONDS=4
 *                                   # BENCH_TUNED_WORKER_OPTIONS='{"…":…}' BENCH_TUNED_FROM=100 ('' to skip that side)
 *
 * Each task is one tool round: model call → `echo` → model call → answer, with a zero-latency
 * scripted model. Closed loop: C lanes each start a task, wait until its answer is recorded in
 * history (the `TimerStarted` that follows it; see `answer-recorded.ts`), and start the next.
 * After a warm-up of max(C, 20) tasks, the window (20 s, or two task latencies when longer, at most
 * 90 s) is cut into 4 s slices; tasks/s is counted per slice (median, min–max over slices),
 * latency over the tasks finished in the window.
 *
 * The worker runs in its own process (`workers/zap-worker.ts` with `load-worker.ts`, or with
 * `bare-worker.ts`), so its CPU (utime + stime of all its threads) and RSS come from /proc, as do
 * the Temporal server's and this process's (the client and the scripted model). Per-thread CPU of
 * the worker and per-step waits from history (workflow task and activity schedule-to-start) tell
 * where a limit comes from.
 *
 * Prints tables, writes `bench/results/throughput.json`, and exits 0; after the hard timeout it
 * prints what was measured so far and exits 1.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { TemporalDevServer } from 'zap-agents/testing';
import { waitForAnswerRecorded } from './answer-recorded';
import type { bareAgentWorkflow } from './bare-workflow';
import { BENCH_SYSTEM_PROMPT, FINAL_WAIT_MS } from './bench-task';
import { isQuick, mebibytes, readInteger, readIntegerList, runBenchmark, writeResults, type Cleanups } from './bench-harness';
import { measureHistoryTimings, type HistoryTimings } from './history-timings';
import { createLoadZap, LOAD_AGENT } from './load-agent';
import { LoadModel } from './load-model';
import { formatLoadMessage } from './load-task';
import {
  cpuPercent,
  machineCpuPercent,
  readThreadCpu,
  RssPeakTracker,
  takeSnapshot,
  threadCpuPercent,
  type UsageSnapshot,
} from './process-usage';
import { formatTable } from './report';
import { median, summarize, type Summary } from './statistics';
import { writeWorkflowBundles } from './worker-bundles';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

/**
 * Worker options of the tuned side unless BENCH_TUNED_WORKER_OPTIONS says otherwise: see the
 * README's Benchmarks section for why these.
 */
const DEFAULT_TUNED_WORKER_OPTIONS = JSON.stringify({
  maxConcurrentWorkflowTaskExecutions: 200,
  workflowTaskPollerBehavior: { type: 'autoscaling', maximum: 100 },
  maxConcurrentActivityTaskExecutions: 500,
  activityTaskPollerBehavior: { type: 'autoscaling', maximum: 100 },
});
/** The tuned side runs from this concurrency on (slots and pollers cannot matter below it). */
const DEFAULT_TUNED_FROM = 100;
/** The window lasts at least this many task latencies (measured in the warm-up), so a slow level is not judged on one wave. */
const WINDOW_LATENCIES = 2;
/** Upper bound of a window stretched by WINDOW_LATENCIES. */
const MAX_WINDOW_SECONDS = 90;
/** Tasks whose histories are read for the per-step table, per level and side. */
const HISTORY_SAMPLE_TASKS = 20;
/** How long in-flight tasks may take to finish after a window before they are abandoned. */
const DRAIN_TIMEOUT_MS = 120_000;
/** Longest wait for the warm-up of a level. */
const WARM_UP_TIMEOUT_MS = 180_000;
/** Workflow tasks and activities before the answer of a one-round task (see report.ts). */
const WORKFLOW_TASKS_PER_TASK = 4;
const ACTIVITIES_PER_TASK = 3;

// Worker lifecycle messages are INFO; keep the output to the results.
Runtime.install({ logger: new DefaultLogger('WARN') });

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
  workerOptions: Record<string, unknown>;
  start(message: string): Promise<string>;
}

/** One task of a level. */
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
  perStepMs: { workflowTaskWait: number; workflowTaskRun: number; activityWait: number; modelActivityRun: number } | undefined;
}

const results: LevelResult[] = [];
let effectiveTunedOptions: Record<string, unknown> | undefined;

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const temporal = await TemporalDevServer.start({ uiPort: false });
  cleanups.push(() => temporal.stop());
  const model = await LoadModel.start();
  cleanups.push(() => model.close());
  const bundles = await writeWorkflowBundles();
  cleanups.push(() => bundles.remove());

  const connect = async (): Promise<Client> => {
    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    return new Client({ connection });
  };
  // Starts go through one connection, the history long polls of the answer waits through another.
  const startClient = await connect();
  const pollClient = await connect();
  const suffix = randomBytes(4).toString('hex');
  const environment = (taskQueue: string, bundle: string, workerOptions: Record<string, unknown>): Record<string, string> => ({
    ZAP_TASK_QUEUE: taskQueue,
    TEMPORAL_ADDRESS: temporal.address,
    OPENAI_BASE_URL: model.baseURL,
    OPENAI_API_KEY: 'bench',
    ZAP_WORKFLOW_BUNDLE: bundle,
    BENCH_WORKER_OPTIONS: JSON.stringify(workerOptions),
  });

  const startZapSide = async (name: SideName, workerOptions: Record<string, unknown>): Promise<LoadSide> => {
    const taskQueue = `bench-throughput-${name}-${suffix}`;
    const worker = await startWorkerProcess({ modulePath: 'bench/load-worker.ts', environment: environment(taskQueue, bundles.zap, workerOptions) });
    cleanups.push(() => worker.stop());
    const zap = createLoadZap({ taskQueue, temporalAddress: temporal.address, temporalClient: startClient, idleTimeout: FINAL_WAIT_MS });
    await zap.start();
    cleanups.push(() => zap.stop());
    return {
      name,
      worker,
      workerOptions,
      start: async (message) => (await zap.executeTask({ agentName: LOAD_AGENT, task: message })).id,
    };
  };
  const startBareSide = async (name: 'bare' | 'bare-local'): Promise<LoadSide> => {
    const taskQueue = `bench-throughput-${name}-${suffix}`;
    const workflowType = name === 'bare' ? 'bareAgentWorkflow' : 'bareLocalToolWorkflow';
    const worker = await startWorkerProcess({ modulePath: 'bench/bare-worker.ts', environment: environment(taskQueue, bundles.bare, {}) });
    cleanups.push(() => worker.stop());
    return {
      name,
      worker,
      workerOptions: {},
      start: async (message) => {
        const workflowId = `${name}-${randomBytes(8).toString('hex')}`;
        await startClient.workflow.start<typeof bareAgentWorkflow>(workflowType, {
          taskQueue,
          workflowId,
          args: [{ systemPrompt: BENCH_SYSTEM_PROMPT, message, maxIterations: 50, finalWaitMs: FINAL_WAIT_MS }],
        });
        return workflowId;
      },
    };
  };

  const sides: LoadSide[] = [await startZapSide('zap', {}), await startBareSide('bare'), await startBareSide('bare-local')];
  if (settings.tunedWorkerOptions) {
    effectiveTunedOptions = settings.tunedWorkerOptions;
    sides.push(await startZapSide('zap-tuned', settings.tunedWorkerOptions));
  }
  console.error(`workers: ${sides.map((side) => `${side.name} pid ${side.worker.pid}`).join(', ')}; server pid ${temporal.pid}`);

  for (const [levelIndex, concurrency] of settings.concurrency.entries()) {
    // Alternate which side goes first, so drift on a shared machine hits all sides alike.
    const active = sides.filter((side) => side.name !== 'zap-tuned' || concurrency >= settings.tunedFrom);
    const ordered = levelIndex % 2 === 0 ? active : [...active].reverse();
    for (const side of ordered) {
      const startedAt = Date.now();
      const result = await measureLevel({ side, concurrency, settings, model, pollClient, serverPid: temporal.pid });
      results.push(result);
      console.error(
        `C=${concurrency} ${side.name}: ${result.tasksPerSecond.median.toFixed(1)} tasks/s, ` +
          `p50 ${result.latencyMs.median.toFixed(0)} ms, worker ${result.cpuPercent.worker.toFixed(0)}% CPU ` +
          `(${((Date.now() - startedAt) / 1000).toFixed(0)} s)`,
      );
    }
  }
}

interface MeasureLevelOptions {
  side: LoadSide;
  concurrency: number;
  settings: Settings;
  model: LoadModel;
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
      const workflowId = await side.start(formatLoadMessage({ taskKey, scenario: 'echo' }));
      await model.whenRequested(taskKey, 2);
      await waitForAnswerRecorded(pollClient, workflowId);
      finished.push({ workflowId, startedAt, endedAt: performance.now() });
    } catch (error) {
      failures += 1;
      if (failures <= 3) console.error(`task ${taskKey} failed:`, error instanceof Error ? error.message : error);
    } finally {
      model.forget(taskKey);
    }
  };
  const lane = async (): Promise<void> => {
    while (starting) await runTask();
  };
  const lanes = Array.from({ length: concurrency }, lane);

  const warmUp = Math.max(concurrency, settings.warmUpMinimum);
  const warmUpDeadline = Date.now() + WARM_UP_TIMEOUT_MS;
  while (finished.length < warmUp && Date.now() < warmUpDeadline) {
    if (failures > Math.max(10, concurrency)) break;
    await sleep(20);
  }

  const warmUpLatency = median(finished.map((task) => task.endedAt - task.startedAt)) / 1000;
  const windowSeconds = Math.min(
    MAX_WINDOW_SECONDS,
    Math.max(settings.slices * settings.sliceSeconds, WINDOW_LATENCIES * (Number.isNaN(warmUpLatency) ? 0 : warmUpLatency)),
  );
  const slices = Math.ceil(windowSeconds / settings.sliceSeconds);

  const tracker = new RssPeakTracker({ worker: pids.worker, server: pids.server });
  tracker.start();
  const threadsBefore = readThreadCpu(side.worker.pid ?? -1);
  const snapshots: UsageSnapshot[] = [takeSnapshot(pids)];
  for (let slice = 0; slice < slices; slice += 1) {
    await sleep(settings.sliceSeconds * 1000);
    snapshots.push(takeSnapshot(pids));
  }
  const threadsAfter = readThreadCpu(side.worker.pid ?? -1);
  tracker.stop();
  starting = false;
  const first = snapshots[0]!;
  const last = snapshots.at(-1)!;
  const inWindow = finished.filter((task) => task.endedAt >= first.atMs && task.endedAt < last.atMs);
  const sliceThroughput = snapshots.slice(1).map((snapshot, index) => {
    const from = snapshots[index]!.atMs;
    const count = finished.filter((task) => task.endedAt >= from && task.endedAt < snapshot.atMs).length;
    return count / ((snapshot.atMs - from) / 1000);
  });

  const drained = await Promise.race([Promise.all(lanes).then(() => true), sleep(DRAIN_TIMEOUT_MS).then(() => false)]);
  if (!drained) console.error(`C=${concurrency} ${side.name}: tasks still running ${DRAIN_TIMEOUT_MS / 1000} s after the window; going on.`);

  const seconds = (last.atMs - first.atMs) / 1000;
  const perTask = (name: 'worker' | 'server' | 'client'): number => ((cpuPercent(first, last, name) / 100) * seconds * 1000) / inWindow.length;
  return {
    side: side.name,
    concurrency,
    windowSeconds: seconds,
    cpuMsPerTask: { worker: perTask('worker'), server: perTask('server'), client: perTask('client') },
    sliceThroughput,
    tasksPerSecond: summarize(sliceThroughput),
    latencyMs: summarize(inWindow.map((task) => task.endedAt - task.startedAt)),
    failures,
    cpuPercent: {
      worker: cpuPercent(first, last, 'worker'),
      server: cpuPercent(first, last, 'server'),
      client: cpuPercent(first, last, 'client'),
      machine: machineCpuPercent(first, last),
    },
    peakRssBytes: { worker: tracker.peak('worker'), server: tracker.peak('server') },
    workerThreads: threadCpuPercent(threadsBefore, threadsAfter, seconds).slice(0, 6),
    perStepMs: await sampleSteps(pollClient, inWindow),
  };
}

/** Per-step server timings of a sample of the window's tasks. */
async function sampleSteps(client: Client, tasks: readonly TaskRecord[]): Promise<LevelResult['perStepMs']> {
  const step = Math.max(1, Math.floor(tasks.length / HISTORY_SAMPLE_TASKS));
  const sample = tasks.filter((_, index) => index % step === 0).slice(0, HISTORY_SAMPLE_TASKS);
  const timings: HistoryTimings[] = [];
  for (const task of sample) {
    try {
      timings.push(measureHistoryTimings(await client.workflow.getHandle(task.workflowId).fetchHistory()));
    } catch {
      // A history that cannot be read is left out of the sample.
    }
  }
  if (timings.length === 0) return undefined;
  const per = (pick: (timing: HistoryTimings) => number, steps: number): number => median(timings.map((timing) => pick(timing) / steps));
  return {
    workflowTaskWait: per((timing) => timing.workflowTaskWaitMs, WORKFLOW_TASKS_PER_TASK),
    workflowTaskRun: per((timing) => timing.workflowTaskRunMs, WORKFLOW_TASKS_PER_TASK),
    activityWait: per((timing) => timing.activityWaitMs, ACTIVITIES_PER_TASK),
    modelActivityRun: per((timing) => timing.modelActivityRunMs, 2),
  };
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const bare = (concurrency: number): LevelResult | undefined =>
    results.find((result) => result.side === 'bare' && result.concurrency === concurrency);
  const ratio = (result: LevelResult): string => {
    const baseline = bare(result.concurrency);
    return !baseline || result.side === 'bare' ? '' : `${(result.tasksPerSecond.median / baseline.tasksPerSecond.median).toFixed(2)}x`;
  };
  const fixed = (value: number, digits = 0): string => (Number.isNaN(value) ? '–' : value.toFixed(digits));
  const rows = [...results].sort((left, right) => left.concurrency - right.concurrency || left.side.localeCompare(right.side));
  console.log(
    `\nThroughput: one worker process, one tool round per task, zero-latency model; ${settings.slices} slices of ` +
      `${settings.sliceSeconds} s per level (more when ${WINDOW_LATENCIES} task latencies are longer) after a warm-up. ` +
      `CPU in % of one core (the machine has ${machineCores()}); "CPU ms/task" = CPU time of the process over the window / tasks finished in it. ` +
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
        ratio(result),
        fixed(result.latencyMs.median),
        fixed(result.latencyMs.p95),
        `${fixed(result.cpuPercent.worker)}%`,
        mebibytes(result.peakRssBytes.worker),
        `${fixed(result.cpuPercent.server)}%`,
        `${fixed(result.cpuPercent.client)}%`,
        `${fixed(result.cpuPercent.machine)}%`,
        fixed(result.cpuMsPerTask.worker, 1),
        fixed(result.cpuMsPerTask.server, 1),
        fixed(result.cpuMsPerTask.client, 1),
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
        fixed(result.perStepMs?.workflowTaskWait ?? Number.NaN, 1),
        fixed(result.perStepMs?.workflowTaskRun ?? Number.NaN, 1),
        fixed(result.perStepMs?.activityWait ?? Number.NaN, 1),
        fixed(result.perStepMs?.modelActivityRun ?? Number.NaN, 1),
        result.workerThreads.slice(0, 4).map((entry) => `${entry.thread} ${entry.cpuPercent.toFixed(0)}`).join(', '),
      ]),
    ),
  );
  if (effectiveTunedOptions) console.log(`\nzap-tuned worker options: ${JSON.stringify(effectiveTunedOptions)}`);
  const path = await writeResults('throughput', complete, {
    settings: { ...settings, finalWaitMs: FINAL_WAIT_MS, activitiesPerTask: ACTIVITIES_PER_TASK },
    levels: results,
  });
  console.log(`\nJSON: ${path}`);
}

function machineCores(): number {
  return cpus().length;
}

function readSettings(environment: NodeJS.ProcessEnv): Settings {
  const quick = isQuick(environment);
  const tuned = environment.BENCH_TUNED_WORKER_OPTIONS ?? DEFAULT_TUNED_WORKER_OPTIONS;
  let tunedWorkerOptions: Record<string, unknown> | undefined;
  if (tuned.trim() !== '') {
    const parsed: unknown = JSON.parse(tuned);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('BENCH_TUNED_WORKER_OPTIONS must be a JSON object.');
    tunedWorkerOptions = parsed as Record<string, unknown>;
  }
  return {
    concurrency: readIntegerList(environment, 'BENCH_CONCURRENCY', quick ? [1, 10, 50] : [1, 10, 100, 500]),
    slices: readInteger(environment, 'BENCH_SLICES', quick ? 3 : 5),
    sliceSeconds: readInteger(environment, 'BENCH_SLICE_SECONDS', quick ? 2 : 4),
    warmUpMinimum: quick ? 10 : 20,
    tunedWorkerOptions,
    tunedFrom: readInteger(environment, 'BENCH_TUNED_FROM', DEFAULT_TUNED_FROM),
  };
}

runBenchmark({
  readSettings,
  // Per level and side: warm-up, window, drain; generous for a loaded 2-core machine.
  hardTimeoutMs: (settings) => 60_000 + settings.concurrency.length * 4 * (150_000 + Math.max(settings.slices * settings.sliceSeconds, MAX_WINDOW_SECONDS) * 1000),
  main,
  report,
});
