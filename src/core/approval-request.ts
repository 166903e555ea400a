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
