import type { ApprovalLogEntry, ApprovalRequest } from '../core/approval-request';
import {
  conversationText,
  conversationToolCalls,
  conversationTurns,
  type ConversationTurn,
  type ToolCallRecord,
} from '../core/conversation';
import type { AssistantMessage, ChatMessage, TokenUsage } from '../core/messages';
import { TaskStatus, isTerminalStatus } from '../core/task-status';
import type { TaskSnapshot } from '../core/task-snapshot';

/** What a {@link Task} asks of its `Zap` for its async helpers. */
export interface TaskOperations {
  getTask(taskId: string): Promise<Task>;
  getPendingApprovals(taskId: string): Promise<ApprovalRequest[]>;
  approve(taskId: string, approvalId: string, options?: { approvedBy?: string; reason?: string }): Promise<unknown>;
  reject(taskId: string, approvalId: string, reason?: string, options?: { rejectedBy?: string }): Promise<unknown>;
}

/**
 * A snapshot of a task, as read from its workflow. Fields do not update by themselves: call
 * `zap.getTask(id)` again for fresh state.
 */
export class Task {
  readonly id: string;
  /** Stored by the workflow; never parsed from the id. */
  readonly agentName: string;
  readonly status: TaskStatus;
  /** The model's latest answer. */
  readonly result: string | undefined;
  readonly error: string | undefined;
  /** Why the task was cancelled (the reason given to `cancelTask`), once it is. */
  readonly cancelReason: string | undefined;
  /** The conversation in OpenAI chat-message format, system prompt first. */
  readonly history: readonly ChatMessage[];
  /** Ids of sub-agent tasks. */
  readonly subTasks: readonly string[];
  readonly usage: TokenUsage;
  /** Every approval of the task with its decision, approver and reason. */
  readonly approvals: readonly ApprovalLogEntry[];
  readonly parentTaskId: string | undefined;
  /** `seq` of the newest durable event: pass it as `since` to stream only what comes next. */
  readonly lastEventSeq: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;

  /** Held in a private field so that logging or serializing a Task never exposes the Zap (and its keys). */
  readonly #operations: TaskOperations;

  constructor(snapshot: TaskSnapshot, operations: TaskOperations) {
    this.#operations = operations;
    this.id = snapshot.taskId;
    this.agentName = snapshot.agentName;
    this.status = snapshot.status;
    this.result = snapshot.result;
    this.error = snapshot.error;
    this.cancelReason = snapshot.cancelReason;
    this.history = snapshot.history;
    this.subTasks = snapshot.subTasks;
    this.usage = snapshot.usage;
    this.approvals = snapshot.approvals;
    this.parentTaskId = snapshot.parentTaskId;
    this.lastEventSeq = snapshot.lastEventSeq;
    this.createdAt = new Date(snapshot.createdAt);
    this.updatedAt = new Date(snapshot.updatedAt);
  }

  /** True once the task has an outcome: `completed`, `failed` or `cancelled`. */
  isComplete(): boolean {
    return isTerminalStatus(this.status);
  }

  /** True when the model has answered (status `completed`). */
  isSuccessful(): boolean {
    return this.status === TaskStatus.Completed;
  }

  /** The newest message of the conversation. */
  getLastMessage(): ChatMessage | undefined {
    return this.history[this.history.length - 1];
  }

  getAssistantMessages(): AssistantMessage[] {
    return this.history.filter((message): message is AssistantMessage => message.role === 'assistant');
  }

  getToolCallsCount(): number {
    return this.getToolCalls().length;
  }

  /** Text of user and assistant messages, separated by blank lines; tool traffic left out. */
  getTextContent(): string {
    return conversationText(this.history);
  }

  /** Every tool call with its arguments and result, in order. */
  getToolCalls(): ToolCallRecord[] {
    return conversationToolCalls(this.history);
  }

  /** The conversation split at user messages; turn 0 includes the system prompt. */
  getTurns(): ConversationTurn[] {
    return conversationTurns(this.history);
  }

  /** Turn `index` (from 0), or undefined. */
  getTurn(index: number): ConversationTurn | undefined {
    return this.getTurns()[index];
  }

  turnCount(): number {
    return this.getTurns().length;
  }

  /** Fresh snapshots of this task's sub-agent tasks. */
  async getSubTasks(): Promise<Task[]> {
    return Promise.all(this.subTasks.map((taskId) => this.#operations.getTask(taskId)));
  }

  /** Tool calls of this task waiting for a decision. */
  async getPendingApprovals(): Promise<ApprovalRequest[]> {
    return this.#operations.getPendingApprovals(this.id);
  }

  /** Lets a pending tool call run. `ApprovalNotFoundError` for an unknown id. */
  async approve(approvalId: string, options?: { approvedBy?: string; reason?: string }): Promise<void> {
    await this.#operations.approve(this.id, approvalId, options);
  }

  /** Refuses a pending tool call; the model is told `[Tool call rejected: <reason>]`. */
  async reject(approvalId: string, reason?: string, options?: { rejectedBy?: string }): Promise<void> {
    await this.#operations.reject(this.id, approvalId, reason, options);
  }
}
