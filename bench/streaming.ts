/**
 * Streaming benchmark: how fast a durable event reaches a subscriber in another process, and
 * what an idle subscriber costs, for `zap.streamTask` (a history long-poll as wake-up, then a
 * query for the new events) against a baseline that queries the workflow every 100 ms, in the
 * same run, on the same dev server and worker.
 *
 *   npx tsx bench/streaming.ts   # BENCH_STREAM_TASKS=10 BENCH_STREAM_ALONE_TASKS=5 BENCH_STREAM_ROUNDS=10
 *                                # BENCH_IDLE_SUBSCRIBERS=20 BENCH_IDLE_SECONDS=60 BENCH_WAIT_STEP_MS=150
 *
 * The worker runs in its own process (`workers/zap-worker.ts` with `streaming-worker.ts`); this
 * process is the subscriber side. Latency of an event = its arrival in the subscriber
 * (`Date.now()` when yielded) − its `timestamp`, which is the workflow clock: the start of the
 * workflow task that emitted it. "Since recorded" measures from the completion of that workflow
 * task instead (from history), the moment the event became durable and queryable. Both clocks
 * are this machine's.
 *
 * Latency is measured twice: "together", both designs subscribed to the same task at the same
 * time, and "alone", each design on its own tasks. The two differ because Temporal buffers only
 * one query per workflow while a workflow task runs (`history.maxBufferedQueryCount`); a second
 * one is refused with RESOURCE_EXHAUSTED, which the client retries after about 1.7 s. Every
 * query attempt is read off the wire (see `rpc-counter.ts`) with what the workflow was doing
 * when it was sent.
 *
 * Idle cost: subscribers of each design attach to answered tasks that wait for a follow-up, at
 * their last seq; over the window the benchmark counts queries and history RPCs per subscriber
 * and checks that the tasks' histories did not grow.
 *
 * Prints tables, writes `bench/results/streaming.json`, and exits 0; after HARD_TIMEOUT_MS it
 * prints what was measured so far and exits 1.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ScriptedLlmServer, TemporalDevServer } from 'zap-agents/testing';
import { POLLING_INTERVAL_MS } from './polling-subscriber';
import { RpcCounter } from './rpc-counter';
import {
  answerStreamingRequest,
  createStreamingZap,
  DEFAULT_WAIT_STEP_MS,
  FIRST_ANSWER_DELAY_MS,
  STREAMING_AGENT_NAME,
  STREAMING_IDLE_TIMEOUT,
} from './streaming-agent';
import type { StreamingBenchContext } from './streaming-context';
import { measureIdleCost, type IdleCostResult } from './streaming-idle';
import { measureLatencyTask, type DeliverySample, type Design, type LatencyTaskResult } from './streaming-latency';
import {
  formatIdleTable,
  formatLatencyTable,
  formatQueryLoadTable,
  summarizeLatency,
  type LatencyRow,
  type QueryLoadRow,
} from './streaming-report';
import { startWorkerProcess } from './worker-process';

const DEFAULT_TASKS = 10;
const DEFAULT_ALONE_TASKS = 5;
const DEFAULT_ROUNDS = 10;
const DEFAULT_IDLE_SUBSCRIBERS = 20;
const DEFAULT_IDLE_SECONDS = 60;
/** Unmeasured tasks first: connections, JIT and the worker's caches warm up. */
const WARM_UP_TASKS = 1;
const WARM_UP_ROUNDS = 2;
/** The whole run, servers included. */
const HARD_TIMEOUT_MS = 6 * 60 * 1000;
/** How long shutdown may take after the hard timeout before the process exits anyway. */
const ABORT_CLEANUP_MS = 20_000;
const NAMESPACE = 'default';
const RESULTS_PATH = join(__dirname, 'results', 'streaming.json');
const WORKER_MODULE = 'bench/streaming-worker.ts';

/** Both designs subscribed to the same task at the same time, or each design alone on its own tasks. */
type Mode = 'together' | 'alone';
const MODES: readonly Mode[] = ['together', 'alone'];
const DESIGNS: readonly Design[] = ['stream', 'polling'];
const DESIGN_LABELS: Record<Design, string> = {
  stream: 'long-poll stream (zap.streamTask)',
  polling: `query polling every ${POLLING_INTERVAL_MS} ms`,
};
/** gRPC status RESOURCE_EXHAUSTED: what a query gets when the workflow's query buffer is full. */
const RESOURCE_EXHAUSTED = 8;

interface Settings {
  /** Tasks with both designs subscribed at once. */
  tasks: number;
  /** Tasks per design with that design subscribed alone. */
  aloneTasks: number;
  rounds: number;
  idleSubscribers: number;
  idleSeconds: number;
  waitStepMs: number;
}

/** What has been measured; read by the final report and by the hard timeout alike. */
const latencyTasks: LatencyTaskResult[] = [];
let idle: IdleCostResult | undefined;
/** Stops what was started, last first. */
const cleanups: Array<() => Promise<void>> = [];

async function main(settings: Settings): Promise<void> {
  const temporal = await TemporalDevServer.start({ uiPort: false });
  cleanups.push(() => temporal.stop());
  const llm = await ScriptedLlmServer.start({ handler: answerStreamingRequest });
  cleanups.push(() => llm.close());

  const bundleDirectory = await mkdtemp(join(tmpdir(), 'zap-streaming-bench-'));
  cleanups.push(() => rm(bundleDirectory, { recursive: true, force: true }));
  const bundlePath = join(bundleDirectory, 'workflow-bundle.js');
  await writeFile(bundlePath, await bundle(require.resolve('../src/workflows/index')));

  const taskQueue = `bench-streaming-${randomBytes(4).toString('hex')}`;
  const worker = await startWorkerProcess({
    modulePath: WORKER_MODULE,
    environment: {
      ZAP_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: temporal.address,
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'bench',
      ZAP_WORKFLOW_BUNDLE: bundlePath,
      BENCH_WAIT_STEP_MS: String(settings.waitStepMs),
    },
  });
  cleanups.push(async () => {
    await worker.stop();
  });
  console.error(`worker process ${worker.pid} is polling ${taskQueue}`);

  const context = await connectClientSide(temporal.address, taskQueue);
  for (let index = 0; index < WARM_UP_TASKS; index += 1) await measureLatencyTask(context, WARM_UP_ROUNDS, DESIGNS);
  const startedAt = Date.now();
  // Interleaved, so that noise from a shared machine falls on every mode alike.
  for (let index = 0; index < Math.max(settings.tasks, settings.aloneTasks); index += 1) {
    if (index < settings.tasks) latencyTasks.push(await measureLatencyTask(context, settings.rounds, DESIGNS));
    if (index >= settings.aloneTasks) continue;
    for (const design of DESIGNS) latencyTasks.push(await measureLatencyTask(context, settings.rounds, [design]));
  }
  console.error(`latency: ${latencyTasks.length} tasks in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

  console.error(`idle: ${settings.idleSubscribers} subscribers per design for ${settings.idleSeconds} s`);
  idle = await measureIdleCost(context, {
    subscribers: settings.idleSubscribers,
    windowMs: settings.idleSeconds * 1000,
    answeredTaskIds: latencyTasks.map((task) => task.taskId),
  });
  await closeAll();
}

/** Three connections: one per design (counted) and one for bookkeeping. */
async function connectClientSide(address: string, taskQueue: string): Promise<StreamingBenchContext> {
  const connect = async (counter?: RpcCounter): Promise<Client> => {
    const connection = await Connection.connect({ address, ...(counter ? { interceptors: counter.interceptors() } : {}) });
    cleanups.push(() => connection.close());
    return new Client({ connection, namespace: NAMESPACE });
  };
  const streamRpcs = new RpcCounter();
  const pollingRpcs = new RpcCounter();
  const streamClient = await connect(streamRpcs);
  const pollingClient = await connect(pollingRpcs);
  const adminClient = await connect();
  // The client side never runs tools; its wait time only has to match the worker's definition.
  const zap = createStreamingZap({ taskQueue, temporalAddress: address, waitStepMs: 0, temporalClient: streamClient });
  await zap.start();
  cleanups.push(() => zap.stop());
  return { zap, streamClient, streamRpcs, pollingClient, pollingRpcs, adminClient, namespace: NAMESPACE, agentName: STREAMING_AGENT_NAME };
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

/** The latency tasks of one mode: both designs on each task, or one design alone. */
function tasksOf(mode: Mode): LatencyTaskResult[] {
  return latencyTasks.filter((task) => (mode === 'together') === (task.designs.length > 1));
}

function summarizeRun() {
  const samples = (mode: Mode, design: Design): DeliverySample[] => tasksOf(mode).flatMap((task) => task.samples[design] ?? []);
  const delivery = (mode: Mode, design: Design) => {
    const values = samples(mode, design);
    return {
      sinceTimestamp: summarizeLatency(values.map((sample) => sample.latencyMs)),
      sinceRecorded: summarizeLatency(values.flatMap((sample) => (sample.sinceRecordedMs === undefined ? [] : [sample.sinceRecordedMs]))),
    };
  };
  const all = latencyTasks.flatMap((task) => DESIGNS.flatMap((design) => task.samples[design] ?? []));
  return {
    delivery: Object.fromEntries(MODES.map((mode) => [mode, { stream: delivery(mode, 'stream'), polling: delivery(mode, 'polling') }])) as Record<
      Mode,
      Record<Design, ReturnType<typeof delivery>>
    >,
    streamFirstShare: shareFaster(tasksOf('together')),
    parts: {
      recordOffset: summarizeLatency(latencyTasks.flatMap((task) => task.recordOffsetMs)),
      historyWake: summarizeLatency(latencyTasks.flatMap((task) => task.historyWakeMs)),
      queryRoundTripWithoutWorkflowTask: summarizeLatency(
        latencyTasks.flatMap((task) => task.queries.filter((query) => query.code === 0 && query.state === 'no workflow task').map((query) => query.durationMs)),
      ),
    },
    queryLoad: MODES.flatMap((mode) => DESIGNS.map((design) => summarizeQueryLoad(mode, design))),
    recordedTimeMatches: { exact: all.filter((sample) => sample.exactRecord).length, total: all.length },
    perTask: latencyTasks.map((task) => ({
      taskId: task.taskId,
      designs: task.designs,
      durableEvents: task.durableEvents,
      catchUpEvents: task.catchUpEvents,
      firstArrivalAfterMs: task.firstArrivalAfterMs,
      streamStatistics: task.streamStatistics,
      pollingQueries: task.pollingQueries,
    })),
  };
}

function summarizeQueryLoad(mode: Mode, design: Design): QueryLoadRow & { mode: Mode; design: Design } {
  const tasks = tasksOf(mode).filter((task) => task.designs.includes(design));
  const queries = tasks.flatMap((task) => task.queries.filter((query) => query.design === design));
  return {
    mode,
    design,
    label: `${DESIGN_LABELS[design]}, ${mode}`,
    tasks: tasks.length,
    attempts: queries.length,
    sentDuringWorkflowTask: queries.filter((query) => query.state !== 'no workflow task').length,
    refused: queries.filter((query) => query.code === RESOURCE_EXHAUSTED).length,
    roundTrip: summarizeLatency(queries.filter((query) => query.code === 0).map((query) => query.durationMs)),
  };
}

/** Share of events (matched by task and seq) that reached the stream before the poller. */
function shareFaster(tasks: readonly LatencyTaskResult[]): number {
  let faster = 0;
  let compared = 0;
  for (const task of tasks) {
    const pollingBySeq = new Map((task.samples.polling ?? []).map((sample) => [sample.seq, sample.latencyMs]));
    for (const sample of task.samples.stream ?? []) {
      const other = pollingBySeq.get(sample.seq);
      if (other === undefined) continue;
      compared += 1;
      if (sample.latencyMs < other) faster += 1;
    }
  }
  return compared === 0 ? Number.NaN : faster / compared;
}

/** Prints the tables and writes the JSON; `complete` is false when the run was cut short. */
async function report(settings: Settings, complete: boolean): Promise<void> {
  const summary = summarizeRun();
  const deliveryRows = (field: 'sinceTimestamp' | 'sinceRecorded'): LatencyRow[] =>
    MODES.flatMap((mode) =>
      DESIGNS.map((design) => ({ label: `${DESIGN_LABELS[design]}, ${mode}`, summary: summary.delivery[mode][design][field] })),
    );
  const partRows: LatencyRow[] = [
    { label: 'event timestamp → recorded (workflow task start → completed)', summary: summary.parts.recordOffset },
    { label: 'recorded → bare history long-poll returns (the wake-up alone)', summary: summary.parts.historyWake },
    { label: 'getEvents query round trip, no workflow task pending', summary: summary.parts.queryRoundTripWithoutWorkflowTask },
  ];
  const events = latencyTasks[0]?.durableEvents;
  console.log(
    `\nDelivery latency: tasks of ${settings.rounds} tool rounds (${events ?? '?'} durable events each; wait_step ${settings.waitStepMs} ms), ` +
      `worker in another process. "together": ${tasksOf('together').length} tasks, both designs subscribed to each at the same time; ` +
      `"alone": ${tasksOf('alone').length} tasks, one design each (alternating). Events recorded before the subscribers had caught up are left out.\n`,
  );
  console.log('Arrival − event timestamp (the workflow clock: start of the workflow task that emitted the event)');
  console.log(formatLatencyTable('design', deliveryRows('sinceTimestamp')));
  console.log('\nArrival − recorded (WorkflowTaskCompleted of that workflow task, from history)');
  console.log(formatLatencyTable('design', deliveryRows('sinceRecorded')));
  console.log(
    `(recording workflow task found exactly for ${summary.recordedTimeMatches.exact}/${summary.recordedTimeMatches.total} events; ` +
      `together, the stream delivered first for ${(summary.streamFirstShare * 100).toFixed(0)}% of events)`,
  );
  console.log('\nWhere the time goes');
  console.log(formatLatencyTable('part', partRows));
  console.log('\ngetEvents queries on the wire during the latency tasks (every attempt; refused ones are retried by the client after ~1.7 s)');
  console.log(formatQueryLoadTable(summary.queryLoad));
  if (idle) {
    console.log(`\nIdle cost: subscribers attached at the end of answered tasks waiting for a follow-up (idle timeout ${STREAMING_IDLE_TIMEOUT})`);
    console.log(formatIdleTable(idle.rows));
    console.log(
      `(long-poll window on the wire: ${idle.streamWindowWireCounts.queries} queries, ${idle.streamWindowWireCounts.historyRequests} history RPCs; ` +
        `its statistics over the subscriptions' whole lives, setup included: ${idle.streamLifetimeStatistics.queries} queries, ` +
        `${idle.streamLifetimeStatistics.historyRequests} history RPCs; polling query round trip under its own load: ` +
        `p50 ${idle.pollingQueryRoundTrip.p50.toFixed(1)} ms, p99 ${idle.pollingQueryRoundTrip.p99.toFixed(1)} ms)`,
    );
  }

  await mkdir(join(__dirname, 'results'), { recursive: true });
  const cpuList = cpus();
  const document = {
    generatedAt: new Date().toISOString(),
    complete,
    environment: { node: process.version, platform: process.platform, cpus: cpuList.length, cpuModel: cpuList[0]?.model },
    settings: {
      ...settings,
      pollingIntervalMs: POLLING_INTERVAL_MS,
      warmUpTasks: WARM_UP_TASKS,
      firstAnswerDelayMs: FIRST_ANSWER_DELAY_MS,
      idleTimeout: STREAMING_IDLE_TIMEOUT,
    },
    latency: summary,
    idle: idle ?? null,
    samples: latencyTasks,
  };
  await writeFile(RESULTS_PATH, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`\nJSON: ${RESULTS_PATH}`);
}

function readSettings(environment: NodeJS.ProcessEnv): Settings {
  const integer = (name: string, fallback: number, minimum: number): number => {
    const value = Number(environment[name] ?? fallback);
    if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be an integer of at least ${minimum}, not ${environment[name]}.`);
    return value;
  };
  const idleSeconds = Number(environment.BENCH_IDLE_SECONDS ?? DEFAULT_IDLE_SECONDS);
  if (!Number.isFinite(idleSeconds) || idleSeconds <= 0) throw new Error(`BENCH_IDLE_SECONDS must be a positive number, not ${environment.BENCH_IDLE_SECONDS}.`);
  return {
    tasks: integer('BENCH_STREAM_TASKS', DEFAULT_TASKS, 1),
    aloneTasks: integer('BENCH_STREAM_ALONE_TASKS', DEFAULT_ALONE_TASKS, 0),
    rounds: integer('BENCH_STREAM_ROUNDS', DEFAULT_ROUNDS, 1),
    idleSubscribers: integer('BENCH_IDLE_SUBSCRIBERS', DEFAULT_IDLE_SUBSCRIBERS, 1),
    idleSeconds,
    waitStepMs: integer('BENCH_WAIT_STEP_MS', DEFAULT_WAIT_STEP_MS, 0),
  };
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
