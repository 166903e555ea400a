import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { ZapValidationError } from '../core/errors';
import type { TaskSnapshot } from '../core/task-snapshot';
import { upgradeWorkflowInput } from '../core/task-state';
import { startedTaskSnapshot } from './task-start';
import { firstRunInput } from './task-retry';

/**
 * Delayed start (`executeTask({ startAt | startDelay })`): the task's workflow is created at once
 * with Temporal's start delay, and its first workflow task runs when the delay has passed. Until
 * then no worker can answer for it, so reads are answered from Temporal alone (status `pending`,
 * `startsAt`); a follow-up is kept by Temporal and joins the first request when the task starts;
 * a cancellation ends it at once, before any model call.
 * @module
 */

/** The delayed-start options of `executeTask` (new tasks only; give one of them). */
export interface DelayedStartOptions {
  /**
   * When the task starts (a `Date`, or an ISO-8601 string with a time zone); must be in the future.
   * @default undefined (now)
   */
  startAt?: Date | string;
  /**
   * How long after the call the task starts (`'2 hours'`, milliseconds); must be positive.
   * @default undefined (now)
   */
  startDelay?: Duration;
}

/**
 * The start delay in milliseconds that `startAt` or `startDelay` ask for, or undefined for none.
 * `ZapValidationError` when both are given, the time is not a valid one or is not in the future,
 * or the delay is not a positive duration.
 */
export function readStartDelay(options: DelayedStartOptions, now: number = Date.now()): number | undefined {
  const { startAt, startDelay } = options;
  if (startAt !== undefined && startDelay !== undefined) {
    throw new ZapValidationError({ message: 'Give startAt or startDelay, not both.' });
  }
  if (startAt !== undefined) {
    const time = startAt instanceof Date ? startAt.getTime() : typeof startAt === 'string' ? Date.parse(startAt) : Number.NaN;
    if (Number.isNaN(time)) {
      throw new ZapValidationError({ message: `startAt must be a Date or an ISO-8601 time; got ${JSON.stringify(startAt)}.` });
    }
    if (time <= now) {
      throw new ZapValidationError({
        message: `startAt (${new Date(time).toISOString()}) is not in the future; leave it out to start the task now.`,
      });
    }
    return time - now;
  }
  if (startDelay !== undefined) {
    let delayMs: number;
    try {
      delayMs = msToNumber(startDelay);
    } catch (error) {
      throw new ZapValidationError({ message: `startDelay ${JSON.stringify(startDelay)} is not a duration.`, cause: error });
    }
    if (!Number.isFinite(delayMs) || delayMs <= 0) {
      throw new ZapValidationError({ message: `startDelay must be a positive duration; got ${JSON.stringify(startDelay)}.` });
    }
    return delayMs;
  }
  return undefined;
}

/**
 * A task that has not started yet, read without a worker: the first messages from its workflow
 * input (its first history event), `pending`, and `startsAt` from the workflow's execution time.
 */
export async function notStartedSnapshot(
  client: Client,
  namespace: string,
  taskId: string,
  description: WorkflowExecutionDescription,
): Promise<TaskSnapshot> {
  const input = upgradeWorkflowInput(await firstRunInput(client, namespace, taskId, description.runId));
  const startsAt = (description.executionTime ?? description.startTime).toISOString();
  return startedTaskSnapshot({ ...input, taskId }, input.agent.agentName, startsAt);
}

/**
 * `ZapValidationError` for an operation a task that has not started cannot take: Temporal starts
 * a delayed workflow at once for an update (an event, a decision), which would defeat the delay.
 * A task has not started while its delayed start is still ahead ({@link isStartDelayed}).
 */
export function assertStarted(
  taskId: string,
  description: Pick<WorkflowExecutionDescription, 'executionTime' | 'startTime' | 'historyLength'>,
  action: string,
): void {
  if (!isStartDelayed(description)) return;
  const startsAt = description.executionTime!;
  throw new ZapValidationError({
    message: `Task '${taskId}' has not started yet (it starts at ${startsAt.toISOString()}); ${action} once it has started.`,
  });
}

/**
 * True while a task's start is still delayed: its workflow was started with a delay (its execution
 * time is after its start time) and its history still holds only the start event, so no workflow
 * task has run and nothing (no approval, no event wait) can be pending. Both times are the
 * server's, so this holds on a time-skipping server too.
 */
export function isStartDelayed(description: Pick<WorkflowExecutionDescription, 'executionTime' | 'startTime' | 'historyLength'>): boolean {
  const { executionTime, startTime, historyLength } = description;
  return executionTime !== undefined && executionTime.getTime() > startTime.getTime() && historyLength <= 1;
}
