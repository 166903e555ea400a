import type { RetryPolicy } from '@temporalio/common';
import type { ApprovalRulesSpec } from './approval-rules';
import type { OutputSettings } from './structured-output';

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
  /** Heartbeat timeout of model and MCP tool calls: how soon a dead worker's call moves to another worker. */
  heartbeatTimeoutMs: number;
  /**
   * Heartbeat timeout of local tool calls (0.3.0; after the state upgrade the task's
   * `heartbeatTimeoutMs`, the value such tasks used for every call). A tool's own `heartbeat`, recorded
   * in the model call's tool hints, wins.
   */
  toolHeartbeatTimeoutMs?: number;
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
  /**
   * The named events the agent may wait for (`wait_for_event`), by name; absent when it declares
   * none (0.2.0; `{}` after the state upgrade). The workflow refuses deliveries of other names.
   */
  events?: Record<string, AgentEventSettings>;
  /**
   * The task's output schema (the task's `outputSchema`, else the agent's `output`): final answers
   * are JSON validated against it, with repair turns. Absent: plain text answers, as before
   * (0.2.0; absent after the state upgrade).
   */
  output?: OutputSettings;
  /**
   * The agent's own approval rules (`ZapAgent({ approvalRules })`), for every task of the agent
   * whoever starts it; merged with a task's and a parent's rules. Absent: none (0.2.0).
   */
  approvalRules?: ApprovalRulesSpec;
  /**
   * Stuck detection (`ZapAgent({ stuck })`): how many consecutive iterations of the same call or
   * of the same results count as stuck, and what the task then does. Absent: no detection (how
   * tasks started before 0.2.0 behave; new tasks get the defaults unless the agent says `false`).
   */
  stuck?: StuckSettings;
  /**
   * The lifecycle hooks the agent defines (`ZapAgent({ hooks })`), by name: the workflow runs
   * each as a `runHook` activity; the functions stay on the worker (0.2.0; `[]` after the state
   * upgrade).
   */
  hooks?: LifecycleHookName[];
  /** Retry policy of the `runHook` activity (0.2.0; absent: `DEFAULT_HOOK_RETRY_POLICY`). */
  hookRetry?: RetryPolicy;
  /**
   * The agent's nudge (`ZapAgent({ nudge })`): the follow-up an answered task receives when no
   * user message arrives within `afterMs` (0.2.0; absent: no nudges, also after the state upgrade).
   */
  nudge?: NudgeSettings;
}

/**
 * What a stuck task does: `stop` fails it (`AgentStuckError`); `retry` tells the model it repeats
 * itself and goes on, once per request, then stops; `escalate` asks a human through an approval
 * (approve = go on, reject or timeout = stop).
 */
export type StuckPolicy = 'stop' | 'retry' | 'escalate';

/** Stuck detection as a task knows it (compiled from the agent's `stuck` option). */
export interface StuckSettings {
  /** Consecutive iterations of one call (or of identical results) that count as stuck; at least 2. */
  threshold: number;
  policy: StuckPolicy;
  /** How long an escalation waits for a human before the task stops, in milliseconds. */
  escalationTimeoutMs: number;
}

/** A nudge as a task knows it (compiled from the agent's `nudge` option). */
export interface NudgeSettings {
  /** Quiet period after an answer, in milliseconds; a nudge fires only when it is shorter than the idle timeout. */
  afterMs: number;
  /** The follow-up the task receives, as a user message. */
  message: string;
}

/** A lifecycle hook of an agent (`ZapAgent({ hooks })`). */
export type LifecycleHookName = 'onStart' | 'onComplete' | 'onFailed' | 'onStuck' | 'onApprovalRequested' | 'onApprovalEscalated';

/** Every {@link LifecycleHookName}, in the order a task can reach them. */
export const LIFECYCLE_HOOK_NAMES: readonly LifecycleHookName[] = ['onStart', 'onApprovalRequested', 'onApprovalEscalated', 'onStuck', 'onComplete', 'onFailed'];

/** A named event as a task knows it: what it means, and the JSON Schema of its data. */
export interface AgentEventSettings {
  description: string;
  /** JSON Schema of the event's data (from the agent's zod schema). */
  schema: Record<string, unknown>;
}
