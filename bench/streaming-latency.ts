/**
 * Delivery latency: one task at a time, subscribed at once by the long-poll stream
 * (`zap.streamTask`) and by the 100 ms polling baseline, with a bare history long-poll alongside
 * to time the wake-up alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskEvent } from 'zap-agents';
import { formatStreamingTask } from './streaming-agent';
import { collectArrivals, type Arrival, type StreamingBenchContext } from './streaming-context';
import { findRecordedTime, probeHistoryWake, readWorkflowTaskTimes, type WorkflowTaskTimes } from './streaming-history';
import { pollTaskEvents, type PollingStatistics } from './polling-subscriber';

/** How long one task may take before the benchmark gives up on it. */
const TASK_TIMEOUT_MS = 90_000;
/** The history probe keeps listening this long after both subscribers have finished. */
const PROBE_TAIL_MS = 300;

/** One delivered event of one design. */
export interface DeliverySample {
  seq: number;
  type: TaskEvent['type'];
  /** Arrival in the subscriber minus the event's `timestamp` (the workflow clock). */
  latencyMs: number;
  /** Arrival minus the completion time of the workflow task that recorded the event. */
  sinceRecordedMs: number | undefined;
  /** Whether that workflow task was identified exactly (see `findRecordedTime`). */
  exactRecord: boolean;
}

/** What one task measured. */
export interface LatencyTaskResult {
  taskId: string;
  durableEvents: number;
  /** Events recorded before both subscribers had caught up: delivered, not measured. */
  catchUpEvents: number;
  stream: DeliverySample[];
  polling: DeliverySample[];
  /** For each workflow task completion: when the bare history long-poll returned, after it. */
  historyWakeMs: number[];
  /** For each measured event: recorded (workflow task completed) minus its `timestamp`. */
  recordOffsetMs: number[];
  /** Round trips of the baseline's `getEvents` queries during the task. */
  pollingQueryMs: number[];
  /** `Date.now()` when each of those queries was sent. */
  pollingQuerySentMs: number[];
  /** `Date.now()` when both subscribers were started. */
  subscribedMs: number;
  /** How long after `subscribedMs` each design received its first event. */
  firstArrivalAfterMs: { stream: number; polling: number };
  /** The task's workflow tasks (scheduled, started, completed), from history. */
  workflowTasks: WorkflowTaskTimes[];
  streamStatistics: { queries: number; historyRequests: number };
  pollingQueries: number;
}

/**
 * Starts a task with `rounds` tool rounds and subscribes to it with both designs at the same
 * time. Only events recorded after both subscribers had caught up count (the task's first
 * `thinking` event is recorded before anyone can subscribe).
 */
export async function measureLatencyTask(context: StreamingBenchContext, rounds: number): Promise<LatencyTaskResult> {
  const { zap, adminClient, pollingClient, namespace } = context;
  const task = await zap.executeTask({ agentName: context.agentName, task: formatStreamingTask(rounds) });
  const taskId = task.id;
  const timeout = AbortSignal.timeout(TASK_TIMEOUT_MS);

  const probeAbort = new AbortController();
  let probeCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (probeCaughtUp = resolve));
  const probe = probeHistoryWake({ client: adminClient, namespace, taskId, signal: probeAbort.signal, onCaughtUp: probeCaughtUp });
  await Promise.race([caughtUp, probe]);

  const streamStatistics = { queries: 0, historyRequests: 0 };
  const pollingStatistics: PollingStatistics = { queries: 0, queryMs: [], querySentMs: [] };
  let streamArrivals: Arrival[];
  let pollingArrivals: Arrival[];
  const subscribedMs = Date.now();
  try {
    [streamArrivals, pollingArrivals] = await Promise.all([
      collectArrivals(zap.streamTask({ taskId, since: 0, includeTokens: false, statistics: streamStatistics, signal: timeout })),
      collectArrivals(pollTaskEvents({ client: pollingClient, taskId, since: 0, signal: timeout, statistics: pollingStatistics })),
    ]);
    await sleep(PROBE_TAIL_MS);
  } finally {
    probeAbort.abort();
  }
  const historyWakeMs = await probe;
  for (const [design, arrivals] of [['stream', streamArrivals], ['polling', pollingArrivals]] as const) {
    if (arrivals.at(-1)?.event.type !== 'completed') {
      throw new Error(`Task ${taskId}: the ${design} subscriber ended without the completed event (timeout?).`);
    }
  }

  const workflowTasks = await readWorkflowTaskTimes(adminClient, taskId);
  // Both subscribers have answered their first query once each has yielded its first event.
  const caughtUpMs = Math.max(streamArrivals[0]?.arrivedMs ?? 0, pollingArrivals[0]?.arrivedMs ?? 0);
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
  const stream = streamArrivals.filter(isLive).map(toSample);
  const polling = pollingArrivals.filter(isLive).map(toSample);
  const recordOffsetMs = streamArrivals.filter(isLive).flatMap((arrival) => {
    const recorded = findRecordedTime(workflowTasks, arrival.event.timestamp);
    return recorded ? [recorded.recordedMs - Date.parse(arrival.event.timestamp)] : [];
  });
  return {
    taskId,
    durableEvents: streamArrivals.length,
    catchUpEvents: streamArrivals.length - stream.length,
    stream,
    polling,
    historyWakeMs,
    recordOffsetMs,
    pollingQueryMs: pollingStatistics.queryMs,
    pollingQuerySentMs: pollingStatistics.querySentMs,
    subscribedMs,
    firstArrivalAfterMs: {
      stream: (streamArrivals[0]?.arrivedMs ?? Number.NaN) - subscribedMs,
      polling: (pollingArrivals[0]?.arrivedMs ?? Number.NaN) - subscribedMs,
    },
    workflowTasks,
    streamStatistics,
    pollingQueries: pollingStatistics.queries,
  };
}
