/**
 * Memory of open tasks: worker RSS per task left open, answered and waiting for a follow-up
 * (`idleTimeout: '1 hour'`), or waiting for a human approval, with the worker's sticky cache at
 * its default size and at a small one; against the bare workflow left sleeping after its answer,
 * in the same run.
 *
 *   npx tsx bench/memory.ts     # BENCH_OPEN_TASKS=1000 BENCH_SMALL_CACHE=100 BENCH_PROBES=10
 *
 * Each configuration gets a fresh worker process. After a warm-up of 20 tasks left open, the
 * worker's RSS is read (median of five readings once it has settled: V8 frees the garbage of a
 * burst of work a few seconds after it), N more tasks are started (50 at a time) and each waited
 * for until its timer started (the idle wait, or the approval's timeout); the settled RSS is read
 * again, and the difference divided by N. The Temporal server's RSS is read alike. Then a few open
 * tasks get a follow-up (or an approval), timed until the next answer is recorded: what a small
 * cache costs when a task wakes up (its workflow is replayed from history instead of found in
 * memory). Every task is terminated at the end of its configuration.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import type { Client } from '@temporalio/client';
import { ApprovalRules, type Zap } from 'zap-agents';
import { startBareTask } from './lib/bare-activities';
import { BENCH_AGENT, createBenchZap, OPERATOR_AGENT } from './lib/bench-zap';
import { mapConcurrently, range, readInteger, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups, type WorkflowBundle } from './lib/harness';
import { HistoryFollower } from './lib/history';
import { readProcess } from './lib/process-usage';
import { fixed, formatTable, mebibytes, ratio, writeResults } from './lib/report';
import { formatTaskMessage, TOOL_NAMES, type ScriptedModel } from './lib/scripted-model';
import { median, summarize, type Summary } from './lib/statistics';
import { startWorkerProcess } from './lib/worker-process';

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

type Wait = 'follow-up' | 'approval';

interface Settings {
  openTasks: number;
  smallCache: number;
  probes: number;
}

interface MemoryConfig {
  side: 'zap' | 'bare';
  wait: Wait;
  /** `maxCachedWorkflows`, or undefined for the SDK's default. */
  cache: number | undefined;
}

interface PerTaskBytes {
  beforeBytes: number;
  afterBytes: number;
  perTaskBytes: number;
}

interface ConfigResult extends MemoryConfig {
  label: string;
  tasks: number;
  worker: PerTaskBytes;
  server: PerTaskBytes;
  /** Wall time to start the N tasks and see each one waiting. */
  startSeconds: number;
  /** Follow-up (or approval) → next answer recorded, on tasks open since the measurement. */
  wakeUpMs: Summary | undefined;
}

const results: ConfigResult[] = [];
const defaultCache = sdkDefaultCacheSize();

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model, client } = await startBenchServers(cleanups);
  const [zapBundle, bareBundle] = await Promise.all([writeWorkflowBundle('zap', cleanups), writeWorkflowBundle('bare', cleanups)]);
  const configs: MemoryConfig[] = [
    { side: 'zap', wait: 'follow-up', cache: undefined },
    { side: 'zap', wait: 'approval', cache: undefined },
    { side: 'zap', wait: 'follow-up', cache: settings.smallCache },
    { side: 'zap', wait: 'approval', cache: settings.smallCache },
    { side: 'bare', wait: 'follow-up', cache: undefined },
  ];
  for (const config of configs) {
    const startedAt = Date.now();
    const bundle = config.side === 'zap' ? zapBundle : bareBundle;
    const result = await measureConfig({ config, settings, client, model, temporalAddress: temporal.address, serverPid: temporal.pid, bundle });
    results.push(result);
    console.error(`${result.label}: ${(result.worker.perTaskBytes / 1024).toFixed(1)} KiB/task in the worker (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
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

async function measureConfig(options: MeasureConfigOptions): Promise<ConfigResult> {
  const { config, settings, client, model } = options;
  const label = `${config.side}, ${config.wait === 'approval' ? 'awaiting approval' : 'idle'}, cache ${config.cache ?? `default (${defaultCache})`}`;
  const prefix = `${config.side}-${config.wait}-${config.cache ?? 'default'}`;
  const taskQueue = `bench-memory-${prefix}`;
  const worker = await startWorkerProcess({
    side: config.side,
    taskQueue,
    temporalAddress: options.temporalAddress,
    llmBaseURL: model.baseURL,
    workflowBundlePath: options.bundle.path,
    workerOptions: config.cache === undefined ? {} : { maxCachedWorkflows: config.cache },
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
    const before = await readSettledRss([worker.pid, options.serverPid]);
    const startedAt = performance.now();
    await mapConcurrently(range(settings.openTasks), START_CONCURRENCY, (index) => openTask(`${prefix}-${index}`));
    const startSeconds = (performance.now() - startedAt) / 1000;
    const after = await readSettledRss([worker.pid, options.serverPid]);
    const wakeUpMs = config.side === 'zap' ? await probeWakeUps(zap, client, config.wait, workflowIds.slice(WARM_UP_TASKS), settings.probes) : undefined;
    const perTask = (index: number): PerTaskBytes => ({
      beforeBytes: before[index]!,
      afterBytes: after[index]!,
      perTaskBytes: (after[index]! - before[index]!) / settings.openTasks,
    });
    return { ...config, label, tasks: settings.openTasks, worker: perTask(0), server: perTask(1), startSeconds, wakeUpMs };
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
 * Wakes up `count` tasks spread over the open ones, one at a time, and times each until its next
 * answer is recorded: a follow-up, or an approval of the pending tool call.
 */
async function probeWakeUps(zap: Zap, client: Client, wait: Wait, workflowIds: readonly string[], count: number): Promise<Summary> {
  const step = Math.max(1, Math.floor(workflowIds.length / count));
  const durations: number[] = [];
  for (let index = 0; index < workflowIds.length && durations.length < count; index += step) {
    const workflowId = workflowIds[index]!;
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
  const vsBare = (result: ConfigResult): number | undefined =>
    baseline && result !== baseline && baseline.worker.perTaskBytes > 0 ? result.worker.perTaskBytes / baseline.worker.perTaskBytes : undefined;
  const kib = (bytes: number): string => fixed(bytes / 1024, 1);
  console.log(
    `\nMemory: ${settings.openTasks} tasks left open per configuration (after ${WARM_UP_TASKS} warm-up tasks), ` +
      'each in a fresh worker process; RSS = median of 5 readings once settled.',
  );
  console.log(
    formatTable(
      ['configuration', 'worker RSS before MiB', 'after MiB', 'worker KiB/task', 'vs bare', 'server KiB/task', 'start s', 'wake-up p50 ms', 'p95 ms'],
      results.map((result) => [
        result.label,
        mebibytes(result.worker.beforeBytes),
        mebibytes(result.worker.afterBytes),
        kib(result.worker.perTaskBytes),
        result === baseline ? '' : ratio(vsBare(result)),
        kib(result.server.perTaskBytes),
        fixed(result.startSeconds, 1),
        fixed(result.wakeUpMs?.median),
        fixed(result.wakeUpMs?.p95),
      ]),
    ),
  );
  console.log(
    `(wake-up: a follow-up, or an approval, sent to ${settings.probes} open tasks one at a time, until the next answer is recorded; ` +
      'with a small cache most of them were evicted and are replayed from history)',
  );
  const path = await writeResults('memory', {
    complete,
    summary: results
      .filter((result) => result !== baseline)
      .map((result) => ({
        benchmark: 'memory',
        figure: `worker RSS per open task: ${result.label}`,
        unit: 'KiB',
        median: result.worker.perTaskBytes / 1024,
        ratio: vsBare(result),
        baseline: `bare workflow, idle: ${kib(baseline?.worker.perTaskBytes ?? Number.NaN)}`,
        note: result.wakeUpMs ? `wake-up p50 ${fixed(result.wakeUpMs.median)} ms` : undefined,
      })),
    settings: { ...settings, warmUpTasks: WARM_UP_TASKS, defaultMaxCachedWorkflows: defaultCache },
    configs: results,
  });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment) => ({
    openTasks: readInteger(environment, 'BENCH_OPEN_TASKS', 1000, 100),
    smallCache: readInteger(environment, 'BENCH_SMALL_CACHE', 100, 50, 2),
    probes: readInteger(environment, 'BENCH_PROBES', 10, 3),
  }),
  // Five configurations; starting 1,000 tasks takes well under a minute on an idle machine.
  hardTimeoutMs: (settings) => 120_000 + 5 * (2 * MAX_SETTLE_MS + 60_000 + settings.openTasks * 200),
  main,
  report,
});
