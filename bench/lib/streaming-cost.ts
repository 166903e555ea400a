/**
 * The streaming benchmark's cost phase: what SSE streaming of model calls costs per step and in
 * worker CPU per task, against the same worker code with streaming off and the bare workflow, in
 * the same run. Each side's worker runs in its own process (its CPU is read from /proc around each
 * of its tasks); tasks run one at a time, the sides in a rotating order, so drift falls on all of
 * them alike. Tasks are `echo` tasks whose every answer (tool-call answers included) carries N
 * words of text, which the scripted model streams one chunk per word.
 *
 * Sides: zap-agents with streaming off ("plain"), streaming with nobody watching (default
 * in-process transport; and with a NatsTokenTransport), watched in process (a listener in the
 * worker process takes every token), watched over NATS (this process streams the task through
 * `zap.streamTask`), `streaming: 'when-watched'` with nobody watching; the bare workflow (plain
 * completions). With a "before" checkout (the
 * committed code, `git archive`), its workers run the same sides with the code before this change.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Zap, type TaskEvent } from 'zap-agents';
import { NatsTokenTransport } from 'zap-agents/nats';
import { startBareTask } from './bare-activities';
import type { BareWorkflowResult } from './bare-workflow';
import { BENCH_AGENT, createBenchAgent, FINAL_WAIT_MS } from './bench-zap';
import { mapConcurrently, type Cleanups } from './harness';
import { readProcess } from './process-usage';
import { fixed, formatTable, ratio, type SummaryRow } from './report';
import { answerWords, formatTaskMessage, type ScriptedModel } from './scripted-model';
import { summarize, type Summary } from './statistics';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

const REPOSITORY_ROOT = resolve(__dirname, '..', '..');
/** Unmeasured tasks per side and answer size first. */
const WARM_UP_TASKS = 1;

/** Which code a side runs. */
type Code = 'now' | 'before' | 'bare';
/** How the worker is set up: streaming off, or on with a token transport. */
type WorkerKind = 'plain' | 'in-process' | 'watch-all' | 'nats' | 'when-watched';

/** Settings of the cost phase. */
export interface StreamingCostSettings {
  /** Measured tasks per side and answer size (0 skips the phase). */
  tasks: number;
  /** Words (≈ tokens, one stream chunk each) of every answer. */
  words: number[];
  /** Tool rounds per task: rounds + 1 model calls. */
  rounds: number;
  /** A git ref whose code runs the "before" sides ('' for none). */
  beforeRef: string;
}

interface CostSide {
  /** e.g. `now: stream, unwatched`. */
  name: string;
  code: Code;
  variant: string;
  kind: WorkerKind | 'bare';
  /** This process streams the task's events (tokens included) over NATS. */
  watchOverNats: boolean;
  worker: WorkerProcess;
  taskQueue: string;
  zap?: Zap;
}

interface CostSample {
  latencyMs: number;
  workerCpuMs: number;
  tokenEvents: number;
}

/** What the phase measured, per answer size and side. */
export interface StreamingCostResult {
  settings: StreamingCostSettings;
  modelCallsPerTask: number;
  sizes: Array<{
    words: number;
    sides: Array<{
      name: string;
      code: Code;
      variant: string;
      perStepMs: Summary;
      /** The worker's CPU over the side's measured tasks, divided by their number (/proc counts in 10 ms ticks: a per-task median would be coarse). */
      workerCpuMsPerTask: number;
      tokenEventsPerTask: number;
    }>;
  }>;
}

/** Starts the workers of every side, runs the tasks, and returns what they cost. */
export async function measureStreamingCost(options: {
  settings: StreamingCostSettings;
  temporalAddress: string;
  client: Client;
  model: ScriptedModel;
  natsUrl: string;
  zapBundlePath: string;
  bareBundlePath: string;
  cleanups: Cleanups;
}): Promise<StreamingCostResult> {
  const { settings, temporalAddress, client, model, natsUrl, cleanups } = options;
  const before = settings.beforeRef ? await prepareBeforeCheckout(settings.beforeRef, cleanups) : undefined;
  const workers = new Map<string, { worker: WorkerProcess; taskQueue: string }>();
  const startWorker = async (code: Code, kind: WorkerKind | 'bare'): Promise<{ worker: WorkerProcess; taskQueue: string }> => {
    const key = `${code}-${kind}`;
    const existing = workers.get(key);
    if (existing) return existing;
    const taskQueue = `bench-stream-cost-${key}-${Math.random().toString(16).slice(2, 8)}`;
    const worker = await startWorkerProcess({
      side: kind === 'bare' ? 'bare' : 'zap',
      taskQueue,
      temporalAddress,
      llmBaseURL: model.baseURL,
      workflowBundlePath: code === 'bare' ? options.bareBundlePath : code === 'before' ? before!.bundlePath : options.zapBundlePath,
      readyTimeoutMs: 300_000,
      ...(kind === 'bare' ? {} : { modulePath: join(code === 'before' ? before!.root : REPOSITORY_ROOT, 'bench/lib/streaming-cost-worker.ts') }),
      ...(code === 'before' ? { root: before!.root } : {}),
      environment: {
        BENCH_STREAMING: kind === 'plain' ? '0' : kind === 'when-watched' ? 'when-watched' : '1',
        BENCH_TOKENS: kind === 'plain' || kind === 'bare' || kind === 'when-watched' ? 'in-process' : kind,
        BENCH_NATS_URL: natsUrl,
      },
    });
    cleanups.push(() => worker.stop());
    const entry = { worker, taskQueue };
    workers.set(key, entry);
    return entry;
  };
  const natsClientTokens = new NatsTokenTransport({ servers: natsUrl });
  cleanups.push(() => natsClientTokens.close());
  const sides: CostSide[] = [];
  const addSide = async (code: Code, variant: string, kind: WorkerKind | 'bare', watchOverNats = false): Promise<void> => {
    const { worker, taskQueue } = await startWorker(code, kind);
    let zap: Zap | undefined;
    if (kind !== 'bare') {
      zap = new Zap({
        agents: [createBenchAgent()],
        taskQueue,
        temporal: { address: temporalAddress },
        temporalClient: client,
        idleTimeout: FINAL_WAIT_MS,
        logger: { warn: () => undefined },
        ...(watchOverNats ? { tokens: natsClientTokens } : {}),
      });
      await zap.start();
      cleanups.push(() => zap!.stop());
    }
    sides.push({ name: code === 'bare' ? 'bare workflow (plain completions)' : `${code}: ${variant}`, code, variant, kind, watchOverNats, worker, taskQueue, ...(zap ? { zap } : {}) });
  };
  const codes: Code[] = before ? ['now', 'before'] : ['now'];
  // Three worker processes boot at a time (tsx and the worker's start take seconds each on a busy machine).
  const kinds: Array<[Code, WorkerKind | 'bare']> = [
    ...codes.flatMap((code) => (['plain', 'in-process', 'nats', ...(code === 'now' ? (['watch-all', 'when-watched'] as const) : [])] as WorkerKind[]).map((kind): [Code, WorkerKind] => [code, kind])),
    ['bare', 'bare'],
  ];
  await mapConcurrently(kinds, 3, ([code, kind]) => startWorker(code, kind));
  for (const code of codes) {
    await addSide(code, 'plain', 'plain');
    await addSide(code, 'stream, unwatched', 'in-process');
    if (code === 'now') await addSide(code, 'stream, watched in process', 'watch-all');
    await addSide(code, 'stream, unwatched, NATS transport', 'nats');
    await addSide(code, 'stream, watched over NATS', 'nats', true);
    if (code === 'now') await addSide(code, "streaming 'when-watched', unwatched", 'when-watched');
  }
  await addSide('bare', 'plain', 'bare');
  console.error(`streaming cost: ${sides.length} sides on ${workers.size} worker processes`);

  const result: StreamingCostResult = { settings, modelCallsPerTask: settings.rounds + 1, sizes: [] };
  let counter = 0;
  for (const words of settings.words) {
    const samples = new Map<string, CostSample[]>(sides.map((side) => [side.name, []]));
    const startedAt = Date.now();
    for (let index = 0; index < WARM_UP_TASKS + settings.tasks; index += 1) {
      // Rotate the order every round so no side always runs right after another.
      const order = sides.map((_, position) => sides[(position + index) % sides.length]!);
      for (const side of order) {
        counter += 1;
        const sample = await runCostTask(side, client, model, { taskKey: `cost-${words}-${counter}`, words, rounds: settings.rounds });
        if (index >= WARM_UP_TASKS) samples.get(side.name)!.push(sample);
      }
    }
    console.error(`streaming cost, ${words} words: ${settings.tasks} tasks per side in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    result.sizes.push({
      words,
      sides: sides.map((side) => {
        const sideSamples = samples.get(side.name)!;
        return {
          name: side.name,
          code: side.code,
          variant: side.variant,
          perStepMs: summarize(sideSamples.map((sample) => sample.latencyMs / result.modelCallsPerTask)),
          workerCpuMsPerTask: sideSamples.reduce((total, sample) => total + sample.workerCpuMs, 0) / Math.max(1, sideSamples.length),
          tokenEventsPerTask: sideSamples.reduce((total, sample) => total + sample.tokenEvents, 0) / Math.max(1, sideSamples.length),
        };
      }),
    });
  }
  return result;
}

/** One task on one side, start to workflow close, with the worker's CPU over that time. */
async function runCostTask(
  side: CostSide,
  client: Client,
  model: ScriptedModel,
  task: { taskKey: string; words: number; rounds: number },
): Promise<CostSample> {
  const message = formatTaskMessage({ taskKey: task.taskKey, scenario: 'echo', rounds: task.rounds, words: task.words });
  const expected = answerWords(task.words);
  const cpuBefore = readProcess(side.worker.pid)?.cpuSeconds ?? Number.NaN;
  const startedAt = performance.now();
  let tokenEvents = 0;
  let answer: unknown;
  if (!side.zap) {
    const workflowId = await startBareTask(client, { taskQueue: side.taskQueue, message, finalWaitMs: FINAL_WAIT_MS });
    answer = ((await client.workflow.getHandle(workflowId).result()) as BareWorkflowResult).answer;
  } else if (side.watchOverNats) {
    let taskId: string | undefined;
    for await (const event of side.zap.streamTask({ agentName: BENCH_AGENT, task: message }) as AsyncIterable<TaskEvent>) {
      taskId ??= event.taskId;
      if (event.type === 'token') tokenEvents += 1;
    }
    answer = (await client.workflow.getHandle(taskId!).result()) as unknown;
  } else {
    const { id } = await side.zap.executeTask({ agentName: BENCH_AGENT, task: message });
    answer = await client.workflow.getHandle(id).result();
  }
  const latencyMs = performance.now() - startedAt;
  const cpuAfter = readProcess(side.worker.pid)?.cpuSeconds ?? Number.NaN;
  model.forget(task.taskKey);
  const text = typeof answer === 'string' ? answer : (answer as { result?: unknown } | undefined)?.result;
  if (text !== expected) throw new Error(`${side.name}: task ${task.taskKey} answered ${JSON.stringify(answer).slice(0, 200)}.`);
  if (side.watchOverNats && tokenEvents === 0) throw new Error(`${side.name}: task ${task.taskKey} streamed no token.`);
  return { latencyMs, workerCpuMs: (cpuAfter - cpuBefore) * 1000, tokenEvents };
}

/** A copy of the repository at `ref` (`git archive`), sharing this one's node_modules, with its workflow bundle. */
async function prepareBeforeCheckout(ref: string, cleanups: Cleanups): Promise<{ root: string; bundlePath: string }> {
  const root = await mkdtemp(join(tmpdir(), 'zap-bench-before-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  execFileSync('bash', ['-c', `git -C "$0" archive "$1" | tar -x -C "$2"`, REPOSITORY_ROOT, ref, root]);
  await symlink(join(REPOSITORY_ROOT, 'node_modules'), join(root, 'node_modules'));
  // The worker module of this phase uses only what the committed code has.
  await copyFile(join(REPOSITORY_ROOT, 'bench/lib/streaming-cost-worker.ts'), join(root, 'bench/lib/streaming-cost-worker.ts'));
  const silent = (): void => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(root, 'src/workflows/index.ts'),
    logger: { trace: silent, debug: silent, info: silent, log: silent, warn: console.warn, error: console.error },
  });
  const bundlePath = join(root, 'workflow-bundle.js');
  await writeFile(bundlePath, code);
  return { root, bundlePath };
}

/** The phase's table, one block per answer size. */
export function formatStreamingCost(result: StreamingCostResult): string {
  const lines: string[] = [
    `Streaming cost: echo tasks of ${result.settings.rounds} tool rounds (${result.modelCallsPerTask} model calls), every answer N words streamed one chunk per word; ` +
      `${result.settings.tasks} tasks per side, one at a time, sides rotating; worker in its own process. Per step = task latency (start → workflow closed) / model calls.`,
  ];
  for (const size of result.sizes) {
    const plainOf = (code: Code) => size.sides.find((side) => side.code === code && side.variant === 'plain');
    const bare = size.sides.find((side) => side.code === 'bare');
    lines.push(`\n${size.words} words per answer`);
    lines.push(
      formatTable(
        ['side', 'per step p50 ms', 'p95', 'vs plain', 'vs bare', 'worker CPU ms/task', 'CPU vs plain', 'token events/task'],
        size.sides.map((side) => {
          const plain = plainOf(side.code === 'bare' ? 'now' : side.code);
          return [
            side.name,
            fixed(side.perStepMs.median, 1),
            fixed(side.perStepMs.p95, 1),
            side.code === 'bare' ? '' : ratio(side.perStepMs.median / plain!.perStepMs.median),
            ratio(side.perStepMs.median / bare!.perStepMs.median),
            fixed(side.workerCpuMsPerTask, 1),
            side.code === 'bare' ? '' : ratio(side.workerCpuMsPerTask / plain!.workerCpuMsPerTask),
            fixed(side.tokenEventsPerTask, 0),
          ];
        }),
      ),
    );
  }
  return lines.join('\n');
}

/** Summary rows: streaming / plain per step and CPU, now (and before), unwatched and watched. */
export function streamingCostRows(result: StreamingCostResult): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const size of result.sizes) {
    const find = (code: Code, variant: string) => size.sides.find((side) => side.code === code && side.variant === variant);
    const bare = size.sides.find((side) => side.code === 'bare');
    for (const variant of ['stream, unwatched', 'stream, unwatched, NATS transport', 'stream, watched in process', 'stream, watched over NATS', "streaming 'when-watched', unwatched"]) {
      const now = find('now', variant);
      const plain = find('now', 'plain');
      if (!now || !plain || !bare) continue;
      const beforeSide = find('before', variant);
      const beforePlain = find('before', 'plain');
      const before =
        beforeSide && beforePlain
          ? `; before: ${ratio(beforeSide.perStepMs.median / beforePlain.perStepMs.median)} per step, ${ratio(beforeSide.workerCpuMsPerTask / beforePlain.workerCpuMsPerTask)} CPU`
          : '';
      rows.push({
        benchmark: 'streaming',
        figure: `streaming cost per step, ${size.words}-token answers, ${variant.replace('stream, ', '')}`,
        unit: 'ms',
        median: now.perStepMs.median,
        p95: now.perStepMs.p95,
        min: now.perStepMs.min,
        max: now.perStepMs.max,
        ratio: now.perStepMs.median / plain.perStepMs.median,
        baseline: `streaming off: p50 ${fixed(plain.perStepMs.median, 1)}; bare ${fixed(bare.perStepMs.median, 1)}`,
        note: `worker CPU/task ${fixed(now.workerCpuMsPerTask, 1)} vs ${fixed(plain.workerCpuMsPerTask, 1)} ms (${ratio(now.workerCpuMsPerTask / plain.workerCpuMsPerTask)})${before}`,
      });
    }
  }
  return rows;
}
