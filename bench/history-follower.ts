import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Stop following after this long without the awaited event. */
const DEFAULT_WAIT_TIMEOUT_MS = 120_000;

/**
 * Reads one workflow run's history as it grows, each event once: the page token of the previous
 * read continues where it stopped, and a read past the end is a long poll that returns when new
 * events are written. So waiting for "the Nth timer started" costs one call per batch of new
 * events, without re-reading the history or asking the worker anything.
 *
 * It also keeps the size the history has when encoded as one `temporal.api.history.v1.History`
 * message (what `fetchHistory()` returns and `History.encode(...)` measures), computed event by
 * event: a repeated field costs one tag byte, the length as a varint, and the event itself.
 */
export class HistoryFollower {
  /** Events read so far. */
  events = 0;
  /** Encoded size of the history read so far, in bytes. */
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
    readonly runId?: string,
  ) {}

  /** How many events of this type have been read. */
  count(type: temporal.api.enums.v1.EventType): number {
    return this.counts.get(type) ?? 0;
  }

  /** Whether the run has closed (continued as new, completed, failed, terminated …). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once `count` `TimerStarted` events have been read (a zap-agents task starts one per answer, waiting for a follow-up). */
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
      execution: { workflowId: this.workflowId, ...(this.runId ? { runId: this.runId } : {}) },
      waitNewEvent: true,
      nextPageToken: this.nextPageToken,
      skipArchival: true,
    });
    for (const event of response.history?.events ?? []) this.add(event);
    if (!response.nextPageToken?.length) this.closed = true;
    else this.nextPageToken = response.nextPageToken;
  }

  private add(event: HistoryEvent): void {
    const length = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
    this.bytes += 1 + varintLength(length) + length;
    this.events += 1;
    const type = event.eventType ?? 0;
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
      const attributes = event.workflowTaskStartedEventAttributes;
      this.serverHistoryBytes = Number(attributes?.historySizeBytes ?? 0);
      if (attributes?.suggestContinueAsNew && this.continueAsNewSuggestedAtEvent === undefined) this.continueAsNewSuggestedAtEvent = this.events;
    }
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
      this.workflowTaskFailure = event.workflowTaskFailedEventAttributes?.failure?.message ?? 'workflow task failed';
    }
    if (type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) {
      this.continuedAsNewRunId = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
  }
}

function varintLength(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes += 1;
  return bytes;
}
