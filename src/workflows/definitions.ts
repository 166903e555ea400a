import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TaskEvent } from '../core/events';
import type { JsonValue } from '../core/json';
import type { ChatMessage, MessageContent } from '../core/messages';
import type { TaskSnapshot, TaskStatusSnapshot } from '../core/task-snapshot';
import type { BudgetLimits } from '../core/budget';
import type { BudgetRaise, SubTaskUpdate } from '../core/task-state';

export type { SubTaskUpdate } from '../core/task-state';

/**
 * Signals, queries and updates of the agent workflow. The client imports these definitions too,
 * so a name is never typed twice.
 */

/** Name of the agent workflow type. */
export const AGENT_WORKFLOW_TYPE = 'agentWorkflow';

/** A follow-up message for the task. */
export interface FollowUpSignalInput {
  content: MessageContent;
  /** From a parent with a budget: the sub-task's new limits for this request (its spend so far plus the parent's new reservation). */
  budgetLimits?: BudgetLimits;
}

/** Delivers a follow-up message; used at the next model call, never dropped. */
export const followUpSignal = defineSignal<[FollowUpSignalInput]>('zap.followUp');

/** Records why the task is being cancelled, just before the Temporal cancellation request. */
export const cancelReasonSignal = defineSignal<[string]>('zap.cancelReason');

/** The task's state: status, result, history, sub-tasks, usage. */
export const getTaskStateQuery = defineQuery<TaskSnapshot>('zap.getTaskState');

/**
 * The task's state without its conversation: status, result, pending approvals, counts. What
 * cheap reads use (pending approvals, follow-ups, streams); 0.1.0 workers lack it.
 */
export const getTaskStatusQuery = defineQuery<TaskStatusSnapshot>('zap.getTaskStatus');

/**
 * The task's context (null when it has none). Tool activities read it once per task and worker
 * instead of carrying it in every call's input; 0.1.0 workflows lack it (their tool calls carry
 * the context inline).
 */
export const getTaskContextQuery = defineQuery<JsonValue | null>('zap.getTaskContext');

/** Input of {@link getMessagesQuery}: the half-open range [from, to) of the conversation. */
export interface GetMessagesQueryInput {
  from: number;
  to: number;
  /** Stop early past this many bytes of JSON (at least one message is returned). @default 256 KiB */
  maxBytes?: number;
}

/**
 * Part of the conversation, in pages of bounded size: the model activity reads what it must
 * answer with it, and `getTask` pages long histories with it.
 */
export const getMessagesQuery = defineQuery<ChatMessage[], [GetMessagesQueryInput]>('zap.getMessages');

/** Options of {@link getEventsQuery}. */
export interface GetEventsQueryOptions {
  /** Stop after this many bytes of JSON (at least one event is returned). @default 256 KiB */
  maxBytes?: number;
}

/** Result of {@link getEventsQuery}. */
export interface GetEventsQueryResult {
  events: TaskEvent[];
  /** True when more events after the last one returned exist (the page hit `maxBytes`). */
  hasMore?: boolean;
  /** The lowest `seq` still held by the workflow; older events were dropped from its log. */
  firstRetainedSeq: number;
  lastSeq: number;
  /** True when the task has ended for good (failed, cancelled, or closed after its idle timeout). */
  closed: boolean;
}

/**
 * Durable events with `seq` greater than `since`, oldest first, in pages bounded in bytes so a
 * stream attached from the start of a large task never asks for more than gRPC can carry.
 */
export const getEventsQuery = defineQuery<GetEventsQueryResult, [number, GetEventsQueryOptions?]>('zap.getEvents');

/** A human decision on a pending approval. */
export interface DecideApprovalInput {
  approvalId: string;
  approved: boolean;
  /** Why; told to the model on rejection and recorded with the decision. */
  reason?: string;
  /** Who decided (recorded in history and in the task's approval log). */
  decidedBy?: string;
  /** With the approval of a budget request (`kind: 'budget'`): the new limits (required there). */
  budget?: BudgetRaise;
}

/** The decision that holds for the approval after the update. */
export interface DecideApprovalResult {
  approvalId: string;
  decision: 'approved' | 'rejected' | 'timed_out';
  /** True when the approval had already been decided; this call changed nothing. */
  alreadyDecided: boolean;
}

/**
 * Approves or rejects a pending tool call. The validator refuses unknown approval ids
 * (`APPROVAL_NOT_FOUND`) before anything is recorded; deciding twice is harmless.
 */
export const decideApprovalUpdate = defineUpdate<DecideApprovalResult, [DecideApprovalInput]>('zap.decideApproval');

/** One decision of a batch ({@link DecideApprovalsInput}). */
export interface BatchApprovalDecision {
  decision: 'approve' | 'reject';
  /** Why; told to the model on rejection and recorded with the decision. */
  reason?: string;
}

/** Several decisions on one task's pending approvals, applied together. */
export interface DecideApprovalsInput {
  /** Decisions by approval id (at least one). */
  decisions: Record<string, BatchApprovalDecision>;
  /** Who decided (recorded with every decision of the batch). */
  decidedBy?: string;
}

/** The decisions that hold after a batch, in the order of the input's ids. */
export interface DecideApprovalsResult {
  results: DecideApprovalResult[];
}

/**
 * Decides several approvals of one task in one update, atomically: the validator checks every id
 * and decision before any is applied and refuses the whole batch (`APPROVAL_NOT_FOUND` with the
 * unknown ids in its details, or `INVALID_DECISION`) before anything is recorded.
 */
export const decideApprovalsUpdate = defineUpdate<DecideApprovalsResult, [DecideApprovalsInput]>('zap.decideApprovals');

/** A named event for the task (what `zap.sendEvent` delivers once the client has validated it). */
export interface DeliverEventInput {
  /** One of the names the task's agent declares. */
  name: string;
  /** The event's data (JSON, at most `MAX_EVENT_DATA_BYTES`). */
  data: JsonValue;
  /** The caller's id of this delivery, kept with the event (and used as the update id). */
  eventId?: string;
}

/** What the task did with a delivered event. */
export interface DeliverEventResult {
  accepted: true;
  /** True when a `wait_for_event` call was waiting for it; false when it is kept for the next wait. */
  waiting: boolean;
}

/**
 * Delivers a named event. The validator refuses names the task's agent does not declare
 * (`UNKNOWN_EVENT`), data that is too large (`EVENT_VALIDATION`) and events past what the task
 * keeps (`EVENT_BUFFER_FULL`) before anything is recorded.
 */
export const deliverEventUpdate = defineUpdate<DeliverEventResult, [DeliverEventInput]>('zap.deliverEvent');

/** Sent by a sub-agent task to its parent when it answers, fails or is cancelled. */
export const subTaskUpdateSignal = defineSignal<[SubTaskUpdate]>('zap.subTaskUpdate');

/**
 * The tool names each agent of a task queue offers, as its workers discovered them (local tools,
 * MCP tools, `message_agent`). Workers publish it when they start, so a client can check
 * approval patterns against real tool names without connecting MCP servers itself.
 */
export interface ToolCatalog {
  /** Tool names by agent name. */
  agents: Record<string, string[]>;
  /** ISO-8601; when a worker published it. */
  publishedAt: string;
  /** The publishing worker's identity (and build, when versioned). */
  publishedBy: string;
}

/** Workflow type of the per-task-queue catalog. */
export const TOOL_CATALOG_WORKFLOW_TYPE = 'toolCatalogWorkflow';

/** Workflow id of the catalog of a task queue. */
export function toolCatalogWorkflowId(taskQueue: string): string {
  return `zap-tool-catalog/${taskQueue}`;
}

/** A worker's newest view of the tools. */
export const publishToolCatalogSignal = defineSignal<[ToolCatalog]>('zap.publishToolCatalog');

/** The newest catalog; undefined before any worker published one. */
export const getToolCatalogQuery = defineQuery<ToolCatalog | undefined>('zap.getToolCatalog');
