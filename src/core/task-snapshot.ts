import type { ApprovalLogEntry, ApprovalRequest } from './approval-request';
import type { BudgetSnapshot } from './budget';
import type { JsonValue } from './json';
import type { ChatMessage, TokenUsage } from './messages';
import type { PipelineSnapshot } from './pipeline-state';
import type { OutputFailure } from './structured-output';
import type { ReceivedEvent } from './task-state';
import type { TaskStatus } from './task-status';

/**
 * What stuck detection found when it failed a task (the fields of `AgentStuckError`): the
 * repetition, and the human decision when the task escalated.
 */
export interface StuckFailure {
  reason: 'repeated_call' | 'no_progress';
  toolName: string;
  repeats: number;
  /** The decision that stopped an escalated task. */
  escalation?: { decision: 'rejected' | 'timed_out'; reason?: string; decidedBy?: string };
}

/**
 * The limit that failed a task with a budget (the details of its `BUDGET_EXCEEDED` failure). For
 * `tenantUsd` (the tenant's budget, `zap.tenantBudgets`), in US dollars: `max` is what the
 * tenant's budget had left, `spent` what this task had spent, `needed` the refused call's worst case.
 */
export interface BudgetFailure {
  limit: 'usd' | 'tokens' | 'modelCalls' | 'toolCalls' | 'tenantUsd';
  max: number;
  spent: number;
  needed?: number;
}

/** A task's state without its conversation (the cheap `getTaskStatus` query). */
export type TaskStatusSnapshot = Omit<TaskSnapshot, 'history' | 'receivedEvents'>;

/** The state of a task as the workflow reports it (the `getTaskState` query). */
export interface TaskSnapshot {
  taskId: string;
  agentName: string;
  status: TaskStatus;
  /** The last answer of the model, once there is one. */
  result?: string;
  /**
   * The parsed JSON of the last valid answer, when the task has an output schema (`outputSchema`
   * or the agent's `output`); absent from workers before 0.2.0.
   */
  output?: JsonValue;
  /** The answer and validation issues when the task failed its output schema (repairs included). */
  outputFailure?: OutputFailure;
  /** What stuck detection found when it failed the task (absent from workers before 0.2.0). */
  stuckFailure?: StuckFailure;
  /** Why the task failed. */
  error?: string;
  /** Which budget limit failed the task (absent unless its budget did). */
  budgetFailure?: BudgetFailure;
  /**
   * The code of the failure that failed the task (`APPROVAL_TIMED_OUT`, `AGENT_STUCK`,
   * `MAX_ITERATIONS_EXCEEDED`, `LLM_PROVIDER_ERROR`, …); absent from workers before 0.2.0.
   */
  errorCode?: string;
  /** Why the task was cancelled (the `cancelTask` reason), once it is. */
  cancelReason?: string;
  /**
   * The conversation in OpenAI chat-message format, system prompt first. From the query, the
   * first page only (see `messageCount`); `zap.getTask` fetches the rest.
   */
  history: ChatMessage[];
  /** Messages in the whole conversation. */
  messageCount: number;
  /** Ids of sub-agent tasks started by this task. */
  subTasks: string[];
  usage: TokenUsage;
  /** What the task's model calls cost in US dollars, where the worker knew the model's price (0.2.0). */
  costUsd?: number;
  /** The task's budget: limits, spent (its sub-agents included), held for running children, left (0.2.0; tasks with a budget). */
  budget?: BudgetSnapshot;
  pendingApprovals: ApprovalRequest[];
  /** Every approval of the task with its decision, approver and reason. */
  approvals: ApprovalLogEntry[];
  /** What the task's current turn waits for; absent from workers before 0.2.0. */
  waitingFor?: TaskWaitingFor;
  /**
   * Named events delivered and not yet taken by a wait, oldest first (the state query only: what
   * `zap.retryTask` carries into the new run); absent from workers before 0.2.0.
   */
  receivedEvents?: ReceivedEvent[];
  parentTaskId?: string;
  /** The tenant the task belongs to, when it was started with one (sub-tasks inherit it). */
  tenantId?: string;
  /** The user the task belongs to, when it was started with one (sub-tasks inherit it). */
  userId?: string;
  /** The schedule that started the task (`zap.schedules`), for a scheduled run. */
  scheduleId?: string;
  /**
   * ISO-8601; when a task started with `startAt` / `startDelay` starts, while it has not yet
   * (status `pending`; read from Temporal without a worker). Absent once it runs.
   */
  startsAt?: string;
  /** `seq` of the newest durable event. */
  lastEventSeq: number;
  /**
   * Pipeline runs only (their `agentName` is `pipeline:<name>`): the run's status, current step,
   * each step's result and what it waits for (0.2.0).
   */
  pipeline?: PipelineSnapshot;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601. */
  updatedAt: string;
}

/** What a task waits for right now (empty lists when it waits for nothing outside itself). */
export interface TaskWaitingFor {
  /** Names of the named events `wait_for_event` calls wait for (twice when two calls wait for one name). */
  events: string[];
  /** Ids of the approvals waiting for a human decision. */
  approvals: string[];
  /** Ids of the sub-tasks whose answer a `message_agent` call waits for. */
  subTasks: string[];
  /** Each event wait: its tool call, when it started and when it times out. */
  eventWaits: EventWaitSnapshot[];
}

/** One `wait_for_event` call in progress. */
export interface EventWaitSnapshot {
  eventName: string;
  toolCallId: string;
  /** ISO-8601; when the wait started. */
  since: string;
  /** ISO-8601; when the wait times out (the model is then told, and may wait again). */
  deadline: string;
}
