import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { TaskEvent } from '../core/events';
import type { ChatMessage, MessageContent } from '../core/messages';
import type { TaskSnapshot } from '../core/task-snapshot';

/**
 * Signals, queries and updates of the agent workflow. The client imports these definitions too,
 * so a name is never typed twice.
 */

/** Name of the agent workflow type. */
export const AGENT_WORKFLOW_TYPE = 'agentWorkflow';

/** A follow-up message for the task. */
export interface FollowUpSignalInput {
  content: MessageContent;
}

/** Delivers a follow-up message; used at the next model call, never dropped. */
export const followUpSignal = defineSignal<[FollowUpSignalInput]>('zap.followUp');

/** Records why the task is being cancelled, just before the Temporal cancellation request. */
export const cancelReasonSignal = defineSignal<[string]>('zap.cancelReason');

/** The task's state: status, result, history, sub-tasks, usage. */
export const getTaskStateQuery = defineQuery<TaskSnapshot>('zap.getTaskState');

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

/** Result of {@link getEventsQuery}. */
export interface GetEventsQueryResult {
  events: TaskEvent[];
  /** The lowest `seq` still held by the workflow; older events were dropped from its log. */
  firstRetainedSeq: number;
  lastSeq: number;
  /** True when the task has ended for good (failed, cancelled, or closed after its idle timeout). */
  closed: boolean;
}

/** Durable events with `seq` greater than `since`. */
export const getEventsQuery = defineQuery<GetEventsQueryResult, [number]>('zap.getEvents');
