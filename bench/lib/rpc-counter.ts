import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/** Name of the history RPC (the long-poll) as gRPC paths end. */
export const HISTORY_RPC = 'GetWorkflowExecutionHistory';
/** Name of the query RPC. */
export const QUERY_RPC = 'QueryWorkflow';
/** Timed calls kept per counter; enough for the latency phase, bounded for long idle windows. */
const MAX_TIMED_CALLS = 20_000;

/** One call that has ended. */
export interface TimedCall {
  method: string;
  /** `Date.now()` when the call started. */
  sentMs: number;
  durationMs: number;
  /** gRPC status code (0 is OK). */
  code: number;
  /** Status details of a failed call. */
  details?: string;
}

/**
 * Counts the gRPC calls a Temporal `Connection` puts on the wire, by method name, as an
 * independent check of what the code under test reports about itself, and keeps when each
 * ended call started and how long it took. Give `interceptors()` to `Connection.connect`; it
 * keeps the client's default retry behaviour, and every attempt counts.
 */
export class RpcCounter {
  private readonly counts = new Map<string, number>();
  private timed: TimedCall[] = [];

  interceptors(): Interceptor[] {
    const count: Interceptor = (options, nextCall) => {
      const method = options.method_definition.path.split('/').pop() ?? options.method_definition.path;
      this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
      const sentMs = Date.now();
      return new InterceptingCall(nextCall(options), {
        start: (metadata, listener, next) => {
          next(metadata, {
            onReceiveStatus: (status, nextStatus) => {
              if (this.timed.length < MAX_TIMED_CALLS) {
                const durationMs = Date.now() - sentMs;
                this.timed.push({ method, sentMs, durationMs, code: status.code, ...(status.code === 0 ? {} : { details: status.details }) });
              }
              nextStatus(status);
            },
          });
        },
      });
    };
    return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), count];
  }

  /** Calls of `method` started so far. */
  count(method: string): number {
    return this.counts.get(method) ?? 0;
  }

  /** Ended calls of `method` that started at or after `sinceMs`, in the order they ended. */
  callsSince(method: string, sinceMs: number): TimedCall[] {
    return this.timed.filter((call) => call.method === method && call.sentMs >= sinceMs);
  }
}
