/** What a workflow's history says: its size, where its time went, and events as they are written. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Stop following after this long without the awaited event. */
const DEFAULT_WAIT_TIMEOUT_MS = 120_000;

/** How much a workflow run left in Temporal's history. */
export interface HistorySize {
  events: number;
  /** Size of the history encoded as protobuf, the form the server stores and ships to workers. */
  bytes: number;
  /** Workflow tasks completed: round trips between the server and the workflow code. */
  workflowTasks: number;
}

/** Measures a history fetched with `handle.fetchHistory()`. */
export function measureHistorySize(history: History): HistorySize {
  const events = history.events ?? [];
  return {
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    workflowTasks: events.filter((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
  };
}

/** Where a task's time went, from the server's timestamps, summed over the events before its first timer. */
export interface HistoryTimings {
  /** Workflow tasks, scheduled → started: waiting for the worker to take them. */
  workflowTaskWaitMs: number;
  /** Workflow tasks, started → completed: the worker running the workflow code and replying. */
  workflowTaskRunMs: number;
  /** Activities, scheduled → started: waiting for the worker to take them. */
  activityWaitMs: number;
  /** Model activities (`invokeModel`, `invokeModelWithinBudget` of a budgeted task, the baseline's `callModel`), started → completed. */
  modelActivityRunMs: number;
  /** Every other activity (the tool calls), started → completed. */
  toolActivityRunMs: number;
  /** Workflow task pickup (scheduled → started) split by when and where: the run's first task. */
  firstWorkflowTaskWaitMs: number;
  /** Later workflow tasks scheduled on the worker's sticky queue: their summed wait, and how many. */
  stickyWorkflowTaskWaitMs: number;
  stickyWorkflowTasks: number;
  /** Later workflow tasks scheduled on the normal queue (no sticky worker, or sticky timed out). */
  normalWorkflowTaskWaitMs: number;
  normalWorkflowTasks: number;
}

const MODEL_ACTIVITY_TYPES = new Set(['invokeModel', 'invokeModelWithinBudget', 'callModel']);

/** Sums the phases of a history up to its first `TimerStarted` (the answer is recorded by then). */
export function measureHistoryTimings(history: History): HistoryTimings {
  const timings: HistoryTimings = {
    workflowTaskWaitMs: 0,
    workflowTaskRunMs: 0,
    activityWaitMs: 0,
    modelActivityRunMs: 0,
    toolActivityRunMs: 0,
    firstWorkflowTaskWaitMs: 0,
    stickyWorkflowTaskWaitMs: 0,
    stickyWorkflowTasks: 0,
    normalWorkflowTaskWaitMs: 0,
    normalWorkflowTasks: 0,
  };
  const times = new Map<number, number>();
  const stickyScheduled = new Set<number>();
  let firstSeen = false;
  const activityTypes = new Map<number, string>();
  for (const event of history.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_TIMER_STARTED) break;
    const time = eventTimeMs(event);
    times.set(Number(event.eventId), time);
    const since = (id: unknown): number => time - (times.get(Number(id)) ?? time);
    const scheduled = event.workflowTaskScheduledEventAttributes;
    if (scheduled?.taskQueue?.kind === temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY) stickyScheduled.add(Number(event.eventId));
    if (event.workflowTaskStartedEventAttributes) {
      const scheduledId = Number(event.workflowTaskStartedEventAttributes.scheduledEventId);
      const wait = since(scheduledId);
      timings.workflowTaskWaitMs += wait;
      if (!firstSeen) {
        firstSeen = true;
        timings.firstWorkflowTaskWaitMs += wait;
      } else if (stickyScheduled.has(scheduledId)) {
        timings.stickyWorkflowTaskWaitMs += wait;
        timings.stickyWorkflowTasks += 1;
      } else {
        timings.normalWorkflowTaskWaitMs += wait;
        timings.normalWorkflowTasks += 1;
      }
    }
    if (event.workflowTaskCompletedEventAttributes) timings.workflowTaskRunMs += since(event.workflowTaskCompletedEventAttributes.startedEventId);
    if (event.activityTaskScheduledEventAttributes) {
      activityTypes.set(Number(event.eventId), event.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    }
    if (event.activityTaskStartedEventAttributes) timings.activityWaitMs += since(event.activityTaskStartedEventAttributes.scheduledEventId);
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const isModel = MODEL_ACTIVITY_TYPES.has(activityTypes.get(Number(completed.scheduledEventId)) ?? '');
      timings[isModel ? 'modelActivityRunMs' : 'toolActivityRunMs'] += since(completed.startedEventId);
    }
  }
  return timings;
}

/** One workflow task of a run: when it was scheduled, started (the workflow's clock) and completed. */
export interface WorkflowTaskTimes {
  scheduledMs: number;
  startedMs: number;
  completedMs: number;
}

/** The completed workflow tasks of a history, in order. */
export function readWorkflowTaskTimes(history: History): WorkflowTaskTimes[] {
  const times = new Map<number, number>();
  const tasks: WorkflowTaskTimes[] = [];
  for (const event of history.events ?? []) {
    times.set(Number(event.eventId), eventTimeMs(event));
    const completed = event.workflowTaskCompletedEventAttributes;
    const scheduledMs = times.get(Number(completed?.scheduledEventId));
    const startedMs = times.get(Number(completed?.startedEventId));
    if (scheduledMs !== undefined && startedMs !== undefined) tasks.push({ scheduledMs, startedMs, completedMs: eventTimeMs(event) });
  }
  return tasks;
}

/**
 * Reads one workflow run's history as it grows, each event once: the page token of the previous
 * read continues where it stopped, and a read past the end is a long poll that returns when new
 * events are written. So waiting for "the Nth timer started" costs one call per batch of new
 * events, without re-reading the history or asking the worker anything. Both benchmarked
 * workflows start a timer in the workflow task that records an answer (zap-agents' idle wait, the
 * bare workflow's sleep), so `waitForTimers(n)` is "the nth answer is durably recorded".
 *
 * With `measureSize` it also keeps the size the history has when encoded as one
 * `temporal.api.history.v1.History` message, event by event: a repeated field costs one tag
 * byte, the length as a varint, and the event itself.
 */
export class HistoryFollower {
  /** Events read so far. */
  events = 0;
  /** Encoded size of the history read so far, in bytes (with `measureSize`). */
  bytes = 0;
  /** Set once the run has continued as new: the next run's id. */
  continuedAsNewRunId: string | undefined;
  /** The server's own count of the history's size, from the latest `WorkflowTaskStarted`. */
  serverHistoryBytes = 0;
  /** Message of the latest `WorkflowTaskFailed` read (a workflow task the worker could not complete). */
  workflowTaskFailure: string | undefined;
  /** Events read when a `WorkflowTaskStarted` first carried Temporal's suggestion to continue as new. */
  continueAsNewSuggestedAtEvent: number | undefined;
  private readonly counts = new Map<number, number>();
  private nextPageToken: Uint8Array | undefined;
  private closed = false;

  constructor(
    private readonly client: Client,
    readonly workflowId: string,
    private readonly options: { runId?: string; measureSize?: boolean } = {},
  ) {}

  /** How many events of this type have been read. */
  count(type: temporal.api.enums.v1.EventType): number {
    return this.counts.get(type) ?? 0;
  }

  /** Whether the run has closed (continued as new, completed, failed, terminated …). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once `count` `TimerStarted` events have been read. */
  waitForTimers(count: number, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<void> {
    return this.waitFor(() => this.count(EventType.EVENT_TYPE_TIMER_STARTED) >= count, `${count} timer(s) started`, timeoutMs);
  }

  /** Reads new events until `done()` holds; rejects when the run closes first or after `timeoutMs`. */
  async waitFor(done: () => boolean, what: string, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.closed) throw new Error(`Workflow ${this.workflowId} closed before ${what}.`);
      if (Date.now() > deadline) throw new Error(`Workflow ${this.workflowId}: no ${what} after ${timeoutMs} ms.`);
      await this.readMore();
    }
  }

  /** One read: the rest of the current page, or a long poll for new events. */
  private async readMore(): Promise<void> {
    const response = await this.client.workflowService.getWorkflowExecutionHistory({
      namespace: this.client.options.namespace,
      execution: { workflowId: this.workflowId, ...(this.options.runId ? { runId: this.options.runId } : {}) },
      waitNewEvent: true,
      nextPageToken: this.nextPageToken,
      skipArchival: true,
    });
    for (const event of response.history?.events ?? []) this.add(event);
    if (!response.nextPageToken?.length) this.closed = true;
    else this.nextPageToken = response.nextPageToken;
  }

  private add(event: HistoryEvent): void {
    if (this.options.measureSize) {
      const length = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
      this.bytes += 1 + varintLength(length) + length;
    }
    this.events += 1;
    const type = event.eventType ?? 0;
    this.counts.set(type, this.count(type) + 1);
    const started = event.workflowTaskStartedEventAttributes;
    if (started) {
      this.serverHistoryBytes = Number(started.historySizeBytes ?? 0);
      if (started.suggestContinueAsNew && this.continueAsNewSuggestedAtEvent === undefined) this.continueAsNewSuggestedAtEvent = this.events;
    }
    if (event.workflowTaskFailedEventAttributes) {
      this.workflowTaskFailure = event.workflowTaskFailedEventAttributes.failure?.message ?? 'workflow task failed';
    }
    if (event.workflowExecutionContinuedAsNewEventAttributes) {
      this.continuedAsNewRunId = event.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? undefined;
    }
  }
}

/** When the server wrote an event, in (fractional) milliseconds since the epoch. */
export function eventTimeMs(event: HistoryEvent): number {
  const time = event.eventTime;
  return time ? Number(String(time.seconds ?? 0)) * 1000 + (time.nanos ?? 0) / 1e6 : Number.NaN;
}

function varintLength(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes += 1;
  return bytes;
}
