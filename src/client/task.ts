import type { z } from 'zod';
import type { ApprovalLogEntry, ApprovalRequest } from '../core/approval-request';
import {
  conversationText,
  conversationToolCalls,
  conversationTurns,
  type ConversationTurn,
  type ToolCallRecord,
} from '../core/conversation';
import type { BudgetSnapshot } from '../core/budget';
import type { BudgetRaise } from '../core/task-state';
import type { AssistantMessage, ChatMessage, TokenUsage } from '../core/messages';
import { TaskStatus, isTerminalStatus } from '../core/task-status';
import type { TaskSnapshot, TaskWaitingFor } from '../core/task-snapshot';
import { toOutputIssue } from '../agent/agent-output';
import { AgentStuckError, BudgetExceededError, OutputValidationError } from '../core/errors';
import type { BatchApprovalDecision, DecideApprovalsResult } from '../workflows/definitions';

/** What a {@link Task} asks of its `Zap` for its async helpers. */
export interface TaskOperations {
  getTask(taskId: string): Promise<Task>;
  getPendingApprovals(taskId: string): Promise<ApprovalRequest[]>;
  approve(taskId: string, approvalId: string, options?: { approvedBy?: string; reason?: string; budget?: BudgetRaise }): Promise<unknown>;
  reject(taskId: string, approvalId: string, reason?: string, options?: { rejectedBy?: string }): Promise<unknown>;
  decideApprovals(
    taskId: string,
    decisions: Readonly<Record<string, BatchApprovalDecision>>,
    options?: { decidedBy?: string },
  ): Promise<DecideApprovalsResult>;
}

/**
 * A snapshot of a task, as read from its workflow. Fields do not update by themselves: call
 * `zap.getTask(id)` again for fresh state. `TOutput` is the type of `output`: inferred from the
 * `outputSchema` of `executeTask` and `getTask`, `unknown` otherwise.
 */
export class Task<TOutput = unknown> {
  readonly id: string;
  /** Stored by the workflow; never parsed from the id. */
  readonly agentName: string;
  readonly status: TaskStatus;
  /** The model's latest answer. */
  readonly result: string | undefined;
  /**
   * The parsed JSON of the model's latest valid answer, when the task has an output schema (the
   * task's `outputSchema` or the agent's `output`); undefined before the first valid answer. Read
   * with a schema (`zap.getTask(id, { outputSchema })`), it has been parsed by that schema once
   * more on the client, so refinements the worker could not check hold too; when it fails them,
   * it is undefined and `outputError` says why.
   */
  readonly output: TOutput | undefined;
  /**
   * Why the task has no valid output: the task failed its output schema (repairs included), or
   * its output fails the schema it was read with. Carries the raw answer and the issues.
   */
  readonly outputError: OutputValidationError | undefined;
  /**
   * Why stuck detection failed the task (the same call, or the same results, again and again;
   * and the human decision when it escalated), as the typed error; undefined otherwise.
   */
  readonly stuckError: AgentStuckError | undefined;
  /** Which budget limit failed the task (`budget`), as the typed error; undefined otherwise. */
  readonly budgetError: BudgetExceededError | undefined;
  readonly error: string | undefined;
  /** The code of the failure that failed the task (`APPROVAL_TIMED_OUT`, `AGENT_STUCK`, …), from 0.2.0 workers. */
  readonly errorCode: string | undefined;
  /** Why the task was cancelled (the reason given to `cancelTask`), once it is. */
  readonly cancelReason: string | undefined;
  /**
   * The conversation in OpenAI chat-message format, system prompt first. Empty in the task a
   * follow-up returns (that call reads no conversation): `zap.getTask(id)` reads it.
   */
  readonly history: readonly ChatMessage[];
  /** Ids of sub-agent tasks. */
  readonly subTasks: readonly string[];
  readonly usage: TokenUsage;
  /** What the task's model calls cost in US dollars, where the worker knew the model's price (0 otherwise). */
  readonly costUsd: number;
  /** The task's budget (limits, spent, held for sub-agents, left), when it has one. */
  readonly budget: BudgetSnapshot | undefined;
  /** Every approval of the task with its decision, approver and reason. */
  readonly approvals: readonly ApprovalLogEntry[];
  /** What the task's current turn waits for: named events, approvals, sub-task answers. */
  readonly waitingFor: TaskWaitingFor;
  readonly parentTaskId: string | undefined;
  /** The tenant the task belongs to, when it was started with one. */
  readonly tenantId: string | undefined;
  /** The user the task belongs to, when it was started with one. */
  readonly userId: string | undefined;
  /** The schedule that started the task (`zap.schedules`), for a scheduled run. */
  readonly scheduleId: string | undefined;
  /** When a task started with `startAt` / `startDelay` starts, while it has not yet (status `pending`). */
  readonly startsAt: Date | undefined;
  /** `seq` of the newest durable event: pass it as `since` to stream only what comes next. */
  readonly lastEventSeq: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;

  /** Held in a private field so that logging or serializing a Task never exposes the Zap (and its keys). */
  readonly #operations: TaskOperations;

  /**
   * @param outputSchema parses `snapshot.output` into `output` (the zod schema of the task's
   *   output); without it, `output` is the JSON the worker validated
   */
  constructor(snapshot: TaskSnapshot, operations: TaskOperations, outputSchema?: z.ZodType) {
    this.#operations = operations;
    this.id = snapshot.taskId;
    this.agentName = snapshot.agentName;
    this.status = snapshot.status;
    this.result = snapshot.result;
    const output = readOutput<TOutput>(snapshot, outputSchema);
    this.output = output.value;
    this.outputError = output.error;
    this.stuckError = readStuckError(snapshot);
    this.budgetError =
      snapshot.budgetFailure && snapshot.status === TaskStatus.Failed
        ? new BudgetExceededError({ ...snapshot.budgetFailure, taskId: snapshot.taskId, ...(snapshot.error !== undefined ? { message: snapshot.error } : {}) })
        : undefined;
    this.error = snapshot.error;
    this.errorCode = snapshot.errorCode;
    this.cancelReason = snapshot.cancelReason;
    this.history = snapshot.history;
    this.subTasks = snapshot.subTasks;
    this.usage = snapshot.usage;
    this.costUsd = snapshot.costUsd ?? 0;
    this.budget = snapshot.budget;
    this.approvals = snapshot.approvals;
    // Workers before 0.2.0 do not report it.
    this.waitingFor = snapshot.waitingFor ?? { events: [], approvals: [], subTasks: [], eventWaits: [] };
    this.parentTaskId = snapshot.parentTaskId;
    this.tenantId = snapshot.tenantId;
    this.userId = snapshot.userId;
    this.scheduleId = snapshot.scheduleId;
    this.startsAt = snapshot.startsAt === undefined ? undefined : new Date(snapshot.startsAt);
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
  async approve(approvalId: string, options?: { approvedBy?: string; reason?: string; budget?: BudgetRaise }): Promise<void> {
    await this.#operations.approve(this.id, approvalId, options);
  }

  /** Refuses a pending tool call; the model is told `[Tool call rejected: <reason>]`. */
  async reject(approvalId: string, reason?: string, options?: { rejectedBy?: string }): Promise<void> {
    await this.#operations.reject(this.id, approvalId, reason, options);
  }

  /**
   * Decides several pending approvals in one update, all or none: an unknown id refuses the
   * whole batch (`ApprovalNotFoundError` naming every unknown id in `approvalIds`).
   *
   * @example
   * ```ts
   * await task.decide({ [refundId]: { decision: 'approve' }, [emailId]: { decision: 'reject', reason: 'Wrong address' } }, { decidedBy: 'ana' });
   * ```
   */
  async decide(
    decisions: Readonly<Record<string, BatchApprovalDecision>>,
    options?: { decidedBy?: string },
  ): Promise<DecideApprovalsResult> {
    return this.#operations.decideApprovals(this.id, decisions, options);
  }
}

/**
 * A snapshot's output, parsed by `schema` when given, and why the task has no valid output: its
 * failure (the output of an earlier request stays, like `result`), or the schema's verdict.
 */
function readStuckError(snapshot: TaskSnapshot): AgentStuckError | undefined {
  const { stuckFailure } = snapshot;
  if (!stuckFailure || snapshot.status !== TaskStatus.Failed) return undefined;
  return new AgentStuckError({
    ...stuckFailure,
    taskId: snapshot.taskId,
    agentName: snapshot.agentName,
    ...(snapshot.error !== undefined ? { message: snapshot.error } : {}),
  });
}

function readOutput<TOutput>(
  snapshot: TaskSnapshot,
  schema: z.ZodType | undefined,
): { value: TOutput | undefined; error: OutputValidationError | undefined } {
  const { taskId, outputFailure } = snapshot;
  const failed = outputFailure
    ? new OutputValidationError({ taskId, rawAnswer: outputFailure.rawAnswer, issues: outputFailure.issues, message: snapshot.error })
    : undefined;
  if (snapshot.output === undefined) return { value: undefined, error: failed };
  if (!schema) return { value: snapshot.output as TOutput, error: failed };
  const parsed = schema.safeParse(snapshot.output);
  if (parsed.success) return { value: parsed.data as TOutput, error: failed };
  const invalid = new OutputValidationError({ taskId, rawAnswer: snapshot.result ?? '', issues: parsed.error.issues.map(toOutputIssue) });
  return { value: undefined, error: failed ?? invalid };
}
