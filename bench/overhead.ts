/**
 * Orchestration overhead of zap-agents per task, against a bare Temporal workflow that runs the
 * same activities with the same HTTP calls, in the same run and on the same dev server, so the
 * result is a ratio that survives a noisy, shared machine.
 *
 *   npx tsx bench/overhead.ts            # BENCH_TASKS=20 BENCH_ROUNDS=0,3,10
 *
 * How a task is timed, on both sides alike: from the call that starts the workflow to the moment
 * its final answer is durably recorded, i.e. the workflow task that handled the last model
 * response has completed. zap-agents tasks stay open for follow-ups after answering, so "the
 * workflow closed" is not a common end: both workflows instead start one timer right after
 * recording the answer (the Zap's idle timeout of FINAL_WAIT_MS, and a sleep as long in the bare
 * workflow), and the first `TimerStarted` event in history marks the end. It is detected by a
 * history long poll begun when the scripted model sees the task's last request: one or two calls,
 * no polling interval, no queries to the worker (which would load the side being measured).
 * Timing to the close instead would add the dev server's timer latency (about a second for a
 * 10 ms timer) to both sides and drown the difference. Each task's close is still awaited, untimed,
 * before the next task starts. The scripted model notes when each request arrives, which splits
 * each latency into phases (see `run-config.ts`).
 *
 * Prints tables, writes `bench/results/overhead.json`, and exits 0; after HARD_TIMEOUT_MS it
 * prints what was measured so far and exits 1.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { ZapAgent } from 'zap-agents';
import { TemporalDevServer } from 'zap-agents/testing';
import { BareSide } from './bare-side';
import { BenchModel } from './bench-model';
import type { BenchSide } from './bench-side';
import { BENCH_AGENT_NAME, BENCH_MODEL, BENCH_SYSTEM_PROMPT, FINAL_WAIT_MS, PAYLOAD_BYTES } from './bench-task';
import { echoTool } from './echo-tool';
import { probeConversationQuery } from './query-probe';
import { formatReport, summarizeConfig, summarizeProbe, type QueryProbeSummary } from './report';
import { createConfigRun, measureConfig, type ConfigRun } from './run-config';
import { ZapSide } from './zap-side';

/** Measured tasks per side and configuration, unless BENCH_TASKS says otherwise. */
const DEFAULT_TASKS = 20;
/** Tool rounds per task of each configuration, unless BENCH_ROUNDS says otherwise. */
const DEFAULT_ROUNDS = '0,3,10';
/** Unmeasured tasks per side before each configuration. */
const WARM_UP_TASKS = 3;
/** Calls timed by the query probe. */
const PROBE_SAMPLES = 50;
/** The whole run, servers included. */
const HARD_TIMEOUT_MS = 8 * 60 * 1000;
/** How long shutdown may take after the hard timeout before the process exits anyway. */
const ABORT_CLEANUP_MS = 20_000;
const RESULTS_PATH = join(__dirname, 'results', 'overhead.json');

// Worker lifecycle messages are INFO; keep the output to the results.
Runtime.install({ logger: new DefaultLogger('WARN') });

interface Settings {
  tasks: number;
  rounds: number[];
}

/** What has been measured; read by the final report and by the hard timeout alike. */
const runs: ConfigRun[] = [];
let probe: QueryProbeSummary | undefined;
/** Stops what was started, last first. */
const cleanups: Array<() => Promise<void>> = [];

async function main(settings: Settings): Promise<void> {
  const temporal = await TemporalDevServer.start({ uiPort: false });
  cleanups.push(() => temporal.stop());
  const model = await BenchModel.start();
  cleanups.push(() => model.close());
  // The bare side makes plain (non-streaming) completions, so by default zap-agents does too: same
  // requests, same payloads. BENCH_STREAMING=1 measures zap-agents with SSE streaming instead.
  const streaming = process.env.BENCH_STREAMING === '1';
  const agent = new ZapAgent({ name: BENCH_AGENT_NAME, prompt: BENCH_SYSTEM_PROMPT, model: BENCH_MODEL, tools: [echoTool], streaming });

  // Bundled before anything is timed: neither side pays for webpack.
  const [zapCode, bareCode] = await Promise.all([
    bundle(require.resolve('../src/workflows/index')),
    bundle(require.resolve('./bare-workflow')),
  ]);
  const common = { agent, temporalAddress: temporal.address, llmBaseURL: model.baseURL };
  const suffix = randomBytes(4).toString('hex');
  const zap = await ZapSide.start({ ...common, taskQueue: `bench-zap-${suffix}`, workflowCode: zapCode });
  cleanups.push(() => zap.stop());
  const bare = await BareSide.start({ ...common, taskQueue: `bench-bare-${suffix}`, workflowCode: bareCode });
  cleanups.push(() => bare.stop());
  const sides: readonly [BenchSide, BenchSide] = [zap, bare];

  for (const rounds of settings.rounds) {
    const run = createConfigRun(rounds);
    runs.push(run);
    const startedAt = Date.now();
    await measureConfig(run, { sides, model, tasks: settings.tasks, warmUpTasks: WARM_UP_TASKS });
    console.error(`rounds=${rounds}: ${settings.tasks} tasks per side in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  }
  probe = summarizeProbe(
    await probeConversationQuery({ ...common, taskQueue: `bench-zap-${suffix}`, samples: PROBE_SAMPLES }),
  );
  await closeAll();
}

async function bundle(workflowsPath: string): Promise<string> {
  const silent = (): void => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: { trace: silent, debug: silent, info: silent, log: silent, warn: console.warn, error: console.error },
  });
  return code;
}

async function closeAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}

/** Prints the tables and writes the JSON; `complete` is false when the run was cut short. */
async function report(settings: Settings, complete: boolean): Promise<void> {
  const configs = runs.filter((run) => run.samples.zap.length > 0 && run.samples.bare.length > 0).map(summarizeConfig);
  console.log(formatReport(configs, probe));
  await mkdir(join(__dirname, 'results'), { recursive: true });
  const cpuList = cpus();
  const document = {
    generatedAt: new Date().toISOString(),
    complete,
    environment: { node: process.version, platform: process.platform, cpus: cpuList.length, cpuModel: cpuList[0]?.model },
    settings: { ...settings, warmUpTasks: WARM_UP_TASKS, finalWaitMs: FINAL_WAIT_MS, payloadBytes: PAYLOAD_BYTES },
    configs,
    queryProbe: probe ?? null,
    samples: runs,
  };
  await writeFile(RESULTS_PATH, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`\nJSON: ${RESULTS_PATH}`);
}

function readSettings(environment: NodeJS.ProcessEnv): Settings {
  const tasks = Number(environment.BENCH_TASKS ?? DEFAULT_TASKS);
  if (!Number.isInteger(tasks) || tasks < 1) throw new Error(`BENCH_TASKS must be a positive integer, not ${environment.BENCH_TASKS}.`);
  const rounds = (environment.BENCH_ROUNDS ?? DEFAULT_ROUNDS).split(',').map((item) => Number(item.trim()));
  if (rounds.length === 0 || rounds.some((value) => !Number.isInteger(value) || value < 0 || value > 40)) {
    throw new Error(`BENCH_ROUNDS must be a comma-separated list of integers from 0 to 40, not ${environment.BENCH_ROUNDS}.`);
  }
  return { tasks, rounds };
}

async function abort(settings: Settings): Promise<never> {
  console.error(`Hard timeout: ${HARD_TIMEOUT_MS / 1000} s passed; reporting what was measured.`);
  try {
    await report(settings, false);
  } catch (error) {
    console.error(error);
  }
  await Promise.race([closeAll(), sleep(ABORT_CLEANUP_MS)]);
  process.exit(1);
}

async function run(): Promise<void> {
  const settings = readSettings(process.env);
  const hardTimeout = setTimeout(() => void abort(settings), HARD_TIMEOUT_MS);
  try {
    await main(settings);
  } catch (error) {
    clearTimeout(hardTimeout);
    console.error(error);
    await Promise.race([closeAll(), sleep(ABORT_CLEANUP_MS)]);
    process.exit(1);
  }
  clearTimeout(hardTimeout);
  await report(settings, true);
  process.exit(0);
}

void run();
