import type { ApprovalRequest } from './approval-request';

/** Fields every task event carries. `seq` strictly increases over the task's whole life. */
export interface TaskEventBase {
  seq: number;
  /** ISO-8601 time at which the workflow recorded the event. */
  timestamp: string;
  taskId: string;
}

/** The model is called (iteration counts model calls within the current request, from 1). */
export interface ThinkingEvent extends TaskEventBase {
  type: 'thinking';
  iteration: number;
  /** Model calls so far in the whole task, this one included; `token` events carry it too. */
  callIndex: number;
}

/**
 * A piece of text as the model produces it. Best effort: never recorded, never replayed.
 * `seq` is that of the `thinking` event of its model call. If a call is retried, its tokens
 * restart under a higher `attempt`: start over when `attempt` changes. Tokens of an older
 * attempt never follow those of a newer one.
 */
export interface TokenEvent extends TaskEventBase {
  type: 'token';
  delta: string;
  callIndex: number;
  attempt: number;
}

/** The model asked for a tool. */
export interface ToolCallEvent extends TaskEventBase {
  type: 'tool_call';
  name: string;
  arguments: Record<string, unknown>;
  /** A human-readable line, e.g. "Getting weather for Paris...". */
  phrase: string;
  toolCallId: string;
}

/** A tool call finished (or failed; the model sees the error as the result). */
export interface ToolResultEvent extends TaskEventBase {
  type: 'tool_result';
  name: string;
  /**
   * The result, or its first {@link EVENT_PREVIEW_BYTES} bytes when it is longer (`truncated`):
   * events carry previews so the event log stays small; the whole result is in the conversation.
   */
  result: string;
  /** Size of the whole result in UTF-8 bytes (absent in events recorded before 0.2.0). */
  resultBytes?: number;
  /** True when `result` is a preview of a longer result. */
  truncated?: boolean;
  success: boolean;
  toolCallId: string;
}

/** A tool call waits for a human decision. */
export interface ApprovalRequestedEvent extends TaskEventBase {
  type: 'approval_requested';
  approval: ApprovalRequest;
}

/** A pending approval was decided or timed out. */
export interface ApprovalResolvedEvent extends TaskEventBase {
  type: 'approval_resolved';
  approvalId: string;
  decision: 'approved' | 'rejected' | 'timed_out';
  reason?: string;
  /** Who decided, when the caller said. */
  decidedBy?: string;
}

/** A sub-agent task was started by `message_agent`. */
export interface SubTaskStartedEvent extends TaskEventBase {
  type: 'sub_task_started';
  subTaskId: string;
  agentName: string;
}

/** The model answered the current request. */
export interface CompletedEvent extends TaskEventBase {
  type: 'completed';
  result: string;
}

/** The task failed. */
export interface ErrorEvent extends TaskEventBase {
  type: 'error';
  error: string;
}

/** The task was cancelled. */
export interface CancelledEvent extends TaskEventBase {
  type: 'cancelled';
  reason: string;
}

/** Everything `streamTask` can yield. */
export type TaskEvent =
  | ThinkingEvent
  | TokenEvent
  | ToolCallEvent
  | ToolResultEvent
  | ApprovalRequestedEvent
  | ApprovalResolvedEvent
  | SubTaskStartedEvent
  | CompletedEvent
  | ErrorEvent
  | CancelledEvent;

/** The `type` of a {@link TaskEvent}. */
export type TaskEventType = TaskEvent['type'];

/** A durable event before the workflow stamps it with `seq`, `timestamp` and `taskId`. */
export type DurableEventInput = TaskEvent extends infer E
  ? E extends TaskEvent
    ? E['type'] extends 'token'
      ? never
      : Omit<E, keyof TaskEventBase>
    : never
  : never;

/** Event types that end a request's stream. */
export const FINAL_EVENT_TYPES: ReadonlySet<TaskEventType> = new Set(['completed', 'error', 'cancelled']);

/** Bytes of a tool result kept in its `tool_result` event (the conversation keeps all of it). */
export const EVENT_PREVIEW_BYTES = 2048;
