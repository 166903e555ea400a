/**
 * What a pending approval does at its timeout: `reject` (the model is told it timed out),
 * `approve` (the call runs, and the model is told no human decided), `fail` (the task fails with
 * `APPROVAL_TIMED_OUT`), `escalate` (an `approval_escalated` event and hook, then one more wait).
 */
export type ApprovalTimeoutPolicy = 'reject' | 'approve' | 'fail' | 'escalate';

/** A tool call (or a stuck task, `kind: 'stuck'`; a pipeline gate, `kind: 'gate'`) waiting for a human decision. */
export interface ApprovalRequest {
  id: string;
  /**
   * `stuck`: the task is stuck and its agent escalates (approve to go on, with an optional
   * `reason` the model gets as guidance; reject to stop it). Absent: a gated tool call (0.2.0).
   */
  kind?: 'tool_call' | 'stuck' | 'gate' | 'budget';
  /**
   * For `kind: 'gate'` (a gate of a pipeline run): the gate's message, computed when the run
   * reached it; `toolName` is the gate's step name and `agentName` is `pipeline:<name>`.
   */
  message?: string;
  /**
   * For `kind: 'budget'` (the task's budget would be exceeded and its policy is `ask`): which
   * limit, and where the task stands. Approve with new limits (`approve(id, { budget: { maxUsd: 2 } })`)
   * to go on; reject (or let it time out) to fail the task. `toolName` is the limit's option name.
   */
  budget?: {
    limit: 'usd' | 'tokens' | 'modelCalls' | 'toolCalls';
    spentUsd: number;
    maxUsd?: number;
    spentTokens: number;
    maxTokens?: number;
    modelCalls: number;
    maxModelCalls?: number;
  };
  /** For `kind: 'stuck'`: why, and for how many consecutive iterations (`toolName` is the repeated tool). */
  stuck?: { reason: 'repeated_call' | 'no_progress'; repeats: number };
  /**
   * What the call does, for the human deciding: the tool's `describe` when it has one, else the
   * tool-call phrase (“Calling refund with amount: 250”). Absent on approvals of 0.1.0 tasks.
   */
  summary?: string;
  /** What happens when no decision arrives by `timeoutAt` (absent: `reject`). */
  onTimeout?: ApprovalTimeoutPolicy;
  /** Set once the approval was escalated after its first timeout (`onTimeout: 'escalate'`). */
  escalatedAt?: string;
  toolName: string;
  toolArgs: Record<string, unknown>;
  agentName: string;
  taskId: string;
  /** ISO-8601. */
  requestedAt: string;
  /** ISO-8601; after this the call is treated as rejected (`timed_out`). */
  timeoutAt: string;
}

/** An approval with its outcome, as kept in the task's approval log. */
export interface ApprovalLogEntry extends ApprovalRequest {
  /** Undefined while pending. */
  decision?: 'approved' | 'rejected' | 'timed_out';
  reason?: string;
  /** Who decided, when the caller said (`approvedBy` / `rejectedBy`). */
  decidedBy?: string;
  /** ISO-8601. */
  decidedAt?: string;
}
