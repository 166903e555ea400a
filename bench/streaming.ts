/**
 * Streaming: how fast a durable event reaches a subscriber in another process, and what an idle
 * subscriber costs, for `zap.streamTask` (a history long-poll as wake-up, then a query for the
 * new events) against a baseline that queries the workflow every 100 ms, in the same run, on the
 * same dev server and worker.
 *
 *   npx tsx bench/streaming.ts   # BENCH_STREAM_TASKS=10 BENCH_STREAM_ALONE_TASKS=5 BENCH_STREAM_ROUNDS=10
 *                                # BENCH_IDLE_SUBSCRIBERS=20 BENCH_IDLE_SECONDS=60 BENCH_WAIT_STEP_MS=150
 *
 * The worker runs in its own process; this process is the subscriber side. Latency of an event =
 * its arrival in the subscriber (`Date.now()` when yielded) − its `timestamp`, which is the
 * workflow clock: the start of the workflow task that emitted it. "Since recorded" measures from
 * the completion of that workflow task instead (from history), the moment the event became
 * durable and queryable. Both clocks are this machine's.
 *
 * Latency is measured twice: "together", both designs subscribed to the same task at the same
 * time, and "alone", each design on its own tasks. The two differ because Temporal buffers only
 * one query per workflow while a workflow task runs (`history.maxBufferedQueryCount`); a second
 * one is refused with RESOURCE_EXHAUSTED, which the client retries after about 1.7 s. Every
 * query attempt is read off the wire (`RpcCounter`) with what the workflow was doing when it was
 * sent.
 *
 * Idle cost: subscribers of each design attach to answered tasks that wait for a follow-up, at
 * their last seq; over the window the benchmark counts queries and history RPCs per subscriber
 * and checks that the tasks' histories did not grow.
 *
 * Streaming cost (`lib/streaming-cost.ts`): what SSE streaming costs per step and in worker CPU
 * per task, streaming on (unwatched, watched in process, watched over NATS; `'when-watched'`) against streaming off
 * and the bare workflow, answers of 200 and 1000 words streamed one chunk per word, and the same
 * sides on the committed code (BENCH_STREAM_BEFORE, a git ref; '' skips them), all in this run.
 *   BENCH_STREAM_COST_TASKS=6 (0 skips the phase) BENCH_STREAM_COST_WORDS=200,1000
 *   BENCH_STREAM_COST_ROUNDS=1 BENCH_STREAM_BEFORE=HEAD BENCH_STREAM_COST_ONLY=1 (skip the other phases)
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { TaskEvent, Zap } from 'zap-agents';
import { getEventsQuery } from 'zap-agents/workflows';
import { createBenchZap, DEFAULT_WAIT_STEP_MS, STREAMING_AGENT } from './lib/bench-zap';
import { readInteger, readIntegerList, runBenchmark, startBenchServers, writeWorkflowBundle, type Cleanups } from './lib/harness';
import { eventTimeMs, readWorkflowTaskTimes, type WorkflowTaskTimes } from './lib/history';
import { fixed, formatTable, writeResults, type SummaryRow } from './lib/report';
import { RpcCounter, HISTORY_RPC, QUERY_RPC } from './lib/rpc-counter';
import { FIRST_ANSWER_DELAY_MS, formatTaskMessage, type ScriptedModel } from './lib/scripted-model';
import { summarize, type Summary } from './lib/statistics';
import { formatStreamingCost, measureStreamingCost, streamingCostRows, type StreamingCostResult, type StreamingCostSettings } from './lib/streaming-cost';
import { startWorkerProcess } from './lib/worker-process';
import { startNatsServer } from '../test/support/nats-server';

/** The baseline's polling interval: what a query-polling design (Zap AI's) does. */
const POLLING_INTERVAL_MS = 100;
/** Answered tasks wait this long for a follow-up, so the idle phase's tasks stay open (and queryable) for the whole window. */
const IDLE_TIMEOUT = '10 minutes';
/** Unmeasured tasks first: connections, JIT and the worker's caches warm up. */
const WARM_UP_ROUNDS = 2;
/** How long one task may take before the benchmark gives up on it. */
const TASK_TIMEOUT_MS = 90_000;
/** The history probe keeps listening this long after the subscribers have finished. */
const PROBE_TAIL_MS = 300;
/** History events per page of the probe's requests. */
const PROBE_PAGE_SIZE = 1000;
/** Answered tasks settle this long before their history length is read (their idle timer starts). */
const SETTLE_MS = 1_000;
/** Longest wait for every idle subscriber's first query. */
const ATTACH_TIMEOUT_MS = 30_000;
/** gRPC status RESOURCE_EXHAUSTED: what a query gets when the workflow's query buffer is full. */
const RESOURCE_EXHAUSTED = 8;
/** Event types after which a request is over (the stream ends there too, without `untilClosed`). */
const FINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['completed', 'error', 'cancelled']);

type Design = 'stream' | 'polling';
/** Both designs subscribed to the same task at the same time, or each design alone on its own tasks. */
type Mode = 'together' | 'alone';
const DESIGNS: readonly Design[] = ['stream', 'polling'];
const MODES: readonly Mode[] = ['together', 'alone'];
const DESIGN_LABELS: Record<Design, string> = { stream: 'long-poll stream (zap.streamTask)', polling: `query polling every ${POLLING_INTERVAL_MS} ms` };

interface Settings {
  /** Tasks with both designs subscribed at once. */
  tasks: number;
  /** Tasks per design with that design subscribed alone. */
  aloneTasks: number;
  rounds: number;
  idleSubscribers: number;
  idleSeconds: number;
  waitStepMs: number;
  cost: StreamingCostSettings;
  /** Only the streaming cost phase. */
  costOnly: boolean;
}

/** The subscriber side: each design subscribes through its own connection, whose RPCs are counted; bookkeeping uses a third. */
interface Subscribers {
  /** Client-side Zap on `clients.stream`: starts tasks and runs `streamTask`. */
  zap: Zap;
  model: ScriptedModel;
  clients: Record<Design | 'admin', Client>;
  rpcs: Record<Design, RpcCounter>;
}

/** What a polling subscriber cost, filled in as it runs. */
interface PollingStatistics {
  queries: number;
  /** Round-trip time of each query, in milliseconds. */
  queryMs: number[];
}

/** An event as a subscriber received it. */
interface Arrival {
  event: TaskEvent;
  /** `Date.now()` in the subscriber when the event was yielded to it. */
  arrivedMs: number;
}

/** One delivered event of one design. */
interface DeliverySample {
  seq: number;
  type: TaskEvent['type'];
  /** Arrival in the subscriber minus the event's `timestamp` (the workflow clock). */
  latencyMs: number;
  /** Arrival minus the completion time of the workflow task that recorded the event. */
  sinceRecordedMs: number | undefined;
  /** Whether that workflow task was identified exactly (see `findRecordedTime`). */
  exactRecord: boolean;
}

type WorkflowTaskState = 'no workflow task' | 'workflow task scheduled' | 'workflow task started';

/** One `getEvents` query attempt of either design, on the wire. */
interface QuerySample {
  design: Design;
  /** Milliseconds after the subscribers were started. */
  sentAfterMs: number;
  durationMs: number;
  state: WorkflowTaskState;
  /** gRPC status code (0 is OK; 8 is RESOURCE_EXHAUSTED) and details of a failed attempt. */
  code: number;
  details?: string;
}

/** What one task measured. */
interface LatencyTaskResult {
  taskId: string;
  designs: Design[];
  durableEvents: number;
  /** Events recorded before every subscriber had caught up: delivered, not measured. */
  catchUpEvents: number;
  samples: Partial<Record<Design, DeliverySample[]>>;
  /** How long after the subscriptions started each design received its first event. */
  firstArrivalAfterMs: Partial<Record<Design, number>>;
  /** For each workflow task completion: when the bare history long-poll returned, after it. */
  historyWakeMs: number[];
  /** For each measured event: recorded (workflow task completed) minus its `timestamp`. */
  recordOffsetMs: number[];
  queries: QuerySample[];
  /** What `zap.streamTask` reported about itself, and the queries the polling subscriber made. */
  streamStatistics?: { queries: number; historyRequests: number };
  pollingQueries?: number;
}

/** What an idle subscriber cost over the window, per design. */
interface IdleRow {
  design: string;
  subscribers: number;
  windowSeconds: number;
  queriesPerSubscriberPerMinute: number;
  historyRequestsPerSubscriberPerMinute: number;
  /** Events added to the subscribed tasks' histories during the window (nothing happened, so 0 is right). */
  historyEventsAdded: number;
  /** Events the subscribers received during the window (0 is right too). */
  eventsDelivered: number;
}

interface IdleCostResult {
  rows: IdleRow[];
  /** The long-poll design's own statistics over its subscribers' whole lives (setup included). */
  streamLifetimeStatistics: { queries: number; historyRequests: number };
  /** Wire counts of the window, as a check of the statistics. */
  windowWireCounts: Record<Design, { queries: number; historyRequests: number }>;
  /** Round trips of the polling subscribers' queries in the window: what their load did to a query. */
  pollingQueryRoundTrip: Summary;
}

const latencyTasks: LatencyTaskResult[] = [];
let idle: IdleCostResult | undefined;
let cost: StreamingCostResult | undefined;
let taskCounter = 0;

async function main(settings: Settings, cleanups: Cleanups): Promise<void> {
  const { temporal, model, connect } = await startBenchServers(cleanups);
  const bundle = await writeWorkflowBundle('zap', cleanups);
  if (settings.cost.tasks > 0) {
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const bareBundle = await writeWorkflowBundle('bare', cleanups);
    cost = await measureStreamingCost({
      settings: settings.cost,
      temporalAddress: temporal.address,
      client: await connect(),
      model,
      natsUrl: nats.url,
      zapBundlePath: bundle.path,
      bareBundlePath: bareBundle.path,
      cleanups,
    });
  }
  if (settings.costOnly) return;
  const taskQueue = `bench-streaming-${randomBytes(4).toString('hex')}`;
  const worker = await startWorkerProcess({
    taskQueue,
    temporalAddress: temporal.address,
    llmBaseURL: model.baseURL,
    workflowBundlePath: bundle.path,
    environment: { BENCH_WAIT_STEP_MS: String(settings.waitStepMs) },
  });
  cleanups.push(() => worker.stop());
  console.error(`worker process ${worker.pid} is polling ${taskQueue}`);

  const rpcs: Subscribers['rpcs'] = { stream: new RpcCounter(), polling: new RpcCounter() };
  const clients: Subscribers['clients'] = {
    stream: await connect({ interceptors: rpcs.stream.interceptors() }),
    polling: await connect({ interceptors: rpcs.polling.interceptors() }),
    admin: await connect(),
  };
  const zap = createBenchZap({ taskQueue, temporalAddress: temporal.address, temporalClient: clients.stream, idleTimeout: IDLE_TIMEOUT });
  await zap.start();
  cleanups.push(() => zap.stop());
  const subscribers: Subscribers = { zap, model, clients, rpcs };

  await measureLatencyTask(subscribers, WARM_UP_ROUNDS, DESIGNS);
  const startedAt = Date.now();
  // Interleaved, so that noise from a shared machine falls on every mode alike.
  for (let index = 0; index < Math.max(settings.tasks, settings.aloneTasks); index += 1) {
    if (index < settings.tasks) latencyTasks.push(await measureLatencyTask(subscribers, settings.rounds, DESIGNS));
    for (const design of index < settings.aloneTasks ? DESIGNS : []) latencyTasks.push(await measureLatencyTask(subscribers, settings.rounds, [design]));
  }
  console.error(`latency: ${latencyTasks.length} tasks in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  console.error(`idle: ${settings.idleSubscribers} subscribers per design for ${settings.idleSeconds} s`);
  idle = await measureIdleCost(subscribers, settings.idleSubscribers, settings.idleSeconds * 1000);
}

/** Starts a task of `rounds` tool rounds; resolves with its id once the server has it. */
async function startTask(subscribers: Subscribers, rounds: number): Promise<{ taskId: string; taskKey: string }> {
  taskCounter += 1;
  const taskKey = `streaming-${taskCounter}`;
  const task = await subscribers.zap.executeTask({ agentName: STREAMING_AGENT, task: formatTaskMessage({ taskKey, scenario: 'steps', rounds }) });
  return { taskId: task.id, taskKey };
}

/**
 * Starts a task with `rounds` tool rounds and subscribes to it with `designs`, all at the same
 * time, with a bare history long-poll alongside to time the wake-up alone. Only events recorded
 * after every subscriber had caught up count (the task's first events are recorded before anyone
 * can subscribe).
 */
async function measureLatencyTask(subscribers: Subscribers, rounds: number, designs: readonly Design[]): Promise<LatencyTaskResult> {
  const { zap, clients, rpcs } = subscribers;
  const { taskId, taskKey } = await startTask(subscribers, rounds);
  const timeout = AbortSignal.timeout(TASK_TIMEOUT_MS);
  const probeAbort = new AbortController();
  let probeCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (probeCaughtUp = resolve));
  const probe = probeHistoryWake(clients.admin, taskId, probeAbort.signal, probeCaughtUp);
  await Promise.race([caughtUp, probe]);

  const streamStatistics = { queries: 0, historyRequests: 0 };
  const pollingStatistics: PollingStatistics = { queries: 0, queryMs: [] };
  const subscribe = (design: Design): AsyncIterable<TaskEvent> =>
    design === 'stream'
      ? zap.streamTask({ taskId, since: 0, includeTokens: false, statistics: streamStatistics, signal: timeout })
      : pollTaskEvents(clients.polling, taskId, 0, timeout, pollingStatistics);
  const subscribedMs = Date.now();
  let arrivals: Array<[Design, Arrival[]]>;
  try {
    arrivals = await Promise.all(designs.map(async (design) => [design, await collectArrivals(subscribe(design))] as [Design, Arrival[]]));
    await sleep(PROBE_TAIL_MS);
  } finally {
    probeAbort.abort();
  }
  const historyWakeMs = await probe;
  subscribers.model.forget(taskKey);
  for (const [design, received] of arrivals) {
    if (received.at(-1)?.event.type !== 'completed') throw new Error(`Task ${taskId}: the ${design} subscriber ended without the completed event (timeout?).`);
  }

  const workflowTasks = readWorkflowTaskTimes(await clients.admin.workflow.getHandle(taskId).fetchHistory());
  // A subscriber has answered its first query once it has yielded its first event.
  const caughtUpMs = Math.max(...arrivals.map(([, received]) => received[0]?.arrivedMs ?? 0));
  const isLive = (arrival: Arrival): boolean => Date.parse(arrival.event.timestamp) >= caughtUpMs;
  const toSample = (arrival: Arrival): DeliverySample => {
    const recorded = findRecordedTime(workflowTasks, arrival.event.timestamp);
    return {
      seq: arrival.event.seq,
      type: arrival.event.type,
      latencyMs: arrival.arrivedMs - Date.parse(arrival.event.timestamp),
      sinceRecordedMs: recorded === undefined ? undefined : arrival.arrivedMs - recorded.recordedMs,
      exactRecord: recorded?.exact ?? false,
    };
  };
  const reference = arrivals[0]?.[1] ?? [];
  const live = reference.filter(isLive);
  return {
    taskId,
    designs: [...designs],
    durableEvents: reference.length,
    catchUpEvents: reference.length - live.length,
    samples: Object.fromEntries(arrivals.map(([design, received]) => [design, received.filter(isLive).map(toSample)])),
    firstArrivalAfterMs: Object.fromEntries(arrivals.map(([design, received]) => [design, (received[0]?.arrivedMs ?? Number.NaN) - subscribedMs])),
    historyWakeMs,
    recordOffsetMs: live.flatMap((arrival) => {
      const recorded = findRecordedTime(workflowTasks, arrival.event.timestamp);
      return recorded ? [recorded.recordedMs - Date.parse(arrival.event.timestamp)] : [];
    }),
    queries: designs.flatMap((design) =>
      rpcs[design].callsSince(QUERY_RPC, subscribedMs).map(({ sentMs, durationMs, code, details }) => ({
        design,
        sentAfterMs: sentMs - subscribedMs,
        durationMs,
        state: workflowTaskState(workflowTasks, sentMs),
        code,
        ...(details === undefined ? {} : { details }),
      })),
    ),
    ...(designs.includes('stream') ? { streamStatistics } : {}),
    ...(designs.includes('polling') ? { pollingQueries: pollingStatistics.queries } : {}),
  };
}

/** Whether a workflow task was pending (scheduled, or started and not completed) at `atMs`. */
function workflowTaskState(workflowTasks: readonly WorkflowTaskTimes[], atMs: number): WorkflowTaskState {
  for (const task of workflowTasks) {
    if (task.startedMs <= atMs && atMs < task.completedMs) return 'workflow task started';
    if (task.scheduledMs <= atMs && atMs < task.startedMs) return 'workflow task scheduled';
  }
  return 'no workflow task';
}

/**
 * When the workflow task that produced an event (with this ISO `timestamp`) completed, i.e. when
 * the event became durable and visible to queries; `exact` when a workflow task started at the
 * event's timestamp (the workflow clock is that task's start), else the first one completed after it.
 */
function findRecordedTime(tasks: readonly WorkflowTaskTimes[], timestamp: string): { recordedMs: number; exact: boolean } | undefined {
  const eventMs = Date.parse(timestamp);
  const exact = tasks.find((task) => Math.floor(task.startedMs) === eventMs);
  if (exact) return { recordedMs: exact.completedMs, exact: true };
  const after = tasks.find((task) => task.completedMs >= eventMs);
  return after ? { recordedMs: after.completedMs, exact: false } : undefined;
}

/**
 * Long-polls the task's history the way the stream's watcher does, and for every workflow task
 * completion that arrives live, notes how long after its recording (its event time) the poll
 * returned. Resolves with those delays once `signal` aborts or the run closes.
 */
async function probeHistoryWake(client: Client, taskId: string, signal: AbortSignal, onCaughtUp: () => void): Promise<number[]> {
  const delays: number[] = [];
  let nextPageToken: Uint8Array | undefined;
  let caughtUp = false;
  try {
    while (!signal.aborted) {
      const response = await client.withAbortSignal(signal, () =>
        client.workflowService.getWorkflowExecutionHistory({
          namespace: client.options.namespace,
          execution: { workflowId: taskId },
          waitNewEvent: true,
          nextPageToken,
          maximumPageSize: PROBE_PAGE_SIZE,
        }),
      );
      const arrivedMs = Date.now();
      const events = response.history?.events ?? [];
      if (caughtUp) {
        for (const event of events) if (event.workflowTaskCompletedEventAttributes) delays.push(arrivedMs - eventTimeMs(event));
      } else if (events.length < PROBE_PAGE_SIZE) {
        caughtUp = true;
        onCaughtUp();
      }
      if (!response.nextPageToken?.length) break;
      nextPageToken = response.nextPageToken;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return delays;
}

/**
 * Attaches `count` long-poll streams and as many polling subscribers (each to its own answered,
 * idle task, `since` = the task's last seq), waits until every one has made its first query, then
 * counts queries and history RPCs over the window, and compares history lengths before and after.
 */
async function measureIdleCost(subscribers: Subscribers, count: number, windowMs: number): Promise<IdleCostResult> {
  const { zap, clients, rpcs } = subscribers;
  const taskIds = await prepareIdleTasks(subscribers, 2 * count);
  const idsOf: Record<Design, string[]> = { stream: taskIds.slice(0, count), polling: taskIds.slice(count) };
  const lastSeqs = new Map(await Promise.all(taskIds.map(async (taskId) => [taskId, (await zap.getTask(taskId)).lastEventSeq] as const)));
  await sleep(SETTLE_MS);
  const historyLengths = async (): Promise<Map<string, number>> =>
    new Map(
      await Promise.all(taskIds.map(async (taskId) => [taskId, (await clients.admin.workflow.getHandle(taskId).describe()).historyLength] as const)),
    );
  const lengthsBefore = await historyLengths();

  const stop = new AbortController();
  const delivered: Record<Design, number> = { stream: 0, polling: 0 };
  let windowOpen = false;
  const streamStatistics = idsOf.stream.map(() => ({ queries: 0, historyRequests: 0 }));
  const pollingStatistics: PollingStatistics[] = idsOf.polling.map(() => ({ queries: 0, queryMs: [] }));
  const countEvent = (design: Design) => (): void => {
    if (windowOpen) delivered[design] += 1;
  };
  const settled = Promise.allSettled([
    ...idsOf.stream.map((taskId, index) =>
      collectArrivals(
        zap.streamTask({
          taskId,
          since: lastSeqs.get(taskId),
          includeTokens: false,
          untilClosed: true,
          statistics: streamStatistics[index],
          signal: stop.signal,
        }),
        countEvent('stream'),
      ),
    ),
    ...idsOf.polling.map((taskId, index) =>
      collectArrivals(pollTaskEvents(clients.polling, taskId, lastSeqs.get(taskId) ?? 0, stop.signal, pollingStatistics[index]!), countEvent('polling')),
    ),
  ]);
  try {
    const attachDeadline = Date.now() + ATTACH_TIMEOUT_MS;
    while (!(streamStatistics.every((entry) => entry.queries > 0) && pollingStatistics.every((entry) => entry.queryMs.length > 0))) {
      if (Date.now() > attachDeadline) throw new Error(`Subscribers did not attach within ${ATTACH_TIMEOUT_MS} ms.`);
      await sleep(20);
    }
    // Let every stream's first long-poll reach the server before the window opens.
    await sleep(SETTLE_MS);
    const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
    const wireCounts = (design: Design) => ({ queries: rpcs[design].count(QUERY_RPC), historyRequests: rpcs[design].count(HISTORY_RPC) });
    const counts = () => ({
      streamQueries: sum(streamStatistics.map((entry) => entry.queries)),
      pollingQueries: sum(pollingStatistics.map((entry) => entry.queries)),
      wire: { stream: wireCounts('stream'), polling: wireCounts('polling') },
    });
    const queriesBefore = pollingStatistics.map((entry) => entry.queryMs.length);
    const before = counts();
    const openedAt = performance.now();
    windowOpen = true;
    await sleep(windowMs);
    windowOpen = false;
    const measuredMs = performance.now() - openedAt;
    const after = counts();
    stop.abort();
    const failure = (await settled).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    const lengthsAfter = await historyLengths();

    const perMinute = (value: number): number => value / count / (measuredMs / 60_000);
    const inWindow = (design: Design) => ({
      queries: after.wire[design].queries - before.wire[design].queries,
      historyRequests: after.wire[design].historyRequests - before.wire[design].historyRequests,
    });
    const windowWireCounts = { stream: inWindow('stream'), polling: inWindow('polling') };
    const row = (design: Design, queries: number): IdleRow => ({
      design: `${DESIGN_LABELS[design]}${design === 'polling' ? ' (baseline)' : ''}`,
      subscribers: count,
      windowSeconds: measuredMs / 1000,
      queriesPerSubscriberPerMinute: perMinute(queries),
      historyRequestsPerSubscriberPerMinute: perMinute(windowWireCounts[design].historyRequests),
      historyEventsAdded: sum(idsOf[design].map((taskId) => (lengthsAfter.get(taskId) ?? 0) - (lengthsBefore.get(taskId) ?? 0))),
      eventsDelivered: delivered[design],
    });
    return {
      rows: [row('stream', after.streamQueries - before.streamQueries), row('polling', after.pollingQueries - before.pollingQueries)],
      streamLifetimeStatistics: { queries: after.streamQueries, historyRequests: sum(streamStatistics.map((entry) => entry.historyRequests)) },
      windowWireCounts,
      pollingQueryRoundTrip: summarize(pollingStatistics.flatMap((entry, index) => entry.queryMs.slice(queriesBefore[index]))),
    };
  } finally {
    stop.abort();
    await settled;
  }
}

/** `count` answered, idle tasks: those of the latency phase first, then new one-round tasks, awaited. */
async function prepareIdleTasks(subscribers: Subscribers, count: number): Promise<string[]> {
  const reused = latencyTasks.slice(0, count).map((task) => task.taskId);
  const started = await Promise.all(Array.from({ length: count - reused.length }, () => startTask(subscribers, 1)));
  // A stream of a task ends with its `completed` event: that is the wait for the answer.
  await Promise.all(
    started.map(async ({ taskId, taskKey }) => {
      const events = await collectArrivals(subscribers.zap.streamTask({ taskId, includeTokens: false }));
      if (events.at(-1)?.event.type !== 'completed') throw new Error(`Idle task ${taskId} did not answer.`);
      subscribers.model.forget(taskKey);
    }),
  );
  return [...reused, ...started.map((task) => task.taskId)];
}

/**
 * The baseline subscriber: queries the workflow for the events after `since` every
 * POLLING_INTERVAL_MS (at a fixed rate: a slow query shortens the pause after it), whether or not
 * anything happened. Ends after the request's final event, when the task closes, or on abort.
 */
async function* pollTaskEvents(
  client: Client,
  taskId: string,
  since: number,
  signal: AbortSignal,
  statistics: PollingStatistics,
): AsyncGenerator<TaskEvent> {
  const handle = client.workflow.getHandle(taskId);
  while (!signal.aborted) {
    const startedAt = performance.now();
    statistics.queries += 1;
    const result = await handle.query(getEventsQuery, since);
    statistics.queryMs.push(performance.now() - startedAt);
    for (const event of result.events) {
      if (event.seq <= since) continue;
      since = event.seq;
      yield event;
      if (FINAL_EVENT_TYPES.has(event.type) || signal.aborted) return;
    }
    if (result.closed) return;
    const aborted = await sleep(Math.max(0, POLLING_INTERVAL_MS - (performance.now() - startedAt)), false, { signal }).catch(() => true);
    if (aborted) return;
  }
}

/** Consumes a subscription, noting when each event arrived; `onEvent` sees each as it comes. */
async function collectArrivals(stream: AsyncIterable<TaskEvent>, onEvent?: (arrival: Arrival) => void): Promise<Arrival[]> {
  const arrivals: Arrival[] = [];
  for await (const event of stream) {
    const arrival = { event, arrivedMs: Date.now() };
    arrivals.push(arrival);
    onEvent?.(arrival);
  }
  return arrivals;
}

/** The latency tasks of one mode: both designs on each task, or one design alone. */
function tasksOf(mode: Mode): LatencyTaskResult[] {
  return latencyTasks.filter((task) => (mode === 'together') === (task.designs.length > 1));
}

function summarizeRun() {
  const delivery = (mode: Mode, design: Design) => {
    const samples = tasksOf(mode).flatMap((task) => task.samples[design] ?? []);
    return {
      sinceTimestamp: summarize(samples.map((sample) => sample.latencyMs)),
      sinceRecorded: summarize(samples.flatMap((sample) => (sample.sinceRecordedMs === undefined ? [] : [sample.sinceRecordedMs]))),
    };
  };
  const all = latencyTasks.flatMap((task) => DESIGNS.flatMap((design) => task.samples[design] ?? []));
  const queryLoad = MODES.flatMap((mode) =>
    DESIGNS.map((design) => {
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
        roundTrip: summarize(queries.filter((query) => query.code === 0).map((query) => query.durationMs)),
      };
    }),
  );
  return {
    delivery: {
      together: { stream: delivery('together', 'stream'), polling: delivery('together', 'polling') },
      alone: { stream: delivery('alone', 'stream'), polling: delivery('alone', 'polling') },
    },
    streamFirstShare: shareFaster(tasksOf('together')),
    parts: {
      recordOffset: summarize(latencyTasks.flatMap((task) => task.recordOffsetMs)),
      historyWake: summarize(latencyTasks.flatMap((task) => task.historyWakeMs)),
      queryRoundTripWithoutWorkflowTask: summarize(
        latencyTasks.flatMap((task) => task.queries.filter((query) => query.code === 0 && query.state === 'no workflow task').map((query) => query.durationMs)),
      ),
    },
    queryLoad,
    recordedTimeMatches: { exact: all.filter((sample) => sample.exactRecord).length, total: all.length },
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

/** One row per label: p50/p90/p99/max in milliseconds, the sample size. */
function formatLatencyTable(firstColumn: string, rows: ReadonlyArray<[string, Summary]>): string {
  const ms = (value: number): string => fixed(value, 1);
  return formatTable(
    [firstColumn, 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'samples'],
    rows.map(([label, summary]) => [label, ms(summary.median), ms(summary.p90), ms(summary.p99), ms(summary.max), String(summary.count)]),
  );
}

/** The tables of the latency and idle phases. */
function printLatencyAndIdle(settings: Settings, summary: ReturnType<typeof summarizeRun>): void {
  const deliveryRows = (field: 'sinceTimestamp' | 'sinceRecorded'): Array<[string, Summary]> =>
    MODES.flatMap((mode) => DESIGNS.map((design): [string, Summary] => [`${DESIGN_LABELS[design]}, ${mode}`, summary.delivery[mode][design][field]]));
  console.log(
    `\nDelivery latency: tasks of ${settings.rounds} tool rounds (${latencyTasks[0]?.durableEvents ?? '?'} durable events each; wait_step ${settings.waitStepMs} ms), ` +
      `worker in another process. "together": ${tasksOf('together').length} tasks, both designs subscribed to each at the same time; ` +
      `"alone": ${tasksOf('alone').length} tasks, one design each (alternating). Events recorded before the subscribers had caught up are left out.\n`,
  );
  console.log('Arrival − event timestamp (the workflow clock: start of the workflow task that emitted the event)');
  console.log(formatLatencyTable('design', deliveryRows('sinceTimestamp')));
  console.log('\nArrival − recorded (WorkflowTaskCompleted of that workflow task, from history)');
  console.log(formatLatencyTable('design', deliveryRows('sinceRecorded')));
  console.log(
    `(recording workflow task found exactly for ${summary.recordedTimeMatches.exact}/${summary.recordedTimeMatches.total} events; ` +
      `together, the stream delivered first for ${fixed(summary.streamFirstShare * 100)}% of events)`,
  );
  console.log('\nWhere the time goes');
  console.log(
    formatLatencyTable('part', [
      ['event timestamp → recorded (workflow task start → completed)', summary.parts.recordOffset],
      ['recorded → bare history long-poll returns (the wake-up alone)', summary.parts.historyWake],
      ['getEvents query round trip, no workflow task pending', summary.parts.queryRoundTripWithoutWorkflowTask],
    ]),
  );
  console.log('\ngetEvents queries on the wire during the latency tasks (every attempt; refused ones are retried by the client after ~1.7 s)');
  console.log(
    formatTable(
      ['design', 'queries/task', 'sent during a workflow task', 'refused (buffer full)', 'OK p50 ms', 'OK p99 ms', 'OK max ms'],
      summary.queryLoad.map((row) => [
        row.label,
        row.tasks === 0 ? '–' : fixed(row.attempts / row.tasks, 1),
        row.attempts === 0 ? '–' : `${row.sentDuringWorkflowTask} (${fixed((100 * row.sentDuringWorkflowTask) / row.attempts)}%)`,
        String(row.refused),
        fixed(row.roundTrip.median, 1),
        fixed(row.roundTrip.p99, 1),
        fixed(row.roundTrip.max, 1),
      ]),
    ),
  );
  if (idle) {
    console.log(`\nIdle cost: subscribers attached at the end of answered tasks waiting for a follow-up (idle timeout ${IDLE_TIMEOUT})`);
    console.log(
      formatTable(
        ['design', 'subscribers', 'window s', 'queries/sub/min', 'history RPCs/sub/min', 'history events added', 'events delivered'],
        idle.rows.map((row) => [
          row.design,
          String(row.subscribers),
          fixed(row.windowSeconds, 1),
          fixed(row.queriesPerSubscriberPerMinute, 2),
          fixed(row.historyRequestsPerSubscriberPerMinute, 2),
          String(row.historyEventsAdded),
          String(row.eventsDelivered),
        ]),
      ),
    );
    console.log(
      `(long-poll window on the wire: ${idle.windowWireCounts.stream.queries} queries, ${idle.windowWireCounts.stream.historyRequests} history RPCs; ` +
        `its statistics over the subscriptions' whole lives, setup included: ${idle.streamLifetimeStatistics.queries} queries, ` +
        `${idle.streamLifetimeStatistics.historyRequests} history RPCs; polling query round trip under its own load: ` +
        `p50 ${fixed(idle.pollingQueryRoundTrip.median, 1)} ms, p99 ${fixed(idle.pollingQueryRoundTrip.p99, 1)} ms)`,
    );
  }
}

async function report(settings: Settings, complete: boolean): Promise<void> {
  const summary = summarizeRun();
  if (!settings.costOnly) printLatencyAndIdle(settings, summary);
  if (cost) console.log(`\n${formatStreamingCost(cost)}`);
  const path = await writeResults('streaming', {
    complete,
    summary: [...summaryRows(summary.delivery), ...(cost ? streamingCostRows(cost) : [])],
    cost: cost ?? null,
    settings: { ...settings, pollingIntervalMs: POLLING_INTERVAL_MS, firstAnswerDelayMs: FIRST_ANSWER_DELAY_MS, idleTimeout: IDLE_TIMEOUT },
    latency: summary,
    idle: idle ?? null,
    samples: latencyTasks,
  });
  console.log(`\nJSON: ${path}`);
}

function summaryRows(delivery: ReturnType<typeof summarizeRun>['delivery']): SummaryRow[] {
  const rows: SummaryRow[] = MODES.filter((mode) => delivery[mode].stream.sinceRecorded.count > 0).map((mode) => {
    const stream = delivery[mode].stream.sinceRecorded;
    const polling = delivery[mode].polling.sinceRecorded;
    return {
      benchmark: 'streaming',
      figure: `event delivery after it is recorded, ${mode}`,
      unit: 'ms',
      median: stream.median,
      p95: stream.p95,
      min: stream.min,
      max: stream.max,
      ratio: stream.median / polling.median,
      baseline: `query polling every ${POLLING_INTERVAL_MS} ms: p50 ${fixed(polling.median)}`,
      note: `p90 ${fixed(stream.p90)}, p99 ${fixed(stream.p99)}`,
    };
  });
  const [stream, polling] = idle?.rows ?? [];
  if (stream && polling) {
    rows.push({
      benchmark: 'streaming',
      figure: 'idle subscriber: queries per minute',
      unit: 'queries/min',
      median: stream.queriesPerSubscriberPerMinute,
      baseline: `polling: ${fixed(polling.queriesPerSubscriberPerMinute)}`,
      note: `${fixed(stream.historyRequestsPerSubscriberPerMinute, 1)} history long polls/min; ${stream.historyEventsAdded} history events added`,
    });
  }
  return rows;
}

runBenchmark({
  readSettings: (environment) => ({
    tasks: readInteger(environment, 'BENCH_STREAM_TASKS', 10, 2),
    aloneTasks: readInteger(environment, 'BENCH_STREAM_ALONE_TASKS', 5, 1, 0),
    rounds: readInteger(environment, 'BENCH_STREAM_ROUNDS', 10, 3),
    idleSubscribers: readInteger(environment, 'BENCH_IDLE_SUBSCRIBERS', 20, 3),
    idleSeconds: readInteger(environment, 'BENCH_IDLE_SECONDS', 60, 5),
    waitStepMs: readInteger(environment, 'BENCH_WAIT_STEP_MS', DEFAULT_WAIT_STEP_MS, DEFAULT_WAIT_STEP_MS, 0),
    cost: {
      tasks: readInteger(environment, 'BENCH_STREAM_COST_TASKS', 6, 2, 0),
      words: readIntegerList(environment, 'BENCH_STREAM_COST_WORDS', [200, 1000]),
      rounds: readInteger(environment, 'BENCH_STREAM_COST_ROUNDS', 1, 1, 0),
      beforeRef: environment.BENCH_STREAM_BEFORE ?? 'HEAD',
    },
    costOnly: environment.BENCH_STREAM_COST_ONLY === '1',
  }),
  hardTimeoutMs: () => 12 * 60 * 1000,
  main,
  report,
});
