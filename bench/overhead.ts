/**
 * Orchestration overhead of zap-agents per task, against a bare Temporal workflow that runs the
 * same activities with the same HTTP calls, in the same run and on the same dev server, so the
 * result is a ratio that survives a noisy, shared machine.
 *
 *   npx tsx bench/overhead.ts            # BENCH_TASKS=20 BENCH_ROUNDS=0,3,10 BENCH_STREAMING=1
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
 * each latency into phases. Both workers run in this process, on bundles built before timing.
 *
 * The bare side makes plain (non-streaming) completions, so by default zap-agents does too: same
 * requests, same payloads. BENCH_STREAMING=1 measures zap-agents with SSE streaming instead.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { getMessagesQuery, type AgentWorkflowResult } from 'zap-agents/workflows';
import { createBareWorkerHost, startBareTask } from './lib/bare-activities';
import type { BareWorkflowResult } from './lib/bare-workflow';
import { BENCH_AGENT, createBenchAgent, createBenchZap, FINAL_WAIT_MS } from './lib/bench-zap';
import { readIntegerList, readInteger, runBenchmark, runWorkerInProcess, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { HistoryFollower, measureHistorySize, measureHistoryTimings, type HistorySize, type HistoryTimings } from './lib/history';
import { fixed, formatTable, ratio, summaryRow, writeResults } from './lib/report';
import { FINAL_ANSWER, formatTaskMessage, PAYLOAD_BYTES, type ScriptedModel } from './lib/scripted-model';
import { median, summarize, type Summary } from './lib/statistics';

/** Unmeasured tasks per side before each configuration. */
const WARM_UP_TASKS = 3;
/** Calls timed by the query probe. */
const PROBE_SAMPLES = 50;

type SideName = 'zap' | 'bare';
const SIDES: readonly SideName[] = ['zap', 'bare'];

interface Settings {
  tasks: number;
  rounds: number[];
  streaming: boolean;
}

/** One side of the comparison: the client its tasks are watched with, and a way to start one. */
interface Side {
  name: SideName;
  client: Client;
  /** Starts a task; `closed` settles when its workflow closes, rejecting unless it gave the scripted answer. */
  startTask(message: string): Promise<{ workflowId: string; closed: Promise<void> }>;
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
  /** From the answer being recorded to the workflow's close (the final timer). Not part of the latency. */
  closeMs: number;
  /** Read once all tasks of the configuration have run: fetching histories is not timed. */
  history?: HistorySize;
  timings?: HistoryTimings;
}

interface ConfigRun {
  rounds: number;
  samples: Record<SideName, TaskSample[]>;
}

const runs: ConfigRun[] = [];
let probe: { conversationQueryMs: Summary; frontendCallMs: Summary } | undefined;

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model, connect } = await startBenchServers(cleanups);
  const [zapBundle, bareBundle] = await Promise.all([writeWorkflowBundle('zap', cleanups), writeWorkflowBundle('bare', cleanups)]);
  const suffix = randomBytes(4).toString('hex');
  const llm = { baseURL: model.baseURL, apiKey: 'bench' };
  const zapQueue = `bench-zap-${suffix}`;
  const bareQueue = `bench-bare-${suffix}`;
  // Tasks stay open for follow-ups until idle this long; the bare workflow sleeps as long.
  const zap = createBenchZap({ taskQueue: zapQueue, temporalAddress: temporal.address, llm, idleTimeout: FINAL_WAIT_MS, streaming: settings.streaming });
  await runWorkerInProcess(zap, zapBundle, cleanups);
  const bareHost = createBareWorkerHost({ temporalAddress: temporal.address, taskQueue: bareQueue, llm, agent: createBenchAgent() });
  await runWorkerInProcess(bareHost, bareBundle, cleanups);
  const bareClient = await connect();

  const expectAnswer = (workflowId: string, answer: unknown): void => {
    if (answer !== FINAL_ANSWER) throw new Error(`Task ${workflowId} answered ${JSON.stringify(answer)}.`);
  };
  const sides: readonly [Side, Side] = [
    {
      name: 'zap',
      client: zap.client,
      startTask: async (message) => {
        const { id } = await zap.executeTask({ agentName: BENCH_AGENT, task: message });
        const closed = zap.client.workflow
          .getHandle(id)
          .result()
          .then((result: AgentWorkflowResult) => expectAnswer(id, result.status === 'completed' ? result.result : result.status));
        return { workflowId: id, closed };
      },
    },
    {
      name: 'bare',
      client: bareClient,
      startTask: async (message) => {
        const workflowId = await startBareTask(bareClient, { taskQueue: bareQueue, message, finalWaitMs: FINAL_WAIT_MS });
        const closed = bareClient.workflow
          .getHandle(workflowId)
          .result()
          .then((result: BareWorkflowResult) => expectAnswer(workflowId, result.answer));
        return { workflowId, closed };
      },
    },
  ];

  for (const rounds of settings.rounds) {
    const run: ConfigRun = { rounds, samples: { zap: [], bare: [] } };
    runs.push(run);
    const startedAt = Date.now();
    // Alternating sides in pairs whose order flips every pair (zap, bare, bare, zap, …), so both see the same drift.
    for (let index = 0; index < WARM_UP_TASKS + settings.tasks; index += 1) {
      for (const side of index % 2 === 0 ? sides : [sides[1], sides[0]]) {
        const sample = await runOneTask(side, model, rounds, `k${rounds}-${side.name}-${index}`);
        if (index >= WARM_UP_TASKS) run.samples[side.name].push(sample);
      }
    }
    for (const side of sides) {
      for (const sample of run.samples[side.name]) {
        const history = await side.client.workflow.getHandle(sample.workflowId).fetchHistory();
        sample.history = measureHistorySize(history);
        sample.timings = measureHistoryTimings(history);
      }
    }
    console.error(`rounds=${rounds}: ${settings.tasks} tasks per side in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  }

  // zap-agents makes one conversation query per model call when the conversation is not inline; time one directly.
  const prober = createBenchZap({ taskQueue: zapQueue, temporalAddress: temporal.address, temporalClient: zap.client, idleTimeout: '5 minutes' });
  await prober.start();
  cleanups.push(() => prober.stop());
  const task = await prober.executeTask({ agentName: BENCH_AGENT, task: formatTaskMessage({ taskKey: 'query-probe', scenario: 'answer' }) });
  await new HistoryFollower(zap.client, task.id).waitForTimers(1);
  const handle = zap.client.workflow.getHandle(task.id);
  probe = {
    conversationQueryMs: await timeRepeatedly(() => handle.query(getMessagesQuery, { from: 2, to: 3 })),
    frontendCallMs: await timeRepeatedly(() => zap.client.workflowService.getSystemInfo({})),
  };
  await prober.cancelTask(task.id, 'query probe done');
}

/** Times one task up to its answer being recorded, then waits (untimed) for its workflow to close. */
async function runOneTask(side: Side, model: ScriptedModel, rounds: number, taskKey: string): Promise<TaskSample> {
  const startedAt = performance.now();
  const task = await side.startTask(formatTaskMessage({ taskKey, scenario: 'echo', rounds }));
  // Marks a failed task's rejection as handled here; it is rethrown by the await below.
  task.closed.catch(() => undefined);
  const answered = model
    .whenRequested(taskKey, rounds + 1)
    .then(() => new HistoryFollower(side.client, task.workflowId).waitForTimers(1))
    .then(() => 'answered' as const);
  const first = await Promise.race([answered, task.closed.then(() => 'closed' as const)]);
  const answeredAt = performance.now();
  if (first === 'closed') throw new Error(`${side.name} task ${taskKey} closed before its answer was seen.`);
  await task.closed;
  const arrivals = model.arrivals(taskKey);
  const [firstRequest, lastRequest] = [arrivals[0], arrivals[rounds]];
  if (arrivals.length !== rounds + 1 || firstRequest === undefined || lastRequest === undefined) {
    throw new Error(`${side.name} task ${taskKey} made ${arrivals.length} model requests; ${rounds + 1} were expected.`);
  }
  model.forget(taskKey);
  return {
    workflowId: task.workflowId,
    latencyMs: answeredAt - startedAt,
    firstModelRequestMs: firstRequest - startedAt,
    toolRoundMs: rounds > 0 ? (lastRequest - firstRequest) / rounds : undefined,
    answerRecordedMs: answeredAt - lastRequest,
    closeMs: performance.now() - answeredAt,
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
  return {
    latencyMs: summarize(samples.map((sample) => sample.latencyMs)),
    phasesMs: {
      firstModelRequest: medianOf(samples, (sample) => sample.firstModelRequestMs),
      toolRound: medianOf(samples, (sample) => sample.toolRoundMs),
      answerRecorded: medianOf(samples, (sample) => sample.answerRecordedMs),
      close: medianOf(samples, (sample) => sample.closeMs),
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
  };
}

function summarizeConfig(run: ConfigRun) {
  // K model calls and K tool calls, then the final model call.
  const activitiesPerTask = 2 * run.rounds + 1;
  const zap = summarizeSide(run.samples.zap, run.rounds);
  const bare = summarizeSide(run.samples.bare, run.rounds);
  return {
    rounds: run.rounds,
    activitiesPerTask,
    zap,
    bare,
    ratio: zap.latencyMs.median / bare.latencyMs.median,
    overheadPerActivityMs: (zap.latencyMs.median - bare.latencyMs.median) / activitiesPerTask,
  };
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const configs = runs.filter((run) => run.samples.zap.length > 0 && run.samples.bare.length > 0).map(summarizeConfig);
  const ms = (value: number): string => fixed(value, 1);
  const bySide = <T>(make: (config: (typeof configs)[number], side: SideName) => T): T[] =>
    configs.flatMap((config) => SIDES.map((side) => make(config, side)));
  console.log(`Task latency, ms (start call → final answer recorded in workflow history); zap-agents ${settings.streaming ? 'streams (SSE)' : 'makes plain completions'}`);
  console.log(
    formatTable(
      ['tool rounds', 'activities', 'tasks z/b', 'zap median', 'zap p95', 'zap min–max', 'bare median', 'bare p95', 'zap/bare', 'overhead/activity'],
      configs.map((config) => [
        String(config.rounds),
        String(config.activitiesPerTask),
        `${config.zap.latencyMs.count}/${config.bare.latencyMs.count}`,
        ms(config.zap.latencyMs.median),
        ms(config.zap.latencyMs.p95),
        `${fixed(config.zap.latencyMs.min)}–${fixed(config.zap.latencyMs.max)}`,
        ms(config.bare.latencyMs.median),
        ms(config.bare.latencyMs.p95),
        ratio(config.ratio),
        `${ms(config.overheadPerActivityMs)} ms`,
      ]),
    ),
  );
  console.log('\nWhere the time goes, medians in ms (phases bounded by the model requests the scripted server saw)');
  console.log(
    formatTable(
      ['tool rounds', 'side', 'start → 1st model request', 'per tool round', 'last model request → answer recorded', '(untimed) → closed'],
      bySide((config, side) => [String(config.rounds), side, ...Object.values(config[side].phasesMs).map(ms)]),
    ),
  );
  console.log('\nServer-side steps, mean ms per step (history timestamps; medians over tasks)');
  console.log(
    formatTable(
      ['tool rounds', 'side', 'workflow task wait', 'workflow task run', 'activity wait', 'model activity run', 'tool activity run'],
      bySide((config, side) => [String(config.rounds), side, ...Object.values(config[side].perStepMs).map(ms)]),
    ),
  );
  console.log('\nHistory per task (medians)');
  console.log(
    formatTable(
      ['tool rounds', 'side', 'events', 'bytes', 'workflow tasks'],
      bySide((config, side) => [String(config.rounds), side, ...Object.values(config[side].history).map((value) => fixed(value))]),
    ),
  );
  if (probe) {
    const probeRows: Array<[string, Summary]> = [
      ['getMessages query, open task', probe.conversationQueryMs],
      ['GetSystemInfo (gRPC floor)', probe.frontendCallMs],
    ];
    console.log('\nDirect probe (the query zap-agents makes when a model call needs the conversation)');
    console.log(
      formatTable(
        ['call', 'median ms', 'p95 ms', 'min ms', 'samples'],
        probeRows.map(([label, summary]) => [label, ms(summary.median), ms(summary.p95), ms(summary.min), String(summary.count)]),
      ),
    );
  }
  const path = await writeResults('overhead', {
    complete,
    summary: configs.map((config) =>
      summaryRow(
        {
          benchmark: 'overhead',
          figure: `task latency, ${config.rounds} tool round(s)`,
          unit: 'ms',
          ratio: config.ratio,
          baseline: 'bare workflow',
          note: `${fixed(config.overheadPerActivityMs, 1)} ms per activity${settings.streaming ? ', zap-agents streaming' : ''}`,
        },
        config.zap.latencyMs,
      ),
    ),
    settings: { ...settings, warmUpTasks: WARM_UP_TASKS, finalWaitMs: FINAL_WAIT_MS, payloadBytes: PAYLOAD_BYTES },
    configs,
    queryProbe: probe ?? null,
    samples: runs,
  });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment) => ({
    tasks: readInteger(environment, 'BENCH_TASKS', 20, 3),
    rounds: readIntegerList(environment, 'BENCH_ROUNDS', [0, 3, 10], [0, 3], 0),
    streaming: environment.BENCH_STREAMING === '1',
  }),
  hardTimeoutMs: () => 8 * 60 * 1000,
  main,
  report,
});
