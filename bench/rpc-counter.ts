import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/** Name of the history RPC (the long-poll) as gRPC paths end. */
export const HISTORY_RPC = 'GetWorkflowExecutionHistory';
/** Name of the query RPC. */
export const QUERY_RPC = 'QueryWorkflow';

/**
 * Counts the gRPC calls a Temporal `Connection` puts on the wire, by method name, as an
 * independent check of what the code under test reports about itself. Give `interceptors()` to
 * `Connection.connect`; it keeps the client's default retry behaviour, and every attempt counts.
 */
export class RpcCounter {
  private readonly counts = new Map<string, number>();

  interceptors(): Interceptor[] {
    const count: Interceptor = (options, nextCall) => {
      const method = options.method_definition.path.split('/').pop() ?? options.method_definition.path;
      this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
      return new InterceptingCall(nextCall(options));
    };
    return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), count];
  }

  /** Calls of `method` started so far. */
  count(method: string): number {
    return this.counts.get(method) ?? 0;
  }
}
