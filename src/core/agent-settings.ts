import type { RetryPolicy } from '@temporalio/common';

/**
 * The orchestration settings of one agent for one task: what the workflow needs to drive it.
 * A plain JSON snapshot taken when the task starts (by the client, or by the worker for a
 * sub-agent), so a task keeps the settings it started with across worker deploys.
 * Model parameters, tools and endpoints are not here: the worker reads them from its own
 * agent definitions, and secrets never enter workflow history.
 */
export interface AgentTaskSettings {
  agentName: string;
  /** The system prompt, resolved from the context once, when the task starts. */
  systemPrompt: string;
  maxIterations: number;
  subAgents: string[];
  llmRetry: RetryPolicy;
  toolRetry: RetryPolicy;
  /** Start-to-close timeout of one model call, in milliseconds. */
  llmTimeoutMs: number;
  /** Start-to-close timeout of one tool call, in milliseconds. */
  toolTimeoutMs: number;
  /** Heartbeat timeout of model and tool calls: how soon a dead worker's call moves to another worker. */
  heartbeatTimeoutMs: number;
  /**
   * Backoff of the workflow's own retries of tools that are not idempotent (they run one attempt
   * per activity, so an ambiguous failure is never retried by Temporal behind our back).
   */
  toolBackoff: { initialMs: number; coefficient: number; maximumMs: number; maximumAttempts: number };
  /** Retry tool calls whose outcome is unknown even when the tool is not declared idempotent. */
  retryUnknownOutcomes: boolean;
  /** How long one `message_agent` call waits for the sub-agent's answer, in milliseconds (0.2.0). */
  subAgentTimeoutMs: number;
  /** Bound on one model call with all its retries (schedule-to-close), in milliseconds; none when absent (0.2.0). */
  llmDeadlineMs?: number;
}
