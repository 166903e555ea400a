/** A tool call (or a stuck task, `kind: 'stuck'`; a pipeline gate, `kind: 'gate'`) waiting for a human decision. */
export interface ApprovalRequest {
  id: string;
  /**
   * `stuck`: the task is stuck and its agent escalates (approve to go on, with an optional
   * `reason` the model gets as guidance; reject to stop it). Absent: a gated tool call (0.2.0).
   */
  kind?: 'tool_call' | 'stuck' | 'gate';
  /**
   * For `kind: 'gate'` (a gate of a pipeline run): the gate's message, computed when the run
   * reached it; `toolName` is the gate's step name and `agentName` is `pipeline:<name>`.
   */
  message?: string;
  /** For `kind: 'stuck'`: why, and for how many consecutive iterations (`toolName` is the repeated tool). */
  stuck?: { reason: 'repeated_call' | 'no_progress'; repeats: number };
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
