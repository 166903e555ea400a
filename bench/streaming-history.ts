/**
 * What the workflow history says about when events were recorded, and how fast a bare history
 * long-poll learns about it (the wake-up half of the long-poll design, without its query).
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** History events per page of the probe's requests. */
const PAGE_SIZE = 1000;

/** A protobuf timestamp in (fractional) milliseconds since the epoch. */
function timestampToMs(timestamp: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  if (!timestamp) return Number.NaN;
  return Number(String(timestamp.seconds ?? 0)) * 1000 + (timestamp.nanos ?? 0) / 1e6;
}

/** One workflow task of a run: when it was scheduled, started (the workflow's clock) and completed. */
export interface WorkflowTaskTimes {
  scheduledMs: number;
  startedMs: number;
  completedMs: number;
}

/** When each workflow task of the task's workflow started and completed, in history order. */
export async function readWorkflowTaskTimes(client: Client, taskId: string): Promise<WorkflowTaskTimes[]> {
  const history = await client.workflow.getHandle(taskId).fetchHistory();
  const eventTimes = new Map<string, number>();
  const times: WorkflowTaskTimes[] = [];
  for (const event of history.events ?? []) {
    eventTimes.set(String(event.eventId), timestampToMs(event.eventTime));
    const completed = event.workflowTaskCompletedEventAttributes;
    if (!completed) continue;
    const scheduledMs = eventTimes.get(String(completed.scheduledEventId));
    const startedMs = eventTimes.get(String(completed.startedEventId));
    if (scheduledMs !== undefined && startedMs !== undefined) {
      times.push({ scheduledMs, startedMs, completedMs: timestampToMs(event.eventTime) });
    }
  }
  return times;
}

/** When an event was durably recorded, and whether its workflow task was found exactly. */
export interface RecordedTime {
  recordedMs: number;
  /**
   * True when a workflow task started at the event's timestamp (the workflow clock is that
   * task's start time); false when the first task completed at or after it was taken instead.
   */
  exact: boolean;
}

/**
 * The time the workflow task that produced an event (with this ISO `timestamp`) completed, i.e.
 * when the event became durable and visible to queries. Undefined when history has no such task.
 */
export function findRecordedTime(times: readonly WorkflowTaskTimes[], timestamp: string): RecordedTime | undefined {
  const eventMs = Date.parse(timestamp);
  const exact = times.find((task) => Math.floor(task.startedMs) === eventMs);
  if (exact) return { recordedMs: exact.completedMs, exact: true };
  const after = times.find((task) => task.completedMs >= eventMs);
  return after ? { recordedMs: after.completedMs, exact: false } : undefined;
}

/** Current number of events in the task's workflow history. */
export async function readHistoryLength(client: Client, taskId: string): Promise<number> {
  return (await client.workflow.getHandle(taskId).describe()).historyLength;
}

/** Options of {@link probeHistoryWake}. */
export interface HistoryWakeProbeOptions {
  client: Client;
  namespace: string;
  taskId: string;
  /** Ends the probe. */
  signal: AbortSignal;
  /** Resolved once the probe has read the existing history and waits for new events. */
  onCaughtUp?: () => void;
}

/**
 * Long-polls the task's history the way the stream's watcher does, and for every workflow task
 * completion that arrives live, notes how long after its recording (its event time) the poll
 * returned. Resolves with those delays, in milliseconds, once `signal` aborts or the run closes.
 */
export async function probeHistoryWake(options: HistoryWakeProbeOptions): Promise<number[]> {
  const { client, namespace, taskId, signal } = options;
  const delays: number[] = [];
  let nextPageToken: Uint8Array | undefined;
  let caughtUp = false;
  try {
    while (!signal.aborted) {
      const response = await client.withAbortSignal(signal, () =>
        client.workflowService.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId: taskId },
          waitNewEvent: true,
          nextPageToken,
          maximumPageSize: PAGE_SIZE,
        }),
      );
      const arrivedMs = Date.now();
      const events: HistoryEvent[] = response.history?.events ?? [];
      if (caughtUp) {
        for (const event of events) {
          if (event.workflowTaskCompletedEventAttributes) delays.push(arrivedMs - timestampToMs(event.eventTime));
        }
      } else if (events.length < PAGE_SIZE) {
        caughtUp = true;
        options.onCaughtUp?.();
      }
      if (!response.nextPageToken || response.nextPageToken.length === 0) break;
      nextPageToken = response.nextPageToken;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return delays;
}
