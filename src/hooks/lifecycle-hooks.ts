import type { RunHookInput } from '../core/activity-contracts';
import type { LifecycleHookName } from '../core/agent-settings';

export type { LifecycleHookName } from '../core/agent-settings';

/**
 * What a lifecycle hook receives: the event, the task's status snapshot when it happened
 * (everything but the conversation), and the attempt. A hook runs at least once: after a worker
 * crash or a failed attempt it runs again with the same `deliveryId`, so make it idempotent
 * (or let the receiver deduplicate on `deliveryId`).
 */
export interface LifecycleHookEvent extends RunHookInput {
  /** The attempt of this run of the hook, from 1. */
  attempt: number;
  /** Aborted when the attempt is cancelled or abandoned (worker shutdown, timeout): stop work then. */
  signal: AbortSignal;
}

/** A lifecycle hook: runs on a worker, as an activity; a throw (or a rejection) is retried. */
export type LifecycleHook = (event: LifecycleHookEvent) => Promise<void> | void;

/**
 * The lifecycle hooks of an agent (`ZapAgent({ hooks })`). Each runs on a worker as a `runHook`
 * activity when its event happens: durable (recorded in the task's history), retried with the
 * agent's `retry.hook` policy (10 attempts, 1 s → 1 min backoff), at least once. They never block
 * the task: it goes on while they run, and a hook that still fails after its retries is logged
 * and given up. Every hook started by a run finishes before the run ends or continues as new.
 *
 * - `onStart`: the task started (its first run).
 * - `onApprovalRequested`: a tool call, or a stuck task that escalates, waits for a human (`approval`).
 * - `onApprovalEscalated`: an approval reached its timeout with `onTimeout: 'escalate'` and waits again (`approval`).
 * - `onStuck`: stuck detection fired (`stuck`: reason, tool, repeats, what the task does).
 * - `onComplete`: the model answered a request (`result`); once per answered request.
 * - `onFailed`: the task failed (`error`).
 *
 * @example
 * ```ts
 * hooks: {
 *   onComplete: async ({ taskId, result }) => { await notifyTeam(`${taskId}: ${result}`); },
 *   ...webhookNotifier({ url: 'https://hooks.example.com/zap', secret: process.env.ZAP_WEBHOOK_SECRET!, events: ['approval_requested'] }),
 * }
 * ```
 */
export type LifecycleHooks = { readonly [Name in LifecycleHookName]?: LifecycleHook };
