import type { Client } from '@temporalio/client';
import type { TaskEvent, Zap } from 'zap-agents';
import type { RpcCounter } from './rpc-counter';

/**
 * The client side of the streaming benchmark. Each design subscribes through its own connection
 * (whose RPCs are counted on the wire); the bookkeeping (history reads, describes) goes through a
 * third, so it never shows in a design's counts.
 */
export interface StreamingBenchContext {
  /** Client-side Zap on `streamClient`: starts tasks and runs `streamTask` (the long-poll design). */
  zap: Zap;
  streamClient: Client;
  streamRpcs: RpcCounter;
  /** The polling baseline's client. */
  pollingClient: Client;
  pollingRpcs: RpcCounter;
  /** Bookkeeping: history probes, fetched histories, history lengths. */
  adminClient: Client;
  namespace: string;
  agentName: string;
}

/** An event as a subscriber received it. */
export interface Arrival {
  event: TaskEvent;
  /** `Date.now()` in the subscriber when the event was yielded to it. */
  arrivedMs: number;
}

/** Consumes a subscription, noting when each event arrived; `onEvent` sees each as it comes. */
export async function collectArrivals(stream: AsyncIterable<TaskEvent>, onEvent?: (arrival: Arrival) => void): Promise<Arrival[]> {
  const arrivals: Arrival[] = [];
  for await (const event of stream) {
    const arrival = { event, arrivedMs: Date.now() };
    arrivals.push(arrival);
    onEvent?.(arrival);
  }
  return arrivals;
}
