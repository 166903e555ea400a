import { Context } from '@temporalio/activity';

/** Shortest gap between two heartbeats. */
const MINIMUM_HEARTBEAT_INTERVAL_MS = 100;

/**
 * Runs `work` while heartbeating at a third of the activity's heartbeat timeout. A worker that
 * dies mid-call (SIGKILL, OOM, a redeploy) then stops heartbeating, and Temporal hands the call
 * to another worker after the heartbeat timeout instead of the much longer start-to-close
 * timeout. Heartbeats also deliver cancellation to the activity.
 */
export async function withHeartbeats<T>(work: () => Promise<T>, heartbeat: ActivityHeartbeat = new ActivityHeartbeat()): Promise<T> {
  const context = Context.current();
  const timeoutMs = context.info.heartbeatTimeoutMs;
  if (!timeoutMs) return work();
  // With details to come (a budgeted model call's worst case), the first heartbeat waits for them:
  // a first heartbeat goes out at once, later ones are throttled, so the details are not delayed.
  if (!heartbeat.awaitingDetails) heartbeat.beat();
  const timer = setInterval(() => heartbeat.beat(), Math.max(MINIMUM_HEARTBEAT_INTERVAL_MS, timeoutMs / 3));
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * The heartbeats of one activity attempt, with the details every heartbeat carries (what a retry,
 * or the workflow after a timeout, reads as `lastHeartbeatDetails`).
 */
export class ActivityHeartbeat {
  private details: unknown;

  /** @param awaitingDetails the first heartbeat waits for {@link setDetails} (or the first interval). */
  constructor(readonly awaitingDetails = false) {}

  /** Sets the details and heartbeats with them now. */
  setDetails(details: unknown): void {
    this.details = details;
    this.beat();
  }

  beat(): void {
    Context.current().heartbeat(this.details);
  }
}
