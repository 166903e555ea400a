/**
 * Where a task is in its life. `completed` is not final for the workflow: a completed task takes
 * follow-ups until its idle timeout, and a follow-up moves it back to `thinking`.
 */
export const TaskStatus = {
  /** Started; the workflow has not run its first step yet. */
  Pending: 'pending',
  /** Waiting for the model. */
  Thinking: 'thinking',
  /** Waiting for tool calls to finish. */
  AwaitingTool: 'awaiting_tool',
  /** At least one tool call waits for a human decision. */
  AwaitingApproval: 'awaiting_approval',
  /** A `wait_for_event` call waits for a named event (and no tool call waits for a human). */
  AwaitingEvent: 'awaiting_event',
  /** The model answered; follow-ups are still accepted until the idle timeout. */
  Completed: 'completed',
  /** Ended with an error; the Temporal workflow failed too. */
  Failed: 'failed',
  /** Cancelled by `cancelTask` (or a Temporal cancellation). */
  Cancelled: 'cancelled',
} as const;

/** One of the values of {@link TaskStatus}. */
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set([
  TaskStatus.Completed,
  TaskStatus.Failed,
  TaskStatus.Cancelled,
]);

/** True when the task has an outcome (`completed`, `failed`, `cancelled`). */
export function isTerminalStatus(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** True while the task is working or waiting on something other than a new message. */
export function isActiveStatus(status: TaskStatus): boolean {
  return !TERMINAL_STATUSES.has(status);
}
