import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';

/** Shortest gap between two heartbeats. */
const MINIMUM_HEARTBEAT_INTERVAL_MS = 100;
/** Heartbeats go out every this fraction of the heartbeat timeout (Temporal's throttling sends at most one per half, see `DEFAULT_HEARTBEAT_THROTTLE_INTERVAL`). */
const HEARTBEAT_INTERVAL_FRACTION = 1 / 4;

/**
 * Names this process in heartbeat details (`worker`), so a retried attempt can tell that another
 * worker ran the attempt before it. The pid and host as Temporal's default identity has them, and a
 * random part: a restarted container can have the same pid and host name.
 */
export const HEARTBEAT_WORKER_IDENTITY = `${process.pid}@${hostname()}/${randomBytes(4).toString('hex')}`;

/** What every heartbeat of zap's activities carries: the worker, and the activity's own details. */
export interface HeartbeatDetails {
  /** {@link HEARTBEAT_WORKER_IDENTITY} of the worker that sent it. */
  worker: string;
  [field: string]: unknown;
}

/**
 * Runs `work` while heartbeating every quarter of the activity's heartbeat timeout. A worker that
 * dies mid-call (SIGKILL, OOM, a redeploy) then stops heartbeating, and Temporal hands the call
 * to another worker after the heartbeat timeout instead of the much longer start-to-close
 * timeout. Heartbeats also deliver cancellation to the activity.
 *
 * The first heartbeat goes out after the first interval, not at the start: Temporal sends a first
 * heartbeat at once (one RPC and one write of the workflow's state), and most calls end before
 * the interval. An attempt that takes over from another worker (a retry whose last heartbeat names
 * another worker, or has none) resets the workflow's sticky queue, so the workflow task after it
 * goes to any worker at once instead of waiting for the dead worker's sticky queue to time out.
 */
export async function withHeartbeats<T>(work: () => Promise<T>, heartbeat: ActivityHeartbeat = new ActivityHeartbeat()): Promise<T> {
  const context = Context.current();
  const timeoutMs = context.info.heartbeatTimeoutMs;
  if (!timeoutMs) return work();
  const takeover = takeOverStickiness(context);
  const timer = setInterval(() => heartbeat.beat(), Math.max(MINIMUM_HEARTBEAT_INTERVAL_MS, timeoutMs * HEARTBEAT_INTERVAL_FRACTION));
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await takeover;
  }
}

/**
 * The heartbeats of one activity attempt, with the details every heartbeat carries (what a retry,
 * or the workflow after a timeout, reads as `lastHeartbeatDetails`): always `worker`, and what
 * {@link setDetails} gave. Readers ignore fields they do not know.
 */
export class ActivityHeartbeat {
  private details: HeartbeatDetails = { worker: HEARTBEAT_WORKER_IDENTITY };

  /**
   * @param awaitingDetails details come early in the call (a budgeted model call's worst case):
   *   {@link setDetails} then heartbeats at once, before the first interval, so a timeout after it
   *   carries them.
   */
  constructor(readonly awaitingDetails = false) {}

  /** Sets the details and heartbeats with them now. */
  setDetails(details: Record<string, unknown>): void {
    this.details = { ...details, worker: HEARTBEAT_WORKER_IDENTITY };
    this.beat();
  }

  beat(): void {
    Context.current().heartbeat(this.details);
  }
}

/**
 * Whether this attempt continues the work of another worker: a retry whose previous attempt's
 * last heartbeat names another worker, or carries no worker at all (it died before its first
 * heartbeat, or an older zap-agents ran it).
 */
export function takesOver(info: Pick<Context['info'], 'attempt' | 'heartbeatDetails'>): boolean {
  if (info.attempt <= 1) return false;
  const details: unknown = info.heartbeatDetails;
  const worker = typeof details === 'object' && details !== null ? (details as { worker?: unknown }).worker : undefined;
  return worker !== HEARTBEAT_WORKER_IDENTITY;
}

/**
 * Resets the workflow's sticky queue when this attempt takes over from another worker
 * ({@link takesOver}); resolves at once otherwise. Never rejects.
 */
export async function takeOverStickiness(context: Context): Promise<void> {
  if (takesOver(context.info)) await resetStickiness(context);
}

/**
 * Clears the workflow's sticky queue (`ResetStickyTaskQueue`): the worker it points to may be the
 * one that died, and the server would hold the next workflow task there for the worker's
 * `stickyQueueScheduleToStartTimeout` first. A failure only costs that wait, so it is logged.
 */
async function resetStickiness(context: Context): Promise<void> {
  const { workflowExecution, workflowNamespace } = context.info;
  if (!workflowExecution) return;
  try {
    await context.client.workflowService.resetStickyTaskQueue({
      namespace: workflowNamespace ?? context.info.activityNamespace,
      execution: { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId },
    });
  } catch (error) {
    context.log.warn('Could not reset the sticky queue of a task taken over from another worker', {
      workflowId: workflowExecution.workflowId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
