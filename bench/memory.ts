/**
 * Memory of open tasks: worker RSS with many tasks left open, answered and waiting for a follow-up
 * (`idleTimeout: '1 hour'`), or waiting for a human approval; with zap's default sticky cache
 * (`DEFAULT_MAX_CACHED_WORKFLOWS`), zap's modules preloaded and zap-worker's compact V8 heap at
 * 10,000 open tasks against 1 GiB; with the SDK's heap-derived default, every run evaluating its own
 * copy of zap's modules and Node's heap flags (what zap-agents 0.2.0 did) at 1,000; with zap's
 * default cache but modules per run at 1,000 (what preloading saves); with everything the default's
 * but Node's heap flags at 3,000 (what the compact heap saves); against the bare workflow (Node's
 * heap flags, as users run Temporal workers) left sleeping after its answer, in the same run.
 *
 *   npx tsx bench/memory.ts     # BENCH_OPEN_TASKS=10000 BENCH_COMPARISON_TASKS=1000 BENCH_PER_RUN_TASKS=1000 BENCH_NODE_HEAP_TASKS=3000 BENCH_PROBES=20 BENCH_APPROVAL_TASKS=0
 *
 * Each configuration gets a fresh worker process. After a warm-up of 20 tasks left open, the
 * worker's RSS is read (median of five readings once it has settled: V8 frees the garbage of a
 * burst of work a few seconds after it), tasks are started (50 at a time) and each waited for
 * until its timer started (the idle wait, or the approval's timeout), up to each checkpoint (1k /
 * 5k / 10k for the default configuration), where the settled RSS and the worker's own status are
 * read again (`getStatus().numCachedWorkflows`, heap used, external, array buffers, the workflow
 * thread's heap). The Temporal server's RSS is read alike. Then the oldest open tasks (evicted from
 * a cache smaller than the tasks) and the newest (cached) get a follow-up (or an approval) one at a
 * time, each timed until its next answer is recorded: what waking an evicted task costs (its
 * workflow is replayed from history instead of found in memory). Every task is terminated at the
 * end of its configuration.
 *
 * BENCH_HEAP_SNAPSHOT_PREFIX=<path> makes the worker write a heap snapshot of its workflow thread
 * at every status reading (`<path>-<n>.heapsnapshot`): compare the first (warm-up only) with the
 * next to see what a cached run holds.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import type { Client } from '@temporalio/client';
import { ApprovalRules, type Zap } from 'zap-agents';
import { defaultMaxCachedWorkflows } from '../src/worker/sticky-cache';
import { startBareTask } from './lib/bare-activities';
import { BENCH_AGENT, createBenchZap, OPERATOR_AGENT } from './lib/bench-zap';
import { mapConcurrently, range, readInteger, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups, type WorkflowBundle } from './lib/harness';
import { HistoryFollower } from './lib/history';
import { readProcess } from './lib/process-usage';
import { fixed, formatTable, mebibytes, ratio, writeResults, type SummaryRow } from './lib/report';
import { formatTaskMessage, TOOL_NAMES, type ScriptedModel } from './lib/scripted-model';
import { median, summarize, type Summary } from './lib/statistics';
import { requestWorkerStatus, startWorkerProcess, type WorkerProcess, type WorkerStatusReport } from './lib/worker-process';

const WARM_UP_TASKS = 20;
/** Tasks started at once. */
const START_CONCURRENCY = 50;
/** Settling before RSS is read (see readSettledRss). */
const MIN_SETTLE_MS = 12_000;
const MAX_SETTLE_MS = 45_000;
const SETTLED_SPREAD_BYTES = 2 * 1024 * 1024;
const RSS_READINGS = 5;
const RSS_READING_INTERVAL_MS = 1_000;
/** How long open tasks wait: the zap tasks' idle timeout, and the bare workflow's sleep after answering. */
const IDLE_MS = 60 * 60 * 1000;
/** The issue's target: the default holds 10,000 open tasks within this much worker RSS. */
const TARGET_RSS_BYTES = 1024 * 1024 * 1024;
const GIB = 1024 * 1024 * 1024;

type Wait = 'follow-up' | 'approval';

interface Settings {
  /** Open tasks of the default configuration (its last checkpoint). */
  openTasks: number;
  /** Open tasks of the other configurations. */
  comparisonTasks: number;
  /** Wake-ups timed per group (oldest, newest). */
  probes: number;
  /** Open tasks awaiting approval (0: no such configuration). */
  approvalTasks: number;
  /** Open tasks of the configuration whose runs evaluate zap's modules each (0: none). */
  perRunTasks: number;
  /** Open tasks of the configuration with Node's V8 heap flags (0: none). */
  nodeHeapTasks: number;
}

interface MemoryConfig {
  side: 'zap' | 'bare';
  wait: Wait;
  /** `maxCachedWorkflows` given to the worker, or undefined for the worker's default (zap's for zap, the SDK's for bare). */
  cache: number | undefined;
  /** Open tasks after each checkpoint; the last is the configuration's size. */
  checkpoints: number[];
  /**
   * Runs zap's bundle without preloaded modules: every run evaluates its own copy of zap's modules,
   * as in zap-agents 0.2.0 (zap's workers now preload them: `zapWorkflowPreloadModules`).
   */
  perRunModules?: boolean;
  /**
   * Runs the worker with Node's V8 heap flags (`ZAP_WORKER_HEAP=node`) instead of zap-worker's
   * compact heap (`--optimize-for-size`), as zap-agents 0.2.0 did.
   */
  nodeHeap?: boolean;
}

/** Settled readings at one checkpoint. */
interface Checkpoint {
  tasks: number;
  workerRssBytes: number;
  serverRssBytes: number;
  /** Wall time to start the tasks since the previous checkpoint and see each one waiting. */
  startSeconds: number;
  status: WorkerStatusReport;
}

interface ConfigResult extends Omit<MemoryConfig, 'checkpoints'> {
  perRunModules: boolean;
  nodeHeap: boolean;
  label: string;
  /** The cache size the worker ran with. */
  effectiveCache: number;
  before: Omit<Checkpoint, 'tasks' | 'startSeconds'>;
  checkpoints: Checkpoint[];
  /** Worker RSS per task over the whole configuration (last checkpoint against before). */
  workerPerTaskBytes: number;
  serverPerTaskBytes: number;
  /** Follow-up (or approval) → next answer recorded, on the oldest measured tasks (evicted when the cache is smaller than the tasks). */
  wakeUpOldestMs: Summary | undefined;
  /** The same on the newest tasks (still cached). */
  wakeUpNewestMs: Summary | undefined;
}

const results: ConfigResult[] = [];
const sdkDefaultCache = sdkDefaultCacheSize();
const zapDefaultCache = defaultMaxCachedWorkflows({});

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model, client } = await startBenchServers(cleanups);
  const [zapBundle, bareBundle] = await Promise.all([writeWorkflowBundle('zap', cleanups), writeWorkflowBundle('bare', cleanups)]);
  const perRunBundle = await writeWorkflowBundle('zap', cleanups, { preload: false });
  const comparison = [settings.comparisonTasks];
  const configs: MemoryConfig[] = [
    // Before (zap-agents 0.2.0): the SDK's cache size, every run with its own copy of zap's modules, Node's heap flags.
    { side: 'zap', wait: 'follow-up', cache: sdkDefaultCache, checkpoints: comparison, perRunModules: true, nodeHeap: true },
    // BENCH_APPROVAL_TASKS > 0 adds tasks awaiting an approval (more state per run) under the default cache.
    ...(settings.approvalTasks > 0 ? [{ side: 'zap', wait: 'approval', cache: undefined, checkpoints: [settings.approvalTasks] } satisfies MemoryConfig] : []),
    { side: 'bare', wait: 'follow-up', cache: undefined, checkpoints: comparison },
    // What preloading saves: zap's default cache, but every run with its own copy of zap's modules.
    ...(settings.perRunTasks > 0 ? [{ side: 'zap', wait: 'follow-up', cache: undefined, checkpoints: [settings.perRunTasks], perRunModules: true } satisfies MemoryConfig] : []),
    // What the compact heap saves: everything as the default, but Node's V8 heap flags.
    ...(settings.nodeHeapTasks > 0 ? [{ side: 'zap', wait: 'follow-up', cache: undefined, checkpoints: [settings.nodeHeapTasks], nodeHeap: true } satisfies MemoryConfig] : []),
    {
      side: 'zap',
      wait: 'follow-up',
      cache: undefined,
      // 1k / 5k / 10k, and the per-run and Node-heap configurations' sizes for their comparisons.
      checkpoints: [...new Set([Math.round(settings.openTasks / 10), Math.round(settings.openTasks / 2), settings.openTasks, settings.perRunTasks, settings.nodeHeapTasks])]
        .filter((tasks) => tasks > 0 && tasks <= settings.openTasks)
        .sort((left, right) => left - right),
    },
  ];
  for (const config of configs) {
    const startedAt = Date.now();
    const bundle = config.perRunModules ? perRunBundle : config.side === 'zap' ? zapBundle : bareBundle;
    const result = await measureConfig({ config, settings, client, model, temporalAddress: temporal.address, serverPid: temporal.pid, bundle });
    results.push(result);
    console.error(`${result.label}: ${(result.workerPerTaskBytes / 1024).toFixed(1)} KiB/task in the worker (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
  }
}

interface MeasureConfigOptions {
  config: MemoryConfig;
  settings: Settings;
  client: Client;
  model: ScriptedModel;
  temporalAddress: string;
  serverPid: number;
  bundle: WorkflowBundle;
}

function describeCache(config: MemoryConfig): { label: string; effective: number } {
  if (config.side === 'bare') return { label: `SDK default (${config.cache ?? sdkDefaultCache})`, effective: config.cache ?? sdkDefaultCache };
  if (config.cache === undefined) return { label: `zap default (${zapDefaultCache})`, effective: zapDefaultCache };
  return { label: config.cache === sdkDefaultCache ? `SDK default (${config.cache}), before` : String(config.cache), effective: config.cache };
}

async function measureConfig(options: MeasureConfigOptions): Promise<ConfigResult> {
  const { config, settings, client, model } = options;
  const cache = describeCache(config);
  const tasks = config.checkpoints.at(-1)!;
  const variant = [config.perRunModules ? 'modules per run' : '', config.nodeHeap ? "Node's heap flags" : ''].filter(Boolean).join(', ');
  const label = `${config.side}${variant && config.side === 'zap' ? ` (${variant})` : ''}, ${config.wait === 'approval' ? 'awaiting approval' : 'idle'}, ${tasks} tasks, cache ${cache.label}`;
  const prefix = `${config.side}${config.perRunModules ? '-per-run' : ''}${config.nodeHeap ? '-node-heap' : ''}-${config.wait}-${config.cache ?? 'default'}-${tasks}`;
  const taskQueue = `bench-memory-${prefix}`;
  const worker = await startWorkerProcess({
    side: config.side,
    taskQueue,
    temporalAddress: options.temporalAddress,
    llmBaseURL: model.baseURL,
    workflowBundlePath: options.bundle.path,
    workerOptions: config.cache === undefined ? {} : { maxCachedWorkflows: config.cache },
    // (bare runs with Node's heap flags anyway: startWorkerProcess)
    ...(config.nodeHeap ? { environment: { ZAP_WORKER_HEAP: 'node' } } : {}),
    // A loaded machine can take more than the default 30 s to start a worker.
    readyTimeoutMs: 180_000,
  });
  const zap = createBenchZap({ taskQueue, temporalAddress: options.temporalAddress, temporalClient: client, idleTimeout: IDLE_MS });
  await zap.start();
  const workflowIds: string[] = [];
  const approvalRules = new ApprovalRules({ patterns: [TOOL_NAMES.approval] });

  /** Starts one task and resolves once it waits (its first timer started). */
  const openTask = async (taskKey: string): Promise<void> => {
    const message = formatTaskMessage({ taskKey, scenario: config.wait === 'approval' ? 'approval' : 'answer' });
    const workflowId =
      config.side === 'bare'
        ? await startBareTask(client, { taskQueue, message, finalWaitMs: IDLE_MS })
        : config.wait === 'approval'
          ? (await zap.executeTask({ agentName: OPERATOR_AGENT, task: message, approvalRules })).id
          : (await zap.executeTask({ agentName: BENCH_AGENT, task: message })).id;
    workflowIds.push(workflowId);
    await new HistoryFollower(client, workflowId).waitForTimers(1);
    model.forget(taskKey);
  };

  try {
    await mapConcurrently(range(WARM_UP_TASKS), 10, (index) => openTask(`${prefix}-warm-${index}`));
    const read = async (): Promise<Omit<Checkpoint, 'tasks' | 'startSeconds'>> => {
      const [workerRssBytes, serverRssBytes] = await readSettledRss([worker.pid, options.serverPid]);
      return { workerRssBytes: workerRssBytes!, serverRssBytes: serverRssBytes!, status: await requestWorkerStatus(worker) };
    };
    const before = await read();
    const checkpoints: Checkpoint[] = [];
    let opened = 0;
    for (const target of config.checkpoints) {
      const startedAt = performance.now();
      await mapConcurrently(range(target - opened), START_CONCURRENCY, (index) => openTask(`${prefix}-${opened + index}`));
      const startSeconds = (performance.now() - startedAt) / 1000;
      opened = target;
      checkpoints.push({ tasks: target, startSeconds, ...(await read()) });
      console.error(`  ${label}: ${target} open, worker RSS ${mebibytes(checkpoints.at(-1)!.workerRssBytes)} MiB, started in ${startSeconds.toFixed(0)} s`);
    }
    const measured = workflowIds.slice(WARM_UP_TASKS);
    const probes = Math.min(settings.probes, Math.floor(measured.length / 2));
    // Newest first: waking the oldest loads them into the cache, which evicts the least recently used (old) runs, not the newest.
    const wakeUpNewestMs = config.side === 'zap' ? await probeWakeUps(zap, client, config.wait, measured.slice(-probes).reverse()) : undefined;
    const wakeUpOldestMs = config.side === 'zap' ? await probeWakeUps(zap, client, config.wait, measured.slice(0, probes)) : undefined;
    const last = checkpoints.at(-1)!;
    return {
      side: config.side,
      wait: config.wait,
      cache: config.cache,
      perRunModules: config.perRunModules === true,
      nodeHeap: config.nodeHeap === true || config.side === 'bare',
      label,
      effectiveCache: cache.effective,
      before,
      checkpoints,
      workerPerTaskBytes: (last.workerRssBytes - before.workerRssBytes) / last.tasks,
      serverPerTaskBytes: (last.serverRssBytes - before.serverRssBytes) / last.tasks,
      wakeUpOldestMs,
      wakeUpNewestMs,
    };
  } finally {
    await worker.stop();
    await zap.stop();
    await mapConcurrently(workflowIds, START_CONCURRENCY, (workflowId) =>
      client.workflow
        .getHandle(workflowId)
        .terminate('memory benchmark done')
        .catch(() => undefined),
    );
  }
}

/**
 * Wakes up the given tasks one at a time and times each until its next answer is recorded: a
 * follow-up, or an approval of the pending tool call.
 */
async function probeWakeUps(zap: Zap, client: Client, wait: Wait, workflowIds: readonly string[]): Promise<Summary> {
  const durations: number[] = [];
  for (const workflowId of workflowIds) {
    const follower = new HistoryFollower(client, workflowId);
    await follower.waitForTimers(1);
    // Reading the pending approval is not timed; deciding it, running the tool and answering is.
    const [pending] = wait === 'approval' ? await zap.getPendingApprovals(workflowId) : [];
    if (wait === 'approval' && !pending) throw new Error(`Task ${workflowId} has no pending approval.`);
    const startedAt = performance.now();
    if (pending) await zap.approve(workflowId, pending.id, { approvedBy: 'bench' });
    else await zap.executeTask({ followUpOnTask: workflowId, task: 'And one more thing?' });
    await follower.waitForTimers(2);
    durations.push(performance.now() - startedAt);
  }
  return summarize(durations);
}

/**
 * RSS of each process once the worker's has settled, in bytes: V8 keeps garbage until its memory
 * reducer runs a few seconds after allocation calms down (1,000 task starts leave a few hundred MB
 * that are freed ~8 s later), so a reading right after the starts would count garbage as tasks.
 * Reads every second until the worker's last readings agree within SETTLED_SPREAD_BYTES (at least
 * MIN_SETTLE_MS, at most MAX_SETTLE_MS), and returns the median of the last readings.
 */
async function readSettledRss(pids: readonly number[]): Promise<number[]> {
  const readings: number[][] = pids.map(() => []);
  const startedAt = Date.now();
  for (;;) {
    pids.forEach((pid, index) => readings[index]!.push(readProcess(pid)?.rssBytes ?? Number.NaN));
    const recent = readings[0]!.slice(-RSS_READINGS);
    const elapsed = Date.now() - startedAt;
    const settled = recent.length === RSS_READINGS && Math.max(...recent) - Math.min(...recent) <= SETTLED_SPREAD_BYTES;
    if ((elapsed >= MIN_SETTLE_MS && settled) || elapsed >= MAX_SETTLE_MS) break;
    await sleep(RSS_READING_INTERVAL_MS);
  }
  return readings.map((values) => median(values.slice(-RSS_READINGS)));
}

/** The SDK's default `maxCachedWorkflows` for a worker with this process's heap limit (see `@temporalio/worker` worker-options). */
function sdkDefaultCacheSize(): number {
  const heapMiB = getHeapStatistics().heap_size_limit / (1024 * 1024);
  return Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const baseline = results.find((result) => result.side === 'bare');
  const before = results.find((result) => result.side === 'zap' && result.wait === 'follow-up' && result.cache === sdkDefaultCache);
  const after = results.find((result) => result.side === 'zap' && result.wait === 'follow-up' && result.cache === undefined && !result.perRunModules && !result.nodeHeap);
  const vsBare = (result: ConfigResult): number | undefined =>
    baseline && result !== baseline && baseline.workerPerTaskBytes > 0 ? result.workerPerTaskBytes / baseline.workerPerTaskBytes : undefined;
  const kib = (bytes: number): string => fixed(bytes / 1024, 1);
  console.log(
    `\nMemory: tasks left open per configuration (after ${WARM_UP_TASKS} warm-up tasks), each in a fresh worker process; ` +
      'RSS = median of 5 readings once settled.',
  );
  console.log(
    formatTable(
      ['configuration', 'worker RSS before MiB', 'after MiB', 'worker KiB/task', 'vs bare', 'server KiB/task', 'cached runs', 'start s', 'wake-up oldest p50 ms', 'p95 ms', 'newest p50 ms', 'p95 ms'],
      results.map((result) => [
        result.label,
        mebibytes(result.before.workerRssBytes),
        mebibytes(result.checkpoints.at(-1)!.workerRssBytes),
        kib(result.workerPerTaskBytes),
        result === baseline ? '' : ratio(vsBare(result)),
        kib(result.serverPerTaskBytes),
        String(result.checkpoints.at(-1)!.status.numCachedWorkflows),
        fixed(result.checkpoints.reduce((sum, checkpoint) => sum + checkpoint.startSeconds, 0), 0),
        fixed(result.wakeUpOldestMs?.median),
        fixed(result.wakeUpOldestMs?.p95),
        fixed(result.wakeUpNewestMs?.median),
        fixed(result.wakeUpNewestMs?.p95),
      ]),
    ),
  );
  console.log(
    `(wake-up: a follow-up, or an approval, sent to the ${settings.probes} oldest and the ${settings.probes} newest open tasks one at a time, ` +
      'until the next answer is recorded; the oldest were evicted when the tasks outnumber the cache, and are replayed from history)',
  );
  if (after) {
    console.log(`\nThe default (${after.label}) by checkpoint; target: worker RSS within ${mebibytes(TARGET_RSS_BYTES)} MiB at ${settings.openTasks} tasks.`);
    let previous = { tasks: 0, workerRssBytes: after.before.workerRssBytes };
    console.log(
      formatTable(
        ['open tasks', 'worker RSS MiB', 'vs 1 GiB', 'KiB/task since previous', 'cached runs', 'main heap used MiB', 'workflow thread heap MiB', 'reserved MiB', 'external MiB', 'array buffers MiB', 'server RSS MiB', 'start s'],
        [{ tasks: 0, startSeconds: 0, ...after.before }, ...after.checkpoints].map((checkpoint) => {
          const marginal = checkpoint.tasks === 0 ? '' : kib((checkpoint.workerRssBytes - previous.workerRssBytes) / (checkpoint.tasks - previous.tasks));
          if (checkpoint.tasks > 0) previous = checkpoint;
          return [
            String(checkpoint.tasks),
            mebibytes(checkpoint.workerRssBytes),
            ratio(checkpoint.workerRssBytes / TARGET_RSS_BYTES),
            marginal,
            String(checkpoint.status.numCachedWorkflows),
            mebibytes(checkpoint.status.heapUsedBytes),
            checkpoint.status.workflowThreadHeapUsedBytes === undefined ? '' : mebibytes(checkpoint.status.workflowThreadHeapUsedBytes),
            checkpoint.status.workflowThreadHeapTotalBytes === undefined ? '' : mebibytes(checkpoint.status.workflowThreadHeapTotalBytes),
            mebibytes(checkpoint.status.externalBytes),
            mebibytes(checkpoint.status.arrayBuffersBytes),
            mebibytes(checkpoint.serverRssBytes),
            fixed(checkpoint.startSeconds, 0),
          ];
        }),
      ),
    );
  }
  const summary: SummaryRow[] = [];
  if (after) {
    const last = after.checkpoints.at(-1)!;
    summary.push({
      benchmark: 'memory',
      figure: `worker RSS with ${last.tasks} open idle tasks, zap default cache (${after.effectiveCache})`,
      unit: 'MiB',
      median: last.workerRssBytes / (1024 * 1024),
      ratio: last.workerRssBytes / TARGET_RSS_BYTES,
      baseline: `target ${fixed(TARGET_RSS_BYTES / GIB)} GiB`,
      note: `${last.status.numCachedWorkflows} cached; ${last.workerRssBytes <= TARGET_RSS_BYTES ? 'within' : 'OVER'} the target`,
    });
    if (after.wakeUpOldestMs && after.wakeUpNewestMs) {
      summary.push({
        benchmark: 'memory',
        figure: `wake-up of an evicted (oldest) idle task, ${last.tasks} open, cache ${after.effectiveCache}`,
        unit: 'ms',
        median: after.wakeUpOldestMs.median,
        p95: after.wakeUpOldestMs.p95,
        ratio: after.wakeUpOldestMs.median / after.wakeUpNewestMs.median,
        baseline: `cached (newest) task, same worker: p50 ${fixed(after.wakeUpNewestMs.median)} ms, p95 ${fixed(after.wakeUpNewestMs.p95)} ms`,
      });
    }
  }
  const perRun = results.find((result) => result.perRunModules && result.cache === undefined);
  const matching = perRun && after?.checkpoints.find((checkpoint) => checkpoint.tasks === perRun.checkpoints.at(-1)!.tasks);
  if (perRun && after && matching) {
    const heapPerTask = (result: ConfigResult, checkpoint: Checkpoint): number =>
      ((checkpoint.status.workflowThreadHeapUsedBytes ?? Number.NaN) - (result.before.status.workflowThreadHeapUsedBytes ?? Number.NaN)) / checkpoint.tasks;
    const preloaded = heapPerTask(after, matching);
    const withoutPreload = heapPerTask(perRun, perRun.checkpoints.at(-1)!);
    const preloadedRss = (matching.workerRssBytes - after.before.workerRssBytes) / matching.tasks;
    console.log(
      `
Preloaded modules: workflow-thread heap per cached idle task ${kib(preloaded)} KiB against ${kib(withoutPreload)} KiB with modules per run ` +
        `(${ratio(preloaded / withoutPreload)}); worker RSS per task ${kib(preloadedRss)} against ${kib(perRun.workerPerTaskBytes)} KiB (${ratio(preloadedRss / perRun.workerPerTaskBytes)}).`,
    );
    summary.push({
      benchmark: 'memory',
      figure: `workflow-thread heap per cached idle task, zap's modules preloaded (the default), ${matching.tasks} tasks`,
      unit: 'KiB',
      median: preloaded / 1024,
      ratio: preloaded / withoutPreload,
      baseline: `modules per run (0.2.0's bundle), same cache, ${matching.tasks} tasks: ${kib(withoutPreload)}`,
    });
  }
  const nodeHeap = results.find((result) => result.side === 'zap' && result.nodeHeap && result.cache === undefined);
  const nodeHeapMatching = nodeHeap && after?.checkpoints.find((checkpoint) => checkpoint.tasks === nodeHeap.checkpoints.at(-1)!.tasks);
  if (nodeHeap && after && nodeHeapMatching) {
    const compactRss = nodeHeapMatching.workerRssBytes;
    const nodeRss = nodeHeap.checkpoints.at(-1)!.workerRssBytes;
    console.log(
      `\nCompact heap: worker RSS with ${nodeHeapMatching.tasks} open tasks ${mebibytes(compactRss)} MiB against ${mebibytes(nodeRss)} MiB with Node's heap flags ` +
        `(${ratio(compactRss / nodeRss)}); main heap used ${mebibytes(nodeHeapMatching.status.heapUsedBytes)} against ${mebibytes(nodeHeap.checkpoints.at(-1)!.status.heapUsedBytes)} MiB, ` +
        `workflow thread reserved ${mebibytes(nodeHeapMatching.status.workflowThreadHeapTotalBytes ?? Number.NaN)} against ${mebibytes(nodeHeap.checkpoints.at(-1)!.status.workflowThreadHeapTotalBytes ?? Number.NaN)} MiB.`,
    );
    summary.push({
      benchmark: 'memory',
      figure: `worker RSS with ${nodeHeapMatching.tasks} open idle tasks, compact heap (the default)`,
      unit: 'MiB',
      median: compactRss / (1024 * 1024),
      ratio: compactRss / nodeRss,
      baseline: `Node's heap flags (ZAP_WORKER_HEAP=node), same cache, ${nodeHeapMatching.tasks} tasks: ${mebibytes(nodeRss)}`,
    });
  }
  for (const result of results.filter((candidate) => candidate !== baseline && candidate !== perRun && candidate !== nodeHeap)) {
    summary.push({
      benchmark: 'memory',
      figure: `worker RSS per open task: ${result.label}`,
      unit: 'KiB',
      median: result.workerPerTaskBytes / 1024,
      ratio: vsBare(result),
      baseline: `bare workflow, idle: ${kib(baseline?.workerPerTaskBytes ?? Number.NaN)}`,
      note: result === after && before ? `before (${before.label}): ${kib(before.workerPerTaskBytes)}` : undefined,
    });
  }
  const path = await writeResults('memory', {
    complete,
    summary,
    settings: { ...settings, warmUpTasks: WARM_UP_TASKS, sdkDefaultMaxCachedWorkflows: sdkDefaultCache, zapDefaultMaxCachedWorkflows: zapDefaultCache },
    configs: results,
  });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment) => ({
    openTasks: readInteger(environment, 'BENCH_OPEN_TASKS', 10_000, 400, 20),
    comparisonTasks: readInteger(environment, 'BENCH_COMPARISON_TASKS', 1000, 100, 10),
    probes: readInteger(environment, 'BENCH_PROBES', 20, 5, 2),
    approvalTasks: readInteger(environment, 'BENCH_APPROVAL_TASKS', 0, 0, 0),
    perRunTasks: readInteger(environment, 'BENCH_PER_RUN_TASKS', 1000, 100, 0),
    nodeHeapTasks: readInteger(environment, 'BENCH_NODE_HEAP_TASKS', 3000, 200, 0),
  }),
  // Two small configurations (three with approvals), the per-run-modules one and the default's
  // checkpoints (three settled readings), each task start allowed 150 ms: tasks open at about
  // 15 a second on a quiet 2-core machine (10,000 in some 11 minutes), 2–4 a second on a loaded one.
  hardTimeoutMs: (settings) => 120_000 + 8 * (2 * MAX_SETTLE_MS + 60_000) + (2 * settings.comparisonTasks + settings.approvalTasks + settings.perRunTasks + settings.nodeHeapTasks + settings.openTasks) * 150,
  main,
  report,
});
