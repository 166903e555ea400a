import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TaskNotFoundError } from '../core/errors';
import { FINAL_EVENT_TYPES, type TaskEvent, type TokenEvent } from '../core/events';
import { isNotStartedQueryError } from '../core/not-started-query';
import { getEventsQuery, type GetEventsQueryResult } from '../workflows/definitions';
import { HistoryWatcher } from './history-watcher';
import type { TokenChunk, TokenSubscription, TokenTransport } from './token-transport';

/** Token chunks held while their model call's `thinking` event is not yet delivered. */
const MAX_BUFFERED_TOKENS = 10_000;

/** Which events a stream yields, and from where. */
export interface TaskStreamOptions {
  /** Yield `thinking` events. @default true */
  includeThinking?: boolean;
  /** Yield `tool_call` and `tool_result` events. @default true */
  includeToolEvents?: boolean;
  /** Yield live `token` events (best effort). @default true */
  includeTokens?: boolean;
  /** Yield only events with `seq > since`. @default 0 (from the start), or the task's current end for follow-ups */
  since?: number;
  /**
   * Keep streaming across follow-ups until the task closes, instead of ending after the
   * `completed` / `error` / `cancelled` event of the current request. @default false
   */
  untilClosed?: boolean;
  /** Ends the stream (without an error) when aborted. @default undefined */
  signal?: AbortSignal;
}

/** What a stream cost, filled in as it runs (benchmarks read it). */
export interface TaskStreamStatistics {
  queries: number;
  historyRequests: number;
}

/** What {@link streamTaskEvents} needs. */
export interface TaskEventStreamDependencies {
  client: Client;
  namespace: string;
  tokens?: TokenTransport;
  statistics?: TaskStreamStatistics;
}

/**
 * The events of one task, live. Durable events come from the workflow (a query for the events
 * after `since`), and the stream wakes only when the workflow's history grows (a long-poll), so
 * an idle subscriber makes no queries and adds nothing to history. Token chunks come through the
 * token transport and are placed after the `thinking` event of their model call.
 */
export async function* streamTaskEvents(
  dependencies: TaskEventStreamDependencies,
  taskId: string,
  options: TaskStreamOptions = {},
): AsyncGenerator<TaskEvent, void, undefined> {
  const { client, namespace, statistics } = dependencies;
  const signal = options.signal;
  const tokens = new TokenOrdering();
  let wakeForTokens: (() => void) | undefined;
  let subscription: TokenSubscription | undefined;
  if (options.includeTokens !== false && dependencies.tokens) {
    subscription = await dependencies.tokens.subscribe(taskId, (chunk) => {
      tokens.receive(chunk);
      wakeForTokens?.();
    });
  }
  const watcher = new HistoryWatcher(client, namespace, taskId);
  const handle = client.workflow.getHandle(taskId);
  try {
    try {
      await watcher.start();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError || isNotFound(error)) throw new TaskNotFoundError({ taskId, cause: error });
      throw error;
    }
    let since = options.since ?? 0;
    let queriedVersion = -1;
    let queriedAfterFinish = false;
    for (;;) {
      if (signal?.aborted) return;
      const version = watcher.currentVersion();
      let closed = false;
      const finishedBeforeQuery = watcher.hasFinished();
      if (version !== queriedVersion || (finishedBeforeQuery && !queriedAfterFinish)) {
        queriedVersion = version;
        queriedAfterFinish = finishedBeforeQuery;
        // Pages are bounded in bytes: keep reading while the workflow says more are held.
        for (let hasMore = true; hasMore; ) {
          if (statistics) statistics.queries += 1;
          const result = await queryEvents(client, handle, taskId, since, signal);
          if (result === undefined) return;
          for (const event of result.events) {
            if (event.seq <= since) continue;
            since = event.seq;
            tokens.onDurableEvent(event);
            if (passesStreamFilters(event, options)) yield event;
            if (FINAL_EVENT_TYPES.has(event.type) && (!options.untilClosed || event.type !== 'completed')) return;
            if (signal?.aborted) return;
          }
          hasMore = result.hasMore === true && result.events.length > 0;
          closed = result.closed || finishedBeforeQuery;
        }
      }
      for (const token of tokens.release()) {
        yield token;
        if (signal?.aborted) return;
      }
      if (closed) return;
      const tokenArrived = new Promise<void>((resolve) => (wakeForTokens = resolve));
      await Promise.race([watcher.waitForChange(version, signal), tokenArrived]);
      wakeForTokens = undefined;
    }
  } finally {
    if (statistics) statistics.historyRequests += watcher.statistics.historyRequests;
    await subscription?.unsubscribe();
    await watcher.close();
  }
}

/** One page of events after `since`; undefined when `signal` aborted the query. */
async function queryEvents(
  client: Client,
  handle: ReturnType<Client['workflow']['getHandle']>,
  taskId: string,
  since: number,
  signal: AbortSignal | undefined,
): Promise<GetEventsQueryResult | undefined> {
  try {
    if (!signal) return await handle.query(getEventsQuery, since, {});
    if (signal.aborted) return undefined;
    return await client.withAbortSignal(signal, () => handle.query(getEventsQuery, since, {}));
  } catch (error) {
    if (signal?.aborted) return undefined;
    if (error instanceof WorkflowNotFoundError) throw new TaskNotFoundError({ taskId, cause: error });
    // A task whose start delay has not passed has no events yet: wait for its history to grow.
    if (isNotStartedQueryError(error)) return { events: [], firstRetainedSeq: 0, lastSeq: since, closed: false };
    throw error;
  }
}

/** False for the event types the options leave out (`includeThinking`, `includeToolEvents`). */
function passesStreamFilters(event: TaskEvent, options: TaskStreamOptions): boolean {
  if (event.type === 'thinking') return options.includeThinking !== false;
  if (event.type === 'tool_call' || event.type === 'tool_result') return options.includeToolEvents !== false;
  return true;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 5;
}

/**
 * Places best-effort token chunks among durable events: a chunk is released only after the
 * `thinking` event of its model call, only until that call's outcome, and never after a chunk
 * of a newer attempt of the same call (a retry's tokens never mix with the failed attempt's).
 */
class TokenOrdering {
  private buffered: TokenChunk[] = [];
  private current: { callIndex: number; seq: number; taskId: string; open: boolean } | undefined;
  private latestAttempt = 0;

  receive(chunk: TokenChunk): void {
    if (this.buffered.length < MAX_BUFFERED_TOKENS) this.buffered.push(chunk);
  }

  onDurableEvent(event: TaskEvent): void {
    if (event.type === 'thinking') {
      this.current = { callIndex: event.callIndex, seq: event.seq, taskId: event.taskId, open: true };
      this.latestAttempt = 0;
    } else if (this.current?.open && event.type !== 'token') {
      // The call's outcome is known: its remaining tokens are stale.
      this.current.open = false;
    }
  }

  release(): TokenEvent[] {
    const current = this.current;
    const released: TokenEvent[] = [];
    const kept: TokenChunk[] = [];
    for (const chunk of this.buffered) {
      if (!current || chunk.callIndex > current.callIndex) {
        kept.push(chunk);
        continue;
      }
      if (chunk.callIndex < current.callIndex || !current.open || chunk.attempt < this.latestAttempt) continue;
      this.latestAttempt = chunk.attempt;
      released.push({
        type: 'token',
        seq: current.seq,
        timestamp: new Date().toISOString(),
        taskId: current.taskId,
        delta: chunk.delta,
        callIndex: chunk.callIndex,
        attempt: chunk.attempt,
      });
    }
    this.buffered = kept;
    return released;
  }
}
