import type { StuckPolicy } from './agent-settings';
import type { ApprovalRequest } from './approval-request';
import type { BudgetSnapshot } from './budget';
import type { TokenUsage } from './messages';
import type { PipelineStepStatus } from './pipeline-state';

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

/**
 * A pending approval reached its timeout with `onTimeout: 'escalate'`: the agent's
 * `onApprovalEscalated` hook runs (to notify someone else) and the approval waits again, until
 * its new `timeoutAt`. The approval (with `escalatedAt` set) is the same one; decide it by its id.
 */
export interface ApprovalEscalatedEvent extends TaskEventBase {
  type: 'approval_escalated';
  approval: ApprovalRequest;
}

/**
 * A model call of a task with a budget was counted: its reported usage and cost (or, with
 * `estimated`, the worst case charged for an attempt whose usage was never reported), and the
 * budget after it.
 */
export interface UsageEvent extends TaskEventBase {
  type: 'usage';
  usage: TokenUsage;
  costUsd: number;
  estimated?: boolean;
  budget: BudgetSnapshot;
}

/** A budget request was approved with new limits; the task goes on. */
export interface BudgetRaisedEvent extends TaskEventBase {
  type: 'budget_raised';
  approvalId: string;
  budget: BudgetSnapshot;
}

/** A sub-agent task was started by `message_agent`. */
export interface SubTaskStartedEvent extends TaskEventBase {
  type: 'sub_task_started';
  subTaskId: string;
  agentName: string;
}

/** A named event was delivered to the task (`zap.sendEvent`). */
export interface EventReceivedEvent extends TaskEventBase {
  type: 'event_received';
  eventName: string;
  /**
   * The event's data as JSON, or its first {@link EVENT_PREVIEW_BYTES} bytes when it is longer
   * (`truncated`); the wait that takes the event gets all of it.
   */
  preview: string;
  /** Size of the data's JSON in UTF-8 bytes. */
  dataBytes: number;
  /** True when `preview` is a prefix of longer data. */
  truncated?: boolean;
  /** True when a `wait_for_event` call was waiting for it; false when it is kept for a later wait. */
  waiting: boolean;
}

/** A `wait_for_event` call started waiting (it finishes at once when a kept event is there). */
export interface EventWaitStartedEvent extends TaskEventBase {
  type: 'event_wait_started';
  eventName: string;
  toolCallId: string;
  /** How long the call waits, in milliseconds. */
  timeoutMs: number;
  /** ISO-8601; when the wait times out. */
  deadline: string;
}

/** A `wait_for_event` call got its event, or timed out. */
export interface EventWaitFinishedEvent extends TaskEventBase {
  type: 'event_wait_finished';
  eventName: string;
  toolCallId: string;
  outcome: 'received' | 'timed_out';
  /** ISO-8601; when the event that ended the wait was delivered (outcome `received`). */
  receivedAt?: string;
}

/**
 * Why a task counts as stuck: the same tool call (name and canonical JSON arguments) in
 * `threshold` consecutive iterations; `threshold` consecutive iterations whose tool results are
 * all identical; or the request reached the agent's `maxIterations`.
 */
export type StuckReason = 'repeated_call' | 'no_progress' | 'max_iterations';

/**
 * The task is stuck (stuck detection, `ZapAgent({ stuck })`). Emitted whatever the policy, before
 * its action: `stop` (an `error` event follows), `nudge` (the model is told it repeats itself and
 * goes on), `escalate` (an `approval_requested` event follows: approve to go on).
 */
export interface StuckEvent extends TaskEventBase {
  type: 'stuck';
  reason: StuckReason;
  /** The repeated tool, or the (first) tool of the iterations that made no progress; absent for `max_iterations`. */
  toolName?: string;
  /** Consecutive iterations of the repetition (for `max_iterations`: the iterations made). */
  repeats: number;
  /** The agent's policy. */
  policy: StuckPolicy;
  /** What the task does now: `nudge` only once per request under `retry`, then `stop`. */
  action: 'stop' | 'nudge' | 'escalate';
  /** Iteration of the request at which it was detected. */
  iteration: number;
}

/**
 * No user message arrived within the agent's nudge period (`ZapAgent({ nudge })`) after an
 * answer: the task received the nudge's message as a follow-up, and answers it next. Once per
 * quiet period: the next nudge waits for a real follow-up first.
 */
export interface NudgedEvent extends TaskEventBase {
  type: 'nudged';
  /** The follow-up the task received (the agent's `nudge.message`). */
  message: string;
  /** The quiet period that passed, in milliseconds (`nudge.after`). */
  afterMs: number;
}

/** A step of a pipeline run started (pipeline runs only; a gate then requests its approval). */
export interface StepStartedEvent extends TaskEventBase {
  type: 'step_started';
  step: string;
  kind: 'agent' | 'gate';
  /** Position of the step in the pipeline, from 1. */
  index: number;
  /** Agent steps: the agent, and the child task that runs the step. */
  agentName?: string;
  subTaskId?: string;
}

/** A step of a pipeline run finished: complete, or how it failed (pipeline runs only). */
export interface StepFinishedEvent extends TaskEventBase {
  type: 'step_finished';
  step: string;
  kind: 'agent' | 'gate';
  status: PipelineStepStatus;
  /** Why the step failed. */
  error?: string;
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
  | ApprovalEscalatedEvent
  | UsageEvent
  | BudgetRaisedEvent
  | SubTaskStartedEvent
  | EventReceivedEvent
  | EventWaitStartedEvent
  | EventWaitFinishedEvent
  | StuckEvent
  | NudgedEvent
  | StepStartedEvent
  | StepFinishedEvent
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
