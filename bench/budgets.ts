/**
 * What budget checks cost per model call: the same tasks with and without a budget, alternating
 * in one run, on the same dev server, worker and Zap, so the figure is a ratio that survives a
 * noisy, shared machine. Plus the in-process cost of `planBudgetedCall`, the check the model
 * activity runs before each budgeted call.
 *
 *   npx tsx bench/budgets.ts   # BENCH_TASKS=30 BENCH_ROUNDS=4 BENCH_STREAMING=1 BENCH_PLAN_CALLS=20000
 *
 * Each task makes BENCH_ROUNDS `echo` tool rounds, then answers: rounds + 1 model calls, the
 * scripted model answering at once. A budgeted task (`budget: { maxUsd }`, far above what it
 * spends, with a price for the scripted model) makes each model call as a single-attempt activity
 * that the workflow retries, checks the ledger before the call and records the usage after it;
 * the activity bounds the call's worst case (`planBudgetedCall`) and heartbeats it. The other
 * side runs the same tasks on the same Zap (the same prices: both record their cost) without a
 * budget. The sides alternate in pairs whose order flips every pair, so both see the same drift;
 * the figure is the median over pairs of budgeted ÷ unbudgeted (medians and means are printed too).
 *
 * A task is timed as in `overhead.ts`: from the call that starts it to its answer being durably
 * recorded (the idle wait's `TimerStarted`, seen by a history long poll begun when the scripted
 * model sees the task's last request). Its snapshot is then read (the answer, and for a budgeted
 * task the ledger: one model call counted per call made) and it is terminated, untimed, instead
 * of waiting out the dev server's timer latency. Histories are read after all tasks have run,
 * and measured up to the answer (the termination left out).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { temporal } from '@temporalio/proto';
import { Zap, type ChatMessage } from 'zap-agents';
import { planBudgetedCall } from '../src/activities/model-call-budget';
import type { ModelCallBudget } from '../src/core/activity-contracts';
import type { ModelPrice, TaskBudget } from '../src/core/budget';
import type { FunctionToolDefinition } from '../src/core/tool-definition';
import { BENCH_AGENT, BENCH_MODEL, BENCH_SYSTEM_PROMPT, createBenchAgent, echoTool } from './lib/bench-zap';
import { readInteger, runBenchmark, runWorkerInProcess, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { HistoryFollower, measureHistorySize, measureHistoryTimings, type HistorySize, type HistoryTimings } from './lib/history';
import { fixed, formatTable, ratio, summaryRow, writeResults, type SummaryRow } from './lib/report';
import { ECHO_ARGUMENT_TEXT, FINAL_ANSWER, formatTaskMessage, type ScriptedModel } from './lib/scripted-model';
import { median, summarize, type Summary } from './lib/statistics';

/** Unmeasured tasks per side first: connections, JIT and the worker's caches warm up. */
const WARM_UP_TASKS = 3;
/** Answered tasks wait this long for a follow-up: they are terminated long before. */
const IDLE_TIMEOUT = '10 minutes';
/** How long one task may take before the benchmark gives up on it. */
const TASK_TIMEOUT_MS = 60_000;
/** US dollars per million tokens of the scripted model, on both sides. */
const PRICE: ModelPrice = { input: 1, output: 2 };
/** Far above what a task spends (a few thousand tokens): the budget is checked, never reached. */
const BUDGET: TaskBudget = { maxUsd: 10 };
/** The target: budget checks add less than this to a model call's wall time. */
const TARGET_RATIO = 1.05;
/** Messages in the conversation of the `planBudgetedCall` micro-benchmark. */
const PLAN_MESSAGES = 50;
/** Batches of the micro-benchmark: µs per call is the median over batches. */
const PLAN_BATCHES = 11;

type SideName = 'budgeted' | 'unbudgeted';
const SIDES: readonly SideName[] = ['budgeted', 'unbudgeted'];

interface Settings {
  tasks: number;
  rounds: number;
  streaming: boolean;
  planCalls: number;
}

/** One measured task. */
interface TaskSample {
  workflowId: string;
  /** From the call that starts the task to its answer being recorded in workflow history. */
  latencyMs: number;
  /** Read once all tasks have run: fetching histories is not timed. */
  history?: HistorySize & { payloadBytes: number; eventTypes: Record<string, number> };
  timings?: HistoryTimings;
}

/** One case of the micro-benchmark. */
interface PlanCase {
  label: string;
  microsecondsPerCall: Summary;
  promptTokensUpperBound: number;
}

const samples: Record<SideName, TaskSample[]> = { budgeted: [], unbudgeted: [] };
const planCases: PlanCase[] = [];

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  // First, while nothing else of this run is busy: the check itself, in this process.
  planCases.push(...measurePlanBudgetedCall(settings.planCalls));

  const { temporal, model, connect } = await startBenchServers(cleanups);
  const bundle = await writeWorkflowBundle('zap', cleanups);
  const zap = new Zap({
    agents: [createBenchAgent({ streaming: settings.streaming })],
    taskQueue: `bench-budgets-${randomBytes(4).toString('hex')}`,
    temporal: { address: temporal.address },
    temporalClient: await connect(),
    llm: { baseURL: model.baseURL, apiKey: 'bench' },
    prices: { [BENCH_MODEL]: PRICE },
    idleTimeout: IDLE_TIMEOUT,
    logger: { warn: () => undefined },
  });
  await runWorkerInProcess(zap, bundle, cleanups);

  const startedAt = Date.now();
  for (let index = 0; index < WARM_UP_TASKS + settings.tasks; index += 1) {
    for (const side of index % 2 === 0 ? SIDES : [...SIDES].reverse()) {
      const sample = await runOneTask(zap, model, side, settings.rounds, `budgets-${side}-${index}`);
      if (index >= WARM_UP_TASKS) samples[side].push(sample);
    }
  }
  console.error(`${settings.tasks} tasks per side of ${settings.rounds + 1} model calls in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  for (const side of SIDES) {
    for (const sample of samples[side]) {
      const history = answeredPart(await zap.client.workflow.getHandle(sample.workflowId).fetchHistory());
      sample.history = { ...measureHistorySize(history), payloadBytes: measurePayloadBytes(history), eventTypes: countEventTypes(history) };
      sample.timings = measureHistoryTimings(history);
    }
  }
}

/** Times one task up to its answer being recorded; then checks it (untimed) and terminates it. */
async function runOneTask(zap: Zap, model: ScriptedModel, side: SideName, rounds: number, taskKey: string): Promise<TaskSample> {
  const calls = rounds + 1;
  const startedAt = performance.now();
  const { id } = await zap.executeTask({
    agentName: BENCH_AGENT,
    task: formatTaskMessage({ taskKey, scenario: 'echo', rounds }),
    ...(side === 'budgeted' ? { budget: BUDGET } : {}),
  });
  const handle = zap.client.workflow.getHandle(id);
  // Settles when the workflow closes: before its answer, that is a failure (it is terminated afterwards).
  const closed = handle.result().then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  const answered = model
    .whenRequested(taskKey, calls)
    .then(() => new HistoryFollower(zap.client, id).waitForTimers(1, TASK_TIMEOUT_MS))
    .then(() => 'answered' as const);
  const first = await Promise.race([answered, closed]);
  const latencyMs = performance.now() - startedAt;
  if (first === 'closed') throw new Error(`${side} task ${taskKey} closed before its answer: ${(await zap.getTask(id)).error ?? 'no error'}.`);

  const task = await zap.getTask(id);
  if (task.status !== 'completed' || task.result !== FINAL_ANSWER) throw new Error(`${side} task ${taskKey} is ${task.status}: ${JSON.stringify(task.result)}.`);
  if (side === 'budgeted' && task.budget?.spent.modelCalls !== calls) {
    throw new Error(`Budgeted task ${taskKey} counted ${task.budget?.spent.modelCalls} model calls; it made ${calls}.`);
  }
  if (side === 'unbudgeted' && task.budget !== undefined) throw new Error(`Unbudgeted task ${taskKey} has a budget.`);
  if (model.arrivals(taskKey).length !== calls) throw new Error(`${side} task ${taskKey} made ${model.arrivals(taskKey).length} model requests; ${calls} were expected.`);
  await handle.terminate('budgets benchmark: measured');
  await closed;
  model.forget(taskKey);
  return { workflowId: id, latencyMs };
}

/** The history up to the answer: without the termination that ended the run. */
function answeredPart(history: temporal.api.history.v1.IHistory): temporal.api.history.v1.IHistory {
  return { events: (history.events ?? []).filter((event) => !event.workflowExecutionTerminatedEventAttributes) };
}

/** How many events of each type a history has, by type name (`MARKER_RECORDED`, …). */
function countEventTypes(history: temporal.api.history.v1.IHistory): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const name = (temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** The event types whose median count differs between the sides: budgeted minus unbudgeted. */
function eventTypeDifferences(): Record<string, number> {
  const medianCounts = (side: SideName): Record<string, number> => {
    const histories = samples[side].flatMap((sample) => (sample.history ? [sample.history] : []));
    const names = new Set(histories.flatMap((history) => Object.keys(history.eventTypes)));
    return Object.fromEntries([...names].map((name) => [name, median(histories.map((history) => history.eventTypes[name] ?? 0))]));
  };
  const [budgeted, unbudgeted] = [medianCounts('budgeted'), medianCounts('unbudgeted')];
  const differences: Record<string, number> = {};
  for (const name of new Set([...Object.keys(budgeted), ...Object.keys(unbudgeted)])) {
    const difference = (budgeted[name] ?? 0) - (unbudgeted[name] ?? 0);
    if (difference !== 0) differences[name] = difference;
  }
  return differences;
}

/** Bytes of every payload in a history (`data` and metadata values): what the workflow's inputs, results and state weigh. */
function measurePayloadBytes(history: temporal.api.history.v1.IHistory): number {
  let bytes = 0;
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && 'metadata' in record) {
      bytes += record.data.length;
      for (const item of Object.values((record.metadata ?? {}) as Record<string, unknown>)) if (item instanceof Uint8Array) bytes += item.length;
      return;
    }
    for (const item of Object.values(record)) visit(item);
  };
  visit(history.events ?? []);
  return bytes;
}

/**
 * µs per `planBudgetedCall` on a conversation of PLAN_MESSAGES messages (system prompt, task, then
 * tool rounds of the benchmark's own sizes): a later call, bounded by the previous call's reported
 * prompt plus the two messages since (every call after the first), and a first call, bounded by
 * the bytes of the whole request.
 */
function measurePlanBudgetedCall(calls: number): PlanCase[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: BENCH_SYSTEM_PROMPT },
    { role: 'user', content: formatTaskMessage({ taskKey: 'plan', scenario: 'echo', rounds: (PLAN_MESSAGES - 2) / 2 }) },
  ];
  for (let round = 0; messages.length < PLAN_MESSAGES; round += 1) {
    const id = `call_${round}`;
    messages.push(
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: echoTool.name, arguments: JSON.stringify({ text: ECHO_ARGUMENT_TEXT }) } }] },
      { role: 'tool', tool_call_id: id, content: `echo: ${ECHO_ARGUMENT_TEXT}` },
    );
  }
  const tools: FunctionToolDefinition[] = [{ name: echoTool.name, description: echoTool.description, parameters: echoTool.jsonSchema }];
  const maxTokens = createBenchAgent().maxTokens;
  const later: ModelCallBudget = {
    remainingNanoUsd: 5_000_000_000,
    previous: { promptTokens: 6_000, completionTokens: 40, messageCount: PLAN_MESSAGES - 2 },
  };
  const first: ModelCallBudget = { remainingNanoUsd: 5_000_000_000 };
  const cases: Array<[string, ModelCallBudget]> = [
    [`later call (previous usage + 2 new messages), ${PLAN_MESSAGES} messages`, later],
    [`first call (whole request's bytes), ${PLAN_MESSAGES} messages`, first],
  ];
  return cases.map(([label, budget]) => {
    const plan = () => planBudgetedCall({ budget, messages, tools, maxTokens, price: PRICE, model: BENCH_MODEL });
    let sink = 0;
    for (let index = 0; index < Math.min(calls, 2_000); index += 1) sink += plan().maxTokens;
    const perBatch = Math.max(1, Math.floor(calls / PLAN_BATCHES));
    const microseconds: number[] = [];
    for (let batch = 0; batch < PLAN_BATCHES; batch += 1) {
      const startedAt = performance.now();
      for (let index = 0; index < perBatch; index += 1) sink += plan().maxTokens;
      microseconds.push(((performance.now() - startedAt) * 1000) / perBatch);
    }
    if (sink <= 0) throw new Error('planBudgetedCall allowed no completion tokens.');
    return { label, microsecondsPerCall: summarize(microseconds), promptTokensUpperBound: plan().promptTokensUpperBound };
  });
}

/** Medians of one side's tasks, per task and per model call. */
function summarizeSide(side: readonly TaskSample[], calls: number) {
  const histories = side.flatMap((sample) => (sample.history ? [sample.history] : []));
  const timings = side.flatMap((sample) => (sample.timings ? [sample.timings] : []));
  const workflowTasks = median(histories.map((history) => history.workflowTasks));
  return {
    latencyMs: summarize(side.map((sample) => sample.latencyMs)),
    perCallMs: summarize(side.map((sample) => sample.latencyMs / calls)),
    history: {
      events: median(histories.map((history) => history.events)),
      bytes: median(histories.map((history) => history.bytes)),
      payloadBytes: median(histories.map((history) => history.payloadBytes)),
      workflowTasks,
    },
    perStepMs: {
      modelActivityRun: median(timings.map((timing) => timing.modelActivityRunMs / calls)),
      activityWait: median(timings.map((timing) => timing.activityWaitMs / (2 * calls - 1))),
      workflowTaskRun: median(timings.map((timing) => timing.workflowTaskRunMs / Math.max(1, workflowTasks))),
      workflowTaskWait: median(timings.map((timing) => timing.workflowTaskWaitMs / Math.max(1, workflowTasks))),
    },
  };
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const calls = settings.rounds + 1;
  const measured = samples.budgeted.length > 0 && samples.unbudgeted.length > 0;
  const sides = measured ? { budgeted: summarizeSide(samples.budgeted, calls), unbudgeted: summarizeSide(samples.unbudgeted, calls) } : undefined;
  // The tasks of one pair ran back to back: their ratio cancels the machine's drift, which medians
  // of each side alone do not (task times here fall in two or three clusters, and a side's median
  // can land in either).
  const pairs = samples.budgeted.slice(0, samples.unbudgeted.length).map((budgeted, index) => [budgeted.latencyMs, samples.unbudgeted[index]!.latencyMs] as const);
  const perCallRatio = median(pairs.map(([budgeted, unbudgeted]) => budgeted / unbudgeted));
  const addedPerCallMs = median(pairs.map(([budgeted, unbudgeted]) => (budgeted - unbudgeted) / calls));
  const mediansRatio = sides ? sides.budgeted.perCallMs.median / sides.unbudgeted.perCallMs.median : Number.NaN;
  const meansRatio = sides ? sides.budgeted.perCallMs.mean / sides.unbudgeted.perCallMs.mean : Number.NaN;
  const ms = (value: number): string => fixed(value, 1);

  if (sides) {
    console.log(
      `Wall time per model call, ms (start call → answer recorded, ÷ ${calls} model calls; ${settings.rounds} tool rounds; ` +
        `zap-agents ${settings.streaming ? 'streams (SSE)' : 'makes plain completions'})`,
    );
    console.log(
      formatTable(
        ['side', 'tasks', 'per call median', 'p95', 'min–max', 'task median ms', 'median vs baseline'],
        SIDES.map((side) => [
          side === 'budgeted' ? `budget { maxUsd: ${BUDGET.maxUsd} }` : 'no budget (baseline)',
          String(sides[side].perCallMs.count),
          ms(sides[side].perCallMs.median),
          ms(sides[side].perCallMs.p95),
          `${ms(sides[side].perCallMs.min)}–${ms(sides[side].perCallMs.max)}`,
          ms(sides[side].latencyMs.median),
          side === 'budgeted' ? ratio(mediansRatio) : '',
        ]),
      ),
    );
    console.log(
      `Budgeted / unbudgeted, per model call: ${ratio(perCallRatio)} (median over ${pairs.length} back-to-back pairs; ${ms(addedPerCallMs)} ms per call), ` +
        `${ratio(mediansRatio)} (medians), ${ratio(meansRatio)} (means).`,
    );
    console.log(`Target: budget checks add under ${Math.round((TARGET_RATIO - 1) * 100)}% per model call (${ratio(TARGET_RATIO)}); measured ${ratio(perCallRatio)}.`);
    console.log('\nServer-side steps, mean ms per step (history timestamps; medians over tasks)');
    console.log(
      formatTable(
        ['side', 'model activity run', 'activity wait', 'workflow task run', 'workflow task wait'],
        SIDES.map((side) => [side, ...Object.values(sides[side].perStepMs).map(ms)]),
      ),
    );
    console.log('\nHistory per task, up to the answer (medians)');
    console.log(
      formatTable(
        ['side', 'events', 'bytes (protobuf)', 'payload bytes', 'workflow tasks'],
        SIDES.map((side) => [side, ...Object.values(sides[side].history).map((value) => fixed(value))]),
      ),
    );
    const differences = Object.entries(eventTypeDifferences());
    console.log(
      `Events by type, budgeted − unbudgeted (medians): ${differences.length === 0 ? 'none' : differences.map(([name, difference]) => `${name} ${difference > 0 ? '+' : ''}${difference}`).join(', ')}`,
    );
  }
  if (planCases.length > 0) {
    console.log(`\nplanBudgetedCall in process (median over ${PLAN_BATCHES} batches of ${Math.floor(settings.planCalls / PLAN_BATCHES)} calls)`);
    console.log(
      formatTable(
        ['case', 'µs per call', 'min–max µs', 'prompt bound (tokens)', 'share of a call'],
        planCases.map((planCase) => [
          planCase.label,
          fixed(planCase.microsecondsPerCall.median, 2),
          `${fixed(planCase.microsecondsPerCall.min, 2)}–${fixed(planCase.microsecondsPerCall.max, 2)}`,
          String(planCase.promptTokensUpperBound),
          sides ? `${fixed((planCase.microsecondsPerCall.median / 1000 / sides.unbudgeted.perCallMs.median) * 100, 3)}%` : '–',
        ]),
      ),
    );
  }

  const summary: SummaryRow[] = [];
  if (sides) {
    const history = (side: SideName) => sides[side].history;
    summary.push(
      summaryRow(
        {
          benchmark: 'budgets',
          figure: `wall time per model call, budgeted (${calls} calls a task)`,
          unit: 'ms',
          ratio: perCallRatio,
          baseline: 'same tasks, no budget (paired)',
          note:
            `${fixed(addedPerCallMs, 1)} ms per call; history +${fixed(history('budgeted').events - history('unbudgeted').events)} events, ` +
            `+${fixed(history('budgeted').bytes - history('unbudgeted').bytes)} bytes a task`,
        },
        sides.budgeted.perCallMs,
      ),
    );
  }
  const later = planCases[0];
  if (later) {
    summary.push(summaryRow({ benchmark: 'budgets', figure: `planBudgetedCall, ${PLAN_MESSAGES} messages`, unit: 'µs', note: 'later call; in process' }, later.microsecondsPerCall));
  }
  const path = await writeResults('budgets', {
    complete,
    summary,
    settings: { ...settings, warmUpTasks: WARM_UP_TASKS, budget: BUDGET, price: PRICE, planMessages: PLAN_MESSAGES },
    sides: sides ?? null,
    eventTypeDifferences: sides ? eventTypeDifferences() : null,
    perCallRatio,
    addedPerCallMs,
    mediansRatio,
    meansRatio,
    planBudgetedCall: planCases,
    samples,
  });
  console.log(`\nJSON: ${path}`);
}

runBenchmark({
  readSettings: (environment) => ({
    tasks: readInteger(environment, 'BENCH_TASKS', 30, 8, 3),
    rounds: readInteger(environment, 'BENCH_ROUNDS', 4, 4, 0),
    streaming: environment.BENCH_STREAMING === '1',
    planCalls: readInteger(environment, 'BENCH_PLAN_CALLS', 20_000, 5_000, 100),
  }),
  hardTimeoutMs: () => 3 * 60 * 1000,
  main,
  report,
});
