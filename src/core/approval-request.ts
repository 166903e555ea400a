/** A tool call waiting for a human decision. */
export interface ApprovalRequest {
  id: string;
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
