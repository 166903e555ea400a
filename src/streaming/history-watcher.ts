import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { isDeadlineExceeded } from '../core/deadline-exceeded';

/** History events per page; a shorter page means the watcher has read everything that exists. */
const HISTORY_PAGE_SIZE = 1000;
/**
 * Deadline of one long-poll, retries included. The server answers a long-poll within about 20 s
 * even when nothing happens, so this bounds only a call whose retries outlive their caller: the
 * gRPC retry interceptor keeps retrying a failed call after its abort signal fired, and a
 * deadline (shared by all retries) is what ends them.
 */
const LONG_POLL_DEADLINE_MS = 60_000;

/** Counters of what a watcher cost, for benchmarks and tests. */
export interface HistoryWatcherStatistics {
  /** History RPCs made (each long-poll counts once). */
  historyRequests: number;
  /** Times the history changed and waiters were woken. */
  changes: number;
}

/**
 * Wakes a stream consumer when a task's workflow history grows, without polling the workflow:
 * it long-polls `GetWorkflowExecutionHistory(waitNewEvent)`, which the server answers as soon as
 * events are appended (or empty after its long-poll interval). It follows continue-as-new to the
 * next run. Reading history never adds to it, so idle subscribers cost one pending RPC each.
 */
export class HistoryWatcher {
  readonly statistics: HistoryWatcherStatistics = { historyRequests: 0, changes: 0 };
  /** Aborts the long-poll in flight; one per request, so no listener outlives its request. */
  private request: AbortController | undefined;
  private version = 0;
  private waiters: Array<() => void> = [];
  private closed = false;
  private finished = false;
  private failure: unknown;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly namespace: string,
    private readonly workflowId: string,
  ) {}

  /** Starts long-polling; resolves once the watcher has caught up with the existing history. */
  async start(): Promise<void> {
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    this.loop = this.followHistory(caughtUp).catch((error: unknown) => {
      if (!this.closed) this.failure = error;
    }).finally(() => {
      this.finished = true;
      caughtUp();
      this.wakeWaiters();
    });
    await ready;
  }

  /** A number that grows each time history changes. */
  currentVersion(): number {
    return this.version;
  }

  /**
   * Resolves when history has changed since `version` (at once if it already has), when every
   * run has closed, or when `signal` aborts.
   */
  async waitForChange(version: number, signal?: AbortSignal): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.version !== version || this.finished || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const onAbort = (): void => resolve();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
    if (this.failure) throw this.failure;
  }

  /** True once the workflow's last run has closed (nothing more will happen). */
  hasFinished(): boolean {
    return this.finished;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.request?.abort();
    this.wakeWaiters();
    await this.loop;
  }

  private async followHistory(caughtUp: () => void): Promise<void> {
    let runId: string | undefined;
    let nextPageToken: Uint8Array | undefined;
    let isCaughtUp = false;
    while (!this.closed) {
      this.statistics.historyRequests += 1;
      let response: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;
      try {
        response = await this.withRequestSignal(() =>
          this.client.workflowService.getWorkflowExecutionHistory({
            namespace: this.namespace,
            execution: { workflowId: this.workflowId, runId },
            waitNewEvent: true,
            nextPageToken,
            maximumPageSize: HISTORY_PAGE_SIZE,
          }),
        );
      } catch (error) {
        // A long-poll past its deadline found nothing new: poll again.
        if (!this.closed && isDeadlineExceeded(error)) continue;
        throw error;
      }
      const events = response.history?.events ?? [];
      // Workflow state (and so the event log) changes only when a workflow task completes: waking
      // on other events (a task scheduled or started, an activity started) would query the
      // workflow mid-step, where Temporal holds one query per workflow and refuses the next.
      if (isCaughtUp && events.some(changesWorkflowState)) this.recordChange();
      if (!isCaughtUp && events.length < HISTORY_PAGE_SIZE) {
        // A page shorter than the page size is the end of what exists: from here on, responses
        // come back only when something new happens.
        isCaughtUp = true;
        caughtUp();
      }
      if (response.nextPageToken && response.nextPageToken.length > 0) {
        nextPageToken = response.nextPageToken;
        continue;
      }
      // No token: this run has closed. Follow a continue-as-new to the next run.
      const nextRunId = lastContinuedAsNewRun(events) ?? (await this.findNewerRun(runId));
      if (nextRunId === undefined) return;
      runId = nextRunId;
      nextPageToken = undefined;
      this.recordChange();
    }
  }

  /** The latest run's id when it is still running and differs from `runId`. */
  private async findNewerRun(runId: string | undefined): Promise<string | undefined> {
    const description = await this.withRequestSignal(() => this.client.workflow.getHandle(this.workflowId).describe());
    if (description.status.name !== 'RUNNING' || description.runId === runId) return undefined;
    return description.runId;
  }

  /** Runs one RPC that `close()` can abort, with a signal of its own, under a deadline. */
  private async withRequestSignal<T>(request: () => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.request = controller;
    if (this.closed) controller.abort();
    try {
      const deadline = Date.now() + LONG_POLL_DEADLINE_MS;
      return await this.client.withAbortSignal(controller.signal, () => this.client.withDeadline(deadline, request));
    } finally {
      if (this.request === controller) this.request = undefined;
    }
  }

  private recordChange(): void {
    this.version += 1;
    this.statistics.changes += 1;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

function changesWorkflowState(event: temporal.api.history.v1.IHistoryEvent): boolean {
  return Boolean(
    event.workflowTaskCompletedEventAttributes ||
      event.workflowExecutionCompletedEventAttributes ||
      event.workflowExecutionFailedEventAttributes ||
      event.workflowExecutionCanceledEventAttributes ||
      event.workflowExecutionTerminatedEventAttributes ||
      event.workflowExecutionTimedOutEventAttributes ||
      event.workflowExecutionContinuedAsNewEventAttributes,
  );
}

function lastContinuedAsNewRun(events: temporal.api.history.v1.IHistoryEvent[]): string | undefined {
  const last = events[events.length - 1];
  return last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
}

