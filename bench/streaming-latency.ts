/**
 * Delivery latency: one task at a time, subscribed by the long-poll stream (`zap.streamTask`),
 * by the 100 ms polling baseline, or by both at once, with a bare history long-poll alongside to
 * time the wake-up alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskEvent } from 'zap-agents';
import { formatStreamingTask } from './streaming-agent';
import { collectArrivals, type Arrival, type StreamingBenchContext } from './streaming-context';
import { findRecordedTime, probeHistoryWake, readWorkflowTaskTimes, type WorkflowTaskTimes } from './streaming-history';
import { pollTaskEvents, type PollingStatistics } from './polling-subscriber';
import { QUERY_RPC, type RpcCounter } from './rpc-counter';

/** How long one task may take before the benchmark gives up on it. */
const TASK_TIMEOUT_MS = 90_000;
/** The history probe keeps listening this long after the subscribers have finished. */
const PROBE_TAIL_MS = 300;

/** The two subscriber designs. */
export type Design = 'stream' | 'polling';

/** What a workflow was doing when a query was sent. */
export type WorkflowTaskState = 'no workflow task' | 'workflow task scheduled' | 'workflow task started';

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

/** One `getEvents` query attempt of either design, on the wire. */
export interface QuerySample {
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
export interface LatencyTaskResult {
  taskId: string;
  /** The designs that subscribed to this task (at the same time). */
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
  /** Every query attempt of the subscribers (from the wire), with the workflow's state when sent. */
  queries: QuerySample[];
  /** The task's workflow tasks (scheduled, started, completed), from history. */
  workflowTasks: WorkflowTaskTimes[];
  /** What `zap.streamTask` reported about itself. */
  streamStatistics?: { queries: number; historyRequests: number };
  /** Queries the polling subscriber made (successful calls; retries are on the wire only). */
  pollingQueries?: number;
}

/**
 * Starts a task with `rounds` tool rounds and subscribes to it with `designs`, all at the same
 * time. Only events recorded after every subscriber had caught up count (the task's first
 * `thinking` event is recorded before anyone can subscribe).
 */
export async function measureLatencyTask(context: StreamingBenchContext, rounds: number, designs: readonly Design[]): Promise<LatencyTaskResult> {
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
  const pollingStatistics: PollingStatistics = { queries: 0, queryMs: [] };
  const subscribe = (design: Design): Promise<Arrival[]> =>
    design === 'stream'
      ? collectArrivals(zap.streamTask({ taskId, since: 0, includeTokens: false, statistics: streamStatistics, signal: timeout }))
      : collectArrivals(pollTaskEvents({ client: pollingClient, taskId, since: 0, signal: timeout, statistics: pollingStatistics }));
  const subscribedMs = Date.now();
  let arrivals: Array<[Design, Arrival[]]>;
  try {
    arrivals = await Promise.all(designs.map(async (design) => [design, await subscribe(design)] as [Design, Arrival[]]));
    await sleep(PROBE_TAIL_MS);
  } finally {
    probeAbort.abort();
  }
  const historyWakeMs = await probe;
  for (const [design, received] of arrivals) {
    if (received.at(-1)?.event.type !== 'completed') {
      throw new Error(`Task ${taskId}: the ${design} subscriber ended without the completed event (timeout?).`);
    }
  }

  const workflowTasks = await readWorkflowTaskTimes(adminClient, taskId);
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
  const counters: Record<Design, RpcCounter> = { stream: context.streamRpcs, polling: context.pollingRpcs };
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
      counters[design].callsSince(QUERY_RPC, subscribedMs).map(({ sentMs, durationMs, code, details }) => ({
        design,
        sentAfterMs: sentMs - subscribedMs,
        durationMs,
        state: workflowTaskState(workflowTasks, sentMs),
        code,
        ...(details === undefined ? {} : { details }),
      })),
    ),
    workflowTasks,
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
