/**
 * Orchestration overhead of zap-agents per task, against a bare Temporal workflow that runs the
 * same activities with the same HTTP calls, in the same run and on the same dev server, so the
 * result is a ratio that survives a noisy, shared machine.
 *
 *   npx tsx bench/overhead.ts     # BENCH_TASKS=8 BENCH_ROUNDS=0,3,10 BENCH_TOOL_ROUNDS=3 BENCH_TOOL=local,mcp
 *                                 # BENCH_SPACING=closed,back-to-back BENCH_MCP_RESULT_BYTES=200,8192 BENCH_STREAMING=0
 *
 * Configurations: the local `echo` tool at BENCH_ROUNDS tool rounds with tasks spaced out, then at
 * BENCH_TOOL_ROUNDS rounds for every other pair of tool (local `echo`; `echo` on a Streamable HTTP
 * MCP server in this process, its result BENCH_MCP_RESULT_BYTES long) and spacing. `closed`: each
 * task starts once the previous one's workflow has closed; `back-to-back`: as soon as its answer is
 * recorded, so its close overlaps the next task (the regime of a client waiting for answers one at
 * a time, and of the throughput benchmark at one task in flight). The bare side calls the MCP
 * server through the same `McpConnectionPool` zap-agents' workers use, without zap's additions.
 *
 * Sides, alternated task by task (the order rotates, so all see the same drift), one worker each:
 * - `zap`: a client-only Zap starting tasks for the zap worker of this process, through the task queue;
 * - `zap (eager start)`: the worker's own Zap, which starts its tasks eagerly (`eagerStart`);
 * - `zap (searchAttributes off)`: as `zap`, tasks without zap's search attributes (no `ZapStatus` upserts);
 * - `zap (inline 16 KiB)`: as `zap` with `inlineMessageBytes: 16384`, where results exceed the 4 KiB default;
 * - `bare`: the bare workflow.
 *
 * How a task is timed, on all sides alike: from the call that starts the workflow to the moment
 * its final answer is durably recorded, i.e. the workflow task that handled the last model
 * response has completed. zap-agents tasks stay open for follow-ups after answering, so "the
 * workflow closed" is not a common end: both workflows instead start one timer right after
 * recording the answer (the Zap's idle timeout of FINAL_WAIT_MS, and a sleep as long in the bare
 * workflow), and the first `TimerStarted` event in history marks the end. It is detected by a
 * history long poll begun when the scripted model sees the task's last request. The scripted
 * model notes when each request arrives, which splits each latency into phases; history
 * timestamps split the server's part (workflow-task pickup by queue kind, first task vs later).
 *
 * The bare side makes plain (non-streaming) completions, so by default zap-agents does too: same
 * requests, same payloads. BENCH_STREAMING=1 measures zap-agents with SSE streaming instead.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { Zap } from 'zap-agents';
import { getMessagesQuery, type AgentWorkflowResult } from 'zap-agents/workflows';
import { McpConnectionPool } from '../src/mcp/mcp-connection-pool';
import { createBareWorkerHost, startBareTask } from './lib/bare-activities';
import type { BareWorkflowResult } from './lib/bare-workflow';
import { BENCH_AGENT, BENCH_MCP_AGENT, BENCH_MCP_SERVER, createBenchAgent, createBenchZap, FINAL_WAIT_MS } from './lib/bench-zap';
import { readIntegerList, readInteger, runBenchmark, runWorkerInProcess, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { HistoryFollower, measureHistorySize, measureHistoryTimings, type HistorySize, type HistoryTimings } from './lib/history';
import { startMcpBenchServer } from './lib/mcp-bench-server';
import { countersBetween, findFreePort, metricsArguments, scrapeServerMetrics } from './lib/server-metrics';
import { fixed, formatTable, ratio, summaryRow, writeResults, type SummaryRow } from './lib/report';
import { ECHO_ARGUMENT_TEXT, FINAL_ANSWER, formatTaskMessage, PAYLOAD_BYTES, TOOL_NAMES, type ScriptedModel } from './lib/scripted-model';
import { median, summarize, type Summary } from './lib/statistics';

/** Tasks per side of the counting phase (server counters, one side at a time). */
const COUNTED_TASKS = 3;
/** The counters the counting phase reports per task: the server work each side causes. */
const COUNTED_KEYS = [
  'rpc:StartWorkflowExecution',
  'rpc:RespondWorkflowTaskCompleted',
  'rpc:RespondActivityTaskCompleted',
  'rpc:RecordActivityTaskHeartbeat',
  'rpc:QueryWorkflow',
  'rpc:DescribeTaskQueue',
  'persistence:UpdateWorkflowExecution',
  'visibility:UpsertWorkflowExecution',
] as const;
/** Unmeasured tasks per side before each configuration. */
const WARM_UP_TASKS = 1;
/** Calls timed by each direct probe. */
const PROBE_SAMPLES = 50;
/** `inlineMessageBytes` of the `zap (inline 16 KiB)` side. */
const LARGE_INLINE_BYTES = 16 * 1024;
/** zap-agents' default inline budget: results above it make the model call query the conversation. */
const DEFAULT_INLINE_BYTES = 4 * 1024;

type ToolKind = 'local' | 'mcp';
type Spacing = 'closed' | 'back-to-back';
const SPACINGS: readonly Spacing[] = ['closed', 'back-to-back'];
const TOOL_KINDS: readonly ToolKind[] = ['local', 'mcp'];
type SideName = 'zap' | 'zap (eager start)' | 'zap (searchAttributes off)' | 'zap (inline 16 KiB)' | 'bare';

interface Settings {
  tasks: number;
  /** Tool rounds of the local tool with tasks spaced out. */
  rounds: number[];
  /** Tool rounds of every other configuration. */
  toolRounds: number;
  tools: ToolKind[];
  spacings: Spacing[];
  mcpResultBytes: number[];
  streaming: boolean;
}

/** One measured configuration. */
interface Config {
  tool: ToolKind;
  /** Size of each tool result (MCP); the local echo's is about PAYLOAD_BYTES. */
  resultBytes: number;
  spacing: Spacing;
  rounds: number;
}

/** One side of the comparison: the client its tasks are watched with, and a way to start one. */
interface Side {
  name: SideName;
  client: Client;
  /** Starts a task; `closed` settles when its workflow closes, rejecting unless it gave the scripted answer. */
  startTask(message: string, tool: ToolKind): Promise<{ workflowId: string; closed: Promise<void> }>;
}

/** One measured task; times on this process's clock, phases from the scripted model's arrivals. */
interface TaskSample {
  workflowId: string;
  /** From the call that starts the task to its answer being recorded in workflow history. */
  latencyMs: number;
  /** From the start call to the arrival of the first model request. */
  firstModelRequestMs: number;
  /** Mean time between consecutive model requests (a model answer and a tool call); undefined without tool rounds. */
  toolRoundMs: number | undefined;
  /** From the arrival of the last model request to the answer being recorded. */
  answerRecordedMs: number;
  /** Read once all tasks of the configuration have run: fetching histories is not timed. */
  history?: HistorySize;
  timings?: HistoryTimings;
}

interface ConfigRun {
  config: Config;
  samples: Partial<Record<SideName, TaskSample[]>>;
}

const runs: ConfigRun[] = [];
let counted: { config: Config; perTask: Partial<Record<SideName, Record<string, number>>> } | undefined;
let probe: { conversationQueryMs: Summary; frontendCallMs: Summary; mcpCallMs: Array<{ resultBytes: number; summary: Summary }> } | undefined;

function describeConfig(config: Config): string {
  const tool = config.tool === 'local' ? 'local echo' : `MCP ${formatBytes(config.resultBytes)}`;
  return `${tool}, ${config.spacing}, ${config.rounds} round${config.rounds === 1 ? '' : 's'}`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ? `${fixed(bytes / 1024, bytes % 1024 === 0 ? 0 : 1)} KiB` : `${bytes} B`;
}

function configsOf(settings: Settings): Config[] {
  const configs: Config[] = [];
  const longer: Config[] = [];
  for (const spacing of settings.spacings) {
    for (const tool of settings.tools) {
      if (tool === 'local') {
        const rounds = spacing === 'closed' ? settings.rounds : [settings.toolRounds];
        for (const count of rounds) (count > settings.toolRounds ? longer : configs).push({ tool, resultBytes: PAYLOAD_BYTES, spacing, rounds: count });
      } else {
        for (const resultBytes of settings.mcpResultBytes) configs.push({ tool, resultBytes, spacing, rounds: settings.toolRounds });
      }
    }
  }
  // The longest tasks last: a run cut short by its hard timeout still has every tool and spacing.
  return [...configs, ...longer];
}

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const metricsPort = await findFreePort();
  const { temporal, model, connect } = await startBenchServers(cleanups, metricsArguments(metricsPort));
  const [zapBundle, bareBundle] = await Promise.all([writeWorkflowBundle('zap', cleanups), writeWorkflowBundle('bare', cleanups)]);
  const mcpServer = await startMcpBenchServer(PAYLOAD_BYTES);
  cleanups.push(() => mcpServer.close());
  const suffix = randomBytes(4).toString('hex');
  const llm = { baseURL: model.baseURL, apiKey: 'bench' };
  const zapQueue = `bench-zap-${suffix}`;
  const common = { taskQueue: zapQueue, temporalAddress: temporal.address, llm, idleTimeout: FINAL_WAIT_MS, streaming: settings.streaming, mcpUrl: mcpServer.url };
  // Tasks stay open for follow-ups until idle this long; the bare workflow sleeps as long.
  const zap = createBenchZap(common);
  await runWorkerInProcess(zap, zapBundle, cleanups);
  // Client-only Zaps on the same worker: no local worker, so they start through the task queue.
  const clientZaps = {
    plain: createBenchZap({ ...common, temporalClient: zap.client }),
    searchAttributesOff: createBenchZap({ ...common, temporalClient: zap.client, searchAttributes: 'off' }),
    inline: createBenchZap({ ...common, temporalClient: zap.client, inlineMessageBytes: LARGE_INLINE_BYTES }),
  };
  for (const client of Object.values(clientZaps)) {
    await client.start();
    cleanups.push(() => client.stop());
  }
  const bareQueues: Record<ToolKind, string> = { local: `bench-bare-${suffix}`, mcp: `bench-bare-mcp-${suffix}` };
  for (const tool of TOOL_KINDS) {
    const host = createBareWorkerHost({
      temporalAddress: temporal.address,
      taskQueue: bareQueues[tool],
      llm,
      agent: createBenchAgent(),
      ...(tool === 'mcp' ? { mcp: { name: BENCH_MCP_SERVER, url: mcpServer.url } } : {}),
    });
    await runWorkerInProcess(host, bareBundle, cleanups);
  }
  const bareClient = await connect();

  const expectAnswer = (workflowId: string, answer: unknown): void => {
    if (answer !== FINAL_ANSWER) throw new Error(`Task ${workflowId} answered ${JSON.stringify(answer)}.`);
  };
  const zapSide = (name: SideName, starter: Zap): Side => ({
    name,
    client: zap.client,
    startTask: async (message, tool) => {
      const { id } = await starter.executeTask({ agentName: tool === 'mcp' ? BENCH_MCP_AGENT : BENCH_AGENT, task: message });
      const closed = zap.client.workflow
        .getHandle(id)
        .result()
        .then((result: AgentWorkflowResult) => expectAnswer(id, result.status === 'completed' ? result.result : result.status));
      return { workflowId: id, closed };
    },
  });
  const allSides: Side[] = [
    zapSide('zap', clientZaps.plain),
    zapSide('zap (eager start)', zap),
    zapSide('zap (searchAttributes off)', clientZaps.searchAttributesOff),
    zapSide('zap (inline 16 KiB)', clientZaps.inline),
    {
      name: 'bare',
      client: bareClient,
      startTask: async (message, tool) => {
        const workflowId = await startBareTask(bareClient, { taskQueue: bareQueues[tool], message, finalWaitMs: FINAL_WAIT_MS });
        const closed = bareClient.workflow
          .getHandle(workflowId)
          .result()
          .then((result: BareWorkflowResult) => expectAnswer(workflowId, result.answer));
        return { workflowId, closed };
      },
    },
  ];

  for (const config of configsOf(settings)) {
    // The larger inline budget only differs from `zap` when results exceed the default one.
    const sides = allSides.filter((side) => side.name !== 'zap (inline 16 KiB)' || config.resultBytes > DEFAULT_INLINE_BYTES);
    const run: ConfigRun = { config, samples: Object.fromEntries(sides.map((side) => [side.name, []])) };
    runs.push(run);
    mcpServer.resultBytes = config.resultBytes;
    const startedAt = Date.now();
    const closes: Array<Promise<void>> = [];
    for (let index = 0; index < WARM_UP_TASKS + settings.tasks; index += 1) {
      // The order rotates every task, so each side runs after each other one as often.
      const order = sides.map((_, position) => sides[(position + index) % sides.length]!);
      for (const side of order) {
        const taskKey = `${config.tool}${config.resultBytes}-${config.spacing}-k${config.rounds}-${side.name.replace(/\W+/g, '')}-${index}`;
        const { sample, closed } = await runOneTask(side, model, config, taskKey);
        if (config.spacing === 'closed') await closed;
        else closes.push(closed);
        if (index >= WARM_UP_TASKS) run.samples[side.name]!.push(sample);
      }
    }
    await Promise.all(closes);
    for (const side of sides) {
      for (const sample of run.samples[side.name] ?? []) {
        const history = await side.client.workflow.getHandle(sample.workflowId).fetchHistory();
        sample.history = measureHistorySize(history);
        sample.timings = measureHistoryTimings(history);
      }
    }
    console.error(`${describeConfig(config)}: ${settings.tasks} tasks per side in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  }

  // Exact counts of the server work per task, one side at a time (the timed phase interleaves them).
  const largest = Math.max(...settings.mcpResultBytes);
  const countConfig: Config = settings.tools.includes('mcp')
    ? { tool: 'mcp', resultBytes: largest, spacing: 'closed', rounds: settings.toolRounds }
    : { tool: 'local', resultBytes: PAYLOAD_BYTES, spacing: 'closed', rounds: settings.toolRounds };
  mcpServer.resultBytes = countConfig.resultBytes;
  counted = { config: countConfig, perTask: {} };
  for (const side of allSides.filter((candidate) => candidate.name !== 'zap (inline 16 KiB)' || countConfig.resultBytes > DEFAULT_INLINE_BYTES)) {
    const before = await scrapeServerMetrics(metricsPort);
    for (let index = 0; index < COUNTED_TASKS; index += 1) {
      const { closed } = await runOneTask(side, model, countConfig, `count-${side.name.replace(/\W+/g, '')}-${index}`);
      await closed;
    }
    // Visibility writes are queued on the server: let them land before reading.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const delta = countersBetween(before, await scrapeServerMetrics(metricsPort), COUNTED_TASKS);
    counted.perTask[side.name] = Object.fromEntries(COUNTED_KEYS.map((key) => [key, delta.get(key) ?? 0]));
  }

  // zap-agents makes one conversation query per model call when the conversation is not inline; time one directly.
  // With an idle timeout of FINAL_WAIT_MS it would close before it could be queried.
  const prober = createBenchZap({ ...common, temporalClient: zap.client, idleTimeout: '5 minutes' });
  await prober.start();
  cleanups.push(() => prober.stop());
  const task = await prober.executeTask({ agentName: BENCH_AGENT, task: formatTaskMessage({ taskKey: 'query-probe', scenario: 'answer' }) });
  await new HistoryFollower(zap.client, task.id).waitForTimers(1);
  const handle = zap.client.workflow.getHandle(task.id);
  // The floor of an MCP tool round's tool part: the pool's call alone, no activity around it.
  const pool = new McpConnectionPool();
  pool.register([{ name: BENCH_MCP_SERVER, url: mcpServer.url }]);
  cleanups.push(() => pool.close());
  const mcpCallMs: Array<{ resultBytes: number; summary: Summary }> = [];
  for (const resultBytes of settings.mcpResultBytes) {
    mcpServer.resultBytes = resultBytes;
    await pool.callTool(BENCH_MCP_SERVER, TOOL_NAMES.echo, { text: ECHO_ARGUMENT_TEXT });
    mcpCallMs.push({ resultBytes, summary: await timeRepeatedly(() => pool.callTool(BENCH_MCP_SERVER, TOOL_NAMES.echo, { text: ECHO_ARGUMENT_TEXT })) });
  }
  probe = {
    conversationQueryMs: await timeRepeatedly(() => handle.query(getMessagesQuery, { from: 2, to: 3 })),
    frontendCallMs: await timeRepeatedly(() => zap.client.workflowService.getSystemInfo({})),
    mcpCallMs,
  };
  await prober.cancelTask(task.id, 'query probe done');
}

/** Times one task up to its answer being recorded; `closed` settles when its workflow closes. */
async function runOneTask(side: Side, model: ScriptedModel, config: Config, taskKey: string): Promise<{ sample: TaskSample; closed: Promise<void> }> {
  const { rounds } = config;
  const startedAt = performance.now();
  const task = await side.startTask(formatTaskMessage({ taskKey, scenario: 'echo', rounds }), config.tool);
  // Marks a failed task's rejection as handled here; it is rethrown where `closed` is awaited.
  task.closed.catch(() => undefined);
  const answered = model
    .whenRequested(taskKey, rounds + 1)
    .then(() => new HistoryFollower(side.client, task.workflowId).waitForTimers(1))
    .then(() => 'answered' as const);
  const first = await Promise.race([answered, task.closed.then(() => 'closed' as const)]);
  const answeredAt = performance.now();
  if (first === 'closed') throw new Error(`${side.name} task ${taskKey} closed before its answer was seen.`);
  const arrivals = model.arrivals(taskKey);
  const [firstRequest, lastRequest] = [arrivals[0], arrivals[rounds]];
  if (arrivals.length !== rounds + 1 || firstRequest === undefined || lastRequest === undefined) {
    throw new Error(`${side.name} task ${taskKey} made ${arrivals.length} model requests; ${rounds + 1} were expected.`);
  }
  model.forget(taskKey);
  return {
    sample: {
      workflowId: task.workflowId,
      latencyMs: answeredAt - startedAt,
      firstModelRequestMs: firstRequest - startedAt,
      toolRoundMs: rounds > 0 ? (lastRequest - firstRequest) / rounds : undefined,
      answerRecordedMs: answeredAt - lastRequest,
    },
    closed: task.closed,
  };
}

async function timeRepeatedly(call: () => Promise<unknown>): Promise<Summary> {
  const durations: number[] = [];
  for (let index = 0; index < PROBE_SAMPLES; index += 1) {
    const startedAt = performance.now();
    await call();
    durations.push(performance.now() - startedAt);
  }
  return summarize(durations);
}

/** Medians of one side's tasks in one configuration. */
function summarizeSide(samples: readonly TaskSample[], rounds: number) {
  const timings = samples.flatMap((sample) => (sample.timings ? [sample.timings] : []));
  const histories = samples.flatMap((sample) => (sample.history ? [sample.history] : []));
  const medianOf = <T>(items: readonly T[], pick: (item: T) => number | undefined): number =>
    median(items.flatMap((item) => (pick(item) === undefined ? [] : [pick(item)!])));
  // In the measured window: the first workflow task, then one after each activity.
  const perStep = (pick: (timing: HistoryTimings) => number, steps: number): number =>
    steps === 0 ? Number.NaN : medianOf(timings, (timing) => pick(timing) / steps);
  const meanOf = (sum: (timing: HistoryTimings) => number, count: (timing: HistoryTimings) => number): number =>
    medianOf(timings, (timing) => (count(timing) === 0 ? undefined : sum(timing) / count(timing)));
  return {
    latencyMs: summarize(samples.map((sample) => sample.latencyMs)),
    phasesMs: {
      firstModelRequest: medianOf(samples, (sample) => sample.firstModelRequestMs),
      toolRound: medianOf(samples, (sample) => sample.toolRoundMs),
      answerRecorded: medianOf(samples, (sample) => sample.answerRecordedMs),
    },
    history: {
      events: medianOf(histories, (history) => history.events),
      bytes: medianOf(histories, (history) => history.bytes),
      workflowTasks: medianOf(histories, (history) => history.workflowTasks),
    },
    perStepMs: {
      workflowTaskWait: perStep((timing) => timing.workflowTaskWaitMs, 2 * rounds + 2),
      workflowTaskRun: perStep((timing) => timing.workflowTaskRunMs, 2 * rounds + 2),
      activityWait: perStep((timing) => timing.activityWaitMs, 2 * rounds + 1),
      modelActivityRun: perStep((timing) => timing.modelActivityRunMs, rounds + 1),
      toolActivityRun: perStep((timing) => timing.toolActivityRunMs, rounds),
    },
    pickupMs: {
      first: medianOf(timings, (timing) => timing.firstWorkflowTaskWaitMs),
      sticky: meanOf((timing) => timing.stickyWorkflowTaskWaitMs, (timing) => timing.stickyWorkflowTasks),
      stickyTasks: medianOf(timings, (timing) => timing.stickyWorkflowTasks),
      normalLater: meanOf((timing) => timing.normalWorkflowTaskWaitMs, (timing) => timing.normalWorkflowTasks),
      normalLaterTasks: medianOf(timings, (timing) => timing.normalWorkflowTasks),
    },
  };
}

type SideSummary = ReturnType<typeof summarizeSide>;

function summarizeConfig(run: ConfigRun) {
  const sides = Object.fromEntries(
    Object.entries(run.samples)
      .filter(([, samples]) => samples.length > 0)
      .map(([name, samples]) => [name, summarizeSide(samples, run.config.rounds)]),
  ) as Partial<Record<SideName, SideSummary>>;
  // K model calls and K tool calls, then the final model call.
  const activitiesPerTask = 2 * run.config.rounds + 1;
  const zap = sides.zap;
  const bare = sides.bare;
  return {
    ...run.config,
    label: describeConfig(run.config),
    activitiesPerTask,
    sides,
    ratio: zap && bare ? zap.latencyMs.median / bare.latencyMs.median : Number.NaN,
    overheadPerActivityMs: zap && bare ? (zap.latencyMs.median - bare.latencyMs.median) / activitiesPerTask : Number.NaN,
  };
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const configs = runs.filter((run) => run.samples.zap?.length && run.samples.bare?.length).map(summarizeConfig);
  const ms = (value: number): string => fixed(value, 1);
  const bySide = (make: (config: (typeof configs)[number], side: SideName, summary: SideSummary) => string[]): string[][] =>
    configs.flatMap((config) => Object.entries(config.sides).map(([side, summary]) => make(config, side as SideName, summary)));
  const versus = (value: number, baseline: number | undefined): string => (baseline === undefined ? '' : ratio(value / baseline));
  console.log(`Task latency, ms (start call → final answer recorded in workflow history); zap-agents ${settings.streaming ? 'streams (SSE)' : 'makes plain completions'}`);
  console.log(
    formatTable(
      ['configuration', 'side', 'tasks', 'median', 'p95', 'per tool round', 'start → 1st model request', 'vs bare', 'round vs bare', 'vs zap', 'round vs zap'],
      bySide((config, side, summary) => [
        config.label,
        side,
        String(summary.latencyMs.count),
        ms(summary.latencyMs.median),
        ms(summary.latencyMs.p95),
        ms(summary.phasesMs.toolRound),
        ms(summary.phasesMs.firstModelRequest),
        side === 'bare' ? '' : versus(summary.latencyMs.median, config.sides.bare?.latencyMs.median),
        side === 'bare' ? '' : versus(summary.phasesMs.toolRound, config.sides.bare?.phasesMs.toolRound),
        side === 'zap' || side === 'bare' ? '' : versus(summary.latencyMs.median, config.sides.zap?.latencyMs.median),
        side === 'zap' || side === 'bare' ? '' : versus(summary.phasesMs.toolRound, config.sides.zap?.phasesMs.toolRound),
      ]),
      2,
    ),
  );
  console.log('\nServer-side steps, mean ms per step (history timestamps; medians over tasks)');
  console.log(
    formatTable(
      ['configuration', 'side', 'workflow task wait', 'workflow task run', 'activity wait', 'model activity run', 'tool activity run'],
      bySide((config, side, summary) => [config.label, side, ...Object.values(summary.perStepMs).map(ms)]),
      2,
    ),
  );
  console.log('\nWorkflow-task pickup (scheduled → started), ms: the first task, then later tasks by queue kind (mean per task, medians over tasks)');
  console.log(
    formatTable(
      ['configuration', 'side', 'first', 'sticky', 'sticky tasks', 'normal (later)', 'normal tasks', 'events', 'history bytes', 'workflow tasks'],
      bySide((config, side, { pickupMs, history }) => [
        config.label,
        side,
        ms(pickupMs.first),
        ms(pickupMs.sticky),
        fixed(pickupMs.stickyTasks),
        ms(pickupMs.normalLater),
        fixed(pickupMs.normalLaterTasks),
        fixed(history.events),
        fixed(history.bytes),
        fixed(history.workflowTasks),
      ]),
      2,
    ),
  );
  if (counted) {
    const perTask = counted.perTask;
    const names = Object.keys(perTask) as SideName[];
    console.log(`\nServer work per task, exact (dev server counters, ${COUNTED_TASKS} tasks per side run alone: ${describeConfig(counted.config)})`);
    console.log(formatTable(['counter', ...names], COUNTED_KEYS.map((key) => [key, ...names.map((name) => fixed(perTask[name]?.[key], 1))])));
  }
  if (probe) {
    const probeRows: Array<[string, Summary]> = [
      ['getMessages query, open task', probe.conversationQueryMs],
      ['GetSystemInfo (gRPC floor)', probe.frontendCallMs],
      ...probe.mcpCallMs.map(({ resultBytes, summary }): [string, Summary] => [`McpConnectionPool.callTool, ${formatBytes(resultBytes)} result (MCP floor)`, summary]),
    ];
    console.log('\nDirect probes (the query a model call makes when the conversation is not inline; the MCP call alone)');
    console.log(
      formatTable(
        ['call', 'median ms', 'p95 ms', 'min ms', 'samples'],
        probeRows.map(([label, summary]) => [label, ms(summary.median), ms(summary.p95), ms(summary.min), String(summary.count)]),
      ),
    );
  }
  const summary: SummaryRow[] = [];
  for (const config of configs) {
    const { zap, bare } = config.sides;
    if (!zap || !bare) continue;
    const streaming = settings.streaming ? ', zap-agents streaming' : '';
    summary.push(
      summaryRow(
        {
          benchmark: 'overhead',
          figure: `task latency, ${config.label}`,
          unit: 'ms',
          ratio: config.ratio,
          baseline: 'bare workflow',
          note: `${fixed(config.overheadPerActivityMs, 1)} ms per activity${streaming}`,
        },
        zap.latencyMs,
      ),
    );
    if (config.rounds > 0) {
      summary.push({
        benchmark: 'overhead',
        figure: `per tool round, ${config.label}`,
        unit: 'ms',
        median: zap.phasesMs.toolRound,
        ratio: zap.phasesMs.toolRound / bare.phasesMs.toolRound,
        baseline: 'bare workflow',
        note: `bare ${fixed(bare.phasesMs.toolRound, 1)} ms; tool activity run ${fixed(zap.perStepMs.toolActivityRun, 1)} vs ${fixed(bare.perStepMs.toolActivityRun, 1)} ms; sticky pickup ${fixed(zap.pickupMs.sticky, 1)} vs ${fixed(bare.pickupMs.sticky, 1)} ms`,
      });
    }
    const variants: Array<[SideName, string]> = [
      ['zap (eager start)', 'eager start'],
      ['zap (searchAttributes off)', "searchAttributes 'off'"],
      ['zap (inline 16 KiB)', 'inlineMessageBytes 16 KiB'],
    ];
    // The variants at the tool-round count every tool and spacing share (and eager start at 0 rounds, where it weighs most).
    for (const [name, what] of variants) {
      const variant = config.sides[name];
      if (!variant || (config.rounds !== settings.toolRounds && !(config.rounds === 0 && name === 'zap (eager start)'))) continue;
      summary.push(
        summaryRow(
          {
            benchmark: 'overhead',
            figure: `task latency with ${what}, ${config.label}`,
            unit: 'ms',
            ratio: variant.latencyMs.median / zap.latencyMs.median,
            baseline: 'zap (same run)',
            note: `vs bare ${ratio(variant.latencyMs.median / bare.latencyMs.median)}; first pickup ${fixed(variant.pickupMs.first, 1)} vs ${fixed(zap.pickupMs.first, 1)} ms; per round ${fixed(variant.phasesMs.toolRound, 1)} vs ${fixed(zap.phasesMs.toolRound, 1)} ms`,
          },
          variant.latencyMs,
        ),
      );
    }
  }
  const counts = counted?.perTask;
  if (counted && counts?.zap && counts.bare) {
    const zapCounts = counts.zap;
    const bareCounts = counts.bare;
    const brief = (name: SideName): string => {
      const side = counts[name];
      return side
        ? `${name}: ${fixed(side['persistence:UpdateWorkflowExecution'], 1)} writes, ${fixed(side['rpc:RecordActivityTaskHeartbeat'], 1)} heartbeats, ` +
            `${fixed(side['rpc:QueryWorkflow'], 1)} queries, ${fixed(side['visibility:UpsertWorkflowExecution'], 1)} visibility upserts`
        : '';
    };
    summary.push({
      benchmark: 'overhead',
      figure: `mutable-state writes per task, ${describeConfig(counted.config)}`,
      unit: 'writes',
      median: zapCounts['persistence:UpdateWorkflowExecution'] ?? Number.NaN,
      ratio: (zapCounts['persistence:UpdateWorkflowExecution'] ?? Number.NaN) / (bareCounts['persistence:UpdateWorkflowExecution'] ?? Number.NaN),
      baseline: 'bare workflow',
      note: (Object.keys(counts) as SideName[]).map(brief).join('; '),
    });
  }
  const path = await writeResults('overhead', {
    complete,
    summary,
    settings: { ...settings, warmUpTasks: WARM_UP_TASKS, finalWaitMs: FINAL_WAIT_MS, payloadBytes: PAYLOAD_BYTES },
    configs,
    probes: probe ?? null,
    serverCountsPerTask: counted ?? null,
    samples: runs,
  });
  console.log(`\nJSON: ${path}`);
}

function readList<T extends string>(environment: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T[] {
  const raw = environment[name];
  if (raw === undefined || raw === '') return [...allowed];
  const values = raw.split(',').map((value) => value.trim());
  const unknown = values.filter((value) => !(allowed as readonly string[]).includes(value));
  if (unknown.length > 0) throw new Error(`${name} takes ${allowed.join(', ')} (comma-separated), not ${raw}.`);
  return values as T[];
}

runBenchmark({
  readSettings: (environment) => ({
    tasks: readInteger(environment, 'BENCH_TASKS', 8, 3),
    rounds: readIntegerList(environment, 'BENCH_ROUNDS', [0, 3, 10], [0, 3], 0),
    toolRounds: readInteger(environment, 'BENCH_TOOL_ROUNDS', 3, 3),
    tools: readList(environment, 'BENCH_TOOL', TOOL_KINDS),
    spacings: readList(environment, 'BENCH_SPACING', SPACINGS),
    mcpResultBytes: readIntegerList(environment, 'BENCH_MCP_RESULT_BYTES', [PAYLOAD_BYTES, 8 * 1024]),
    streaming: environment.BENCH_STREAMING === '1',
  }),
  // Under run-all's 9 minutes, so a run on a loaded machine still reports what it measured.
  hardTimeoutMs: () => 8.25 * 60 * 1000,
  main,
  report,
});
