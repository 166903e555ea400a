/**
 * Idle cost: subscribers attached at the end of answered tasks that wait for a follow-up, so
 * nothing happens; counts what each design asks of Temporal (and of the worker) meanwhile.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatStreamingTask } from './streaming-agent';
import { collectArrivals, type Arrival, type StreamingBenchContext } from './streaming-context';
import { readHistoryLength } from './streaming-history';
import { pollTaskEvents, type PollingStatistics } from './polling-subscriber';
import { HISTORY_RPC, QUERY_RPC } from './rpc-counter';
import { summarizeLatency, type IdleRow, type LatencySummary } from './streaming-report';

/** Tool rounds of the tasks started only to be idle. */
const IDLE_TASK_ROUNDS = 1;
/** Answered tasks settle this long before their history length is read (their idle timer starts). */
const SETTLE_MS = 1_000;
/** Longest wait for every subscriber's first query. */
const ATTACH_TIMEOUT_MS = 30_000;
const ATTACH_POLL_INTERVAL_MS = 20;

/** Options of {@link measureIdleCost}. */
export interface IdleCostOptions {
  /** Subscribers per design; each design gets its own tasks. */
  subscribers: number;
  windowMs: number;
  /** Answered, idle tasks that may be reused (e.g. those of the latency phase). */
  answeredTaskIds: readonly string[];
}

/** What the idle phase measured. */
export interface IdleCostResult {
  rows: IdleRow[];
  /** The long-poll design's own statistics, summed over its subscribers' whole lives (setup included). */
  streamLifetimeStatistics: { queries: number; historyRequests: number };
  /** The long-poll design's wire counts of the window, as a check of its statistics. */
  streamWindowWireCounts: { queries: number; historyRequests: number };
  pollingWindowWireCounts: { queries: number; historyRequests: number };
  /** Round trips of the polling subscribers' queries in the window: what their load did to a query. */
  pollingQueryRoundTrip: LatencySummary;
}

/**
 * Attaches `subscribers` long-poll streams and as many polling subscribers (each to its own idle
 * task, `since` = the task's last seq), waits until every one has made its first query, then
 * counts queries and history RPCs over the window, and compares history lengths before and after.
 */
export async function measureIdleCost(context: StreamingBenchContext, options: IdleCostOptions): Promise<IdleCostResult> {
  const { zap, adminClient, pollingClient, streamRpcs, pollingRpcs } = context;
  const taskIds = await prepareIdleTasks(context, 2 * options.subscribers, options.answeredTaskIds);
  const streamTaskIds = taskIds.slice(0, options.subscribers);
  const pollingTaskIds = taskIds.slice(options.subscribers);
  const lastSeqs = new Map(await Promise.all(taskIds.map(async (taskId) => [taskId, (await zap.getTask(taskId)).lastEventSeq] as const)));
  await sleep(SETTLE_MS);
  const lengthsBefore = await readHistoryLengths(context, taskIds);

  const stop = new AbortController();
  const eventsDuringWindow = { stream: 0, polling: 0 };
  let windowOpen = false;
  const countEvent = (design: 'stream' | 'polling') => (): void => {
    if (windowOpen) eventsDuringWindow[design] += 1;
  };
  const streamStatistics = streamTaskIds.map(() => ({ queries: 0, historyRequests: 0 }));
  const pollingStatistics: PollingStatistics[] = pollingTaskIds.map(() => ({ queries: 0, queryMs: [] }));
  const subscriptions: Array<Promise<Arrival[]>> = [
    ...streamTaskIds.map((taskId, index) =>
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
    ...pollingTaskIds.map((taskId, index) =>
      collectArrivals(
        pollTaskEvents({
          client: pollingClient,
          taskId,
          since: lastSeqs.get(taskId) ?? 0,
          signal: stop.signal,
          statistics: pollingStatistics[index]!,
        }),
        countEvent('polling'),
      ),
    ),
  ];
  const settled = Promise.allSettled(subscriptions);
  try {
    await waitUntil(
      () => streamStatistics.every((entry) => entry.queries > 0) && pollingStatistics.every((entry) => entry.queryMs.length > 0),
      ATTACH_TIMEOUT_MS,
    );
    // Let every stream's first long-poll reach the server before the window opens.
    await sleep(SETTLE_MS);

    const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
    const queriesBefore = pollingStatistics.map((entry) => entry.queryMs.length);
    const before = {
      streamQueries: sum(streamStatistics.map((entry) => entry.queries)),
      pollingQueries: sum(pollingStatistics.map((entry) => entry.queries)),
      streamWire: { queries: streamRpcs.count(QUERY_RPC), historyRequests: streamRpcs.count(HISTORY_RPC) },
      pollingWire: { queries: pollingRpcs.count(QUERY_RPC), historyRequests: pollingRpcs.count(HISTORY_RPC) },
    };
    const openedAt = performance.now();
    windowOpen = true;
    await sleep(options.windowMs);
    windowOpen = false;
    const windowMs = performance.now() - openedAt;
    const after = {
      streamQueries: sum(streamStatistics.map((entry) => entry.queries)),
      pollingQueries: sum(pollingStatistics.map((entry) => entry.queries)),
      streamWire: { queries: streamRpcs.count(QUERY_RPC), historyRequests: streamRpcs.count(HISTORY_RPC) },
      pollingWire: { queries: pollingRpcs.count(QUERY_RPC), historyRequests: pollingRpcs.count(HISTORY_RPC) },
    };
    stop.abort();
    const outcomes = await settled;
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    const lengthsAfter = await readHistoryLengths(context, taskIds);

    const perSubscriberPerMinute = (count: number): number => count / options.subscribers / (windowMs / 60_000);
    const added = (ids: readonly string[]): number => sum(ids.map((taskId) => (lengthsAfter.get(taskId) ?? 0) - (lengthsBefore.get(taskId) ?? 0)));
    const streamWindowWireCounts = {
      queries: after.streamWire.queries - before.streamWire.queries,
      historyRequests: after.streamWire.historyRequests - before.streamWire.historyRequests,
    };
    const pollingWindowWireCounts = {
      queries: after.pollingWire.queries - before.pollingWire.queries,
      historyRequests: after.pollingWire.historyRequests - before.pollingWire.historyRequests,
    };
    return {
      rows: [
        {
          design: 'long-poll stream (zap.streamTask)',
          subscribers: options.subscribers,
          windowSeconds: windowMs / 1000,
          queriesPerSubscriberPerMinute: perSubscriberPerMinute(after.streamQueries - before.streamQueries),
          historyRequestsPerSubscriberPerMinute: perSubscriberPerMinute(streamWindowWireCounts.historyRequests),
          historyEventsAdded: added(streamTaskIds),
          eventsDelivered: eventsDuringWindow.stream,
        },
        {
          design: 'query polling every 100 ms (baseline)',
          subscribers: options.subscribers,
          windowSeconds: windowMs / 1000,
          queriesPerSubscriberPerMinute: perSubscriberPerMinute(after.pollingQueries - before.pollingQueries),
          historyRequestsPerSubscriberPerMinute: perSubscriberPerMinute(pollingWindowWireCounts.historyRequests),
          historyEventsAdded: added(pollingTaskIds),
          eventsDelivered: eventsDuringWindow.polling,
        },
      ],
      streamLifetimeStatistics: {
        queries: sum(streamStatistics.map((entry) => entry.queries)),
        historyRequests: sum(streamStatistics.map((entry) => entry.historyRequests)),
      },
      streamWindowWireCounts,
      pollingWindowWireCounts,
      pollingQueryRoundTrip: summarizeLatency(pollingStatistics.flatMap((entry, index) => entry.queryMs.slice(queriesBefore[index]))),
    };
  } finally {
    stop.abort();
    await settled;
  }
}

/** `count` answered, idle task ids: the given ones first, then new one-round tasks, awaited. */
async function prepareIdleTasks(context: StreamingBenchContext, count: number, answered: readonly string[]): Promise<string[]> {
  const reused = answered.slice(0, count);
  const started = await Promise.all(
    Array.from({ length: count - reused.length }, () =>
      context.zap.executeTask({ agentName: context.agentName, task: formatStreamingTask(IDLE_TASK_ROUNDS) }),
    ),
  );
  // A stream of a task ends with its `completed` event: that is the wait for the answer.
  await Promise.all(
    started.map(async (task) => {
      const events = await collectArrivals(context.zap.streamTask({ taskId: task.id, includeTokens: false }));
      if (events.at(-1)?.event.type !== 'completed') throw new Error(`Idle task ${task.id} did not answer.`);
    }),
  );
  return [...reused, ...started.map((task) => task.id)];
}

async function readHistoryLengths(context: StreamingBenchContext, taskIds: readonly string[]): Promise<Map<string, number>> {
  return new Map(await Promise.all(taskIds.map(async (taskId) => [taskId, await readHistoryLength(context.adminClient, taskId)] as const)));
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Subscribers did not attach within ${timeoutMs} ms.`);
    await sleep(ATTACH_POLL_INTERVAL_MS);
  }
}
