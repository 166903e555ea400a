import { Context } from '@temporalio/activity';

/** Shortest gap between two heartbeats. */
const MINIMUM_HEARTBEAT_INTERVAL_MS = 100;

/**
 * Runs `work` while heartbeating at a third of the activity's heartbeat timeout. A worker that
 * dies mid-call (SIGKILL, OOM, a redeploy) then stops heartbeating, and Temporal hands the call
 * to another worker after the heartbeat timeout instead of the much longer start-to-close
 * timeout. Heartbeats also deliver cancellation to the activity.
 */
export async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timeoutMs = context.info.heartbeatTimeoutMs;
  if (!timeoutMs) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), Math.max(MINIMUM_HEARTBEAT_INTERVAL_MS, timeoutMs / 3));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
