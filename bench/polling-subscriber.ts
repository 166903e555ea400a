import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { TaskEvent } from 'zap-agents';
import { getEventsQuery } from 'zap-agents/workflows';

/** The baseline's polling interval: what a query-polling design (Zap AI's) does. */
export const POLLING_INTERVAL_MS = 100;

/** Event types after which a request is over (the stream ends there too, without `untilClosed`). */
const FINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['completed', 'error', 'cancelled']);

/** What a polling subscriber cost, filled in as it runs. */
export interface PollingStatistics {
  queries: number;
  /** Round-trip time of each query, in milliseconds. */
  queryMs: number[];
}

/** Options of {@link pollTaskEvents}. */
export interface PollingSubscriberOptions {
  client: Client;
  taskId: string;
  /** Yield only events with `seq > since`. */
  since: number;
  /** Ends the loop (without an error) when aborted. */
  signal: AbortSignal;
  statistics: PollingStatistics;
  /** @default POLLING_INTERVAL_MS */
  intervalMs?: number;
}

/**
 * The baseline subscriber: queries the workflow for the events after `since` every
 * `intervalMs` (at a fixed rate: a slow query shortens the pause after it), whether or not
 * anything happened. Ends after the request's final event, when the task closes, or on abort.
 */
export async function* pollTaskEvents(options: PollingSubscriberOptions): AsyncGenerator<TaskEvent, void, undefined> {
  const { client, taskId, signal, statistics } = options;
  const intervalMs = options.intervalMs ?? POLLING_INTERVAL_MS;
  const handle = client.workflow.getHandle(taskId);
  let since = options.since;
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
    const pauseMs = Math.max(0, intervalMs - (performance.now() - startedAt));
    try {
      await sleep(pauseMs, undefined, { signal });
    } catch {
      return;
    }
  }
}
