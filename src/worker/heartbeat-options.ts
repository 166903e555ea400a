import { msToNumber } from '@temporalio/common/lib/time';
import type { WorkerOptions } from '@temporalio/worker';
import type { ZapAgent } from '../agent/zap-agent';
import { DEFAULT_HEARTBEAT_THROTTLE_INTERVAL } from '../core/defaults';

/** The shortest heartbeat timeout of the agents' calls (model and MCP calls, local tools), in milliseconds. */
export function shortestHeartbeatTimeoutMs(agents: Iterable<ZapAgent<any>>): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (const agent of agents) {
    shortest = Math.min(shortest, agent.timeouts.heartbeatMs, agent.timeouts.toolHeartbeatMs);
  }
  return shortest;
}

/**
 * The worker's `maxHeartbeatThrottleInterval` when its options set none: half the shortest
 * heartbeat timeout, at most {@link DEFAULT_HEARTBEAT_THROTTLE_INTERVAL}. Temporal records at most one
 * heartbeat per min(80 % of the timeout, this interval); with 80 % a healthy call that beats a
 * little late (a busy event loop, a slow server) would time out, with half it has half the timeout
 * as slack. Applies to every activity of the worker, yours too.
 */
export function defaultHeartbeatThrottleIntervalMs(shortestHeartbeatMs: number): number {
  return Math.min(msToNumber(DEFAULT_HEARTBEAT_THROTTLE_INTERVAL), Math.max(1, Math.floor(shortestHeartbeatMs / 2)));
}

/** The options with zap's heartbeat throttling unless they set `maxHeartbeatThrottleInterval`. */
export function withDefaultHeartbeatThrottle<T extends Pick<WorkerOptions, 'maxHeartbeatThrottleInterval'>>(options: T, agents: Iterable<ZapAgent<any>>): T {
  if (options.maxHeartbeatThrottleInterval !== undefined) return options;
  return { ...options, maxHeartbeatThrottleInterval: defaultHeartbeatThrottleIntervalMs(shortestHeartbeatTimeoutMs(agents)) };
}
