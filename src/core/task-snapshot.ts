import type { ApprovalLogEntry, ApprovalRequest } from './approval-request';
import type { ChatMessage, TokenUsage } from './messages';
import type { TaskStatus } from './task-status';

/** A task's state without its conversation (the cheap `getTaskStatus` query). */
export type TaskStatusSnapshot = Omit<TaskSnapshot, 'history'>;

/** The state of a task as the workflow reports it (the `getTaskState` query). */
export interface TaskSnapshot {
  taskId: string;
  agentName: string;
  status: TaskStatus;
  /** The last answer of the model, once there is one. */
  result?: string;
  /** Why the task failed. */
  error?: string;
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
  pendingApprovals: ApprovalRequest[];
  /** Every approval of the task with its decision, approver and reason. */
  approvals: ApprovalLogEntry[];
  parentTaskId?: string;
  /** `seq` of the newest durable event. */
  lastEventSeq: number;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601. */
  updatedAt: string;
}
