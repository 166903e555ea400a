import type { AgentTaskSettings, LifecycleHookName } from './agent-settings';
import type { ApprovalRequest } from './approval-request';
import type { StuckEvent } from './events';
import type { JsonValue } from './json';
import type { AssistantMessage, ChatMessage, TokenUsage } from './messages';
import type { BuildPipelineStepInput, CheckPipelineOutputInput, PipelineStepBuild } from './pipeline-state';
import type { OutputCheck, OutputSettings } from './structured-output';
import type { TaskStatusSnapshot } from './task-snapshot';
import type { ToolCallOutcome } from './tool-definition';

/**
 * The activities the agent workflow schedules. Inputs and outputs are plain JSON: the
 * conversation itself is never an input (the model activity reads it from the workflow by
 * query), so history grows linearly with the conversation.
 */
export interface ZapActivities {
  /** Calls the model with the first `messageCount` messages of the task's conversation. */
  invokeModel(input: InvokeModelInput): Promise<InvokeModelResult>;
  /**
   * A model call of a task with a budget, made at most once: its first attempt calls the model and
   * every failure it throws is final for Temporal (the workflow retries and charges each attempt);
   * a second attempt (after the first timed out, or its worker died) calls nothing but reports the
   * outcome unknown at once, from a live worker, with the first attempt's worst case (0.3.0).
   */
  invokeModelWithinBudget(input: InvokeModelInput): Promise<InvokeModelResult>;
  /** Runs one tool call (local tool or MCP) and returns its text result. */
  callTool(input: CallToolInput): Promise<ToolCallOutcome>;
  /**
   * Runs one call of a tool that is not idempotent, at most once: its first attempt runs the tool
   * and every failure it throws is final for Temporal; a second attempt (after the first timed out,
   * or its worker died) does not run the tool but reports the outcome unknown at once, from a live
   * worker, so the workflow learns it without waiting for the dead worker's sticky queue (0.3.0).
   */
  callToolAtMostOnce(input: CallToolInput): Promise<ToolCallOutcome>;
  /** Resolves an agent's task settings (prompt from context) on the worker: used for sub-agents. */
  describeAgent(input: DescribeAgentInput): Promise<AgentTaskSettings>;
  /** Looks at a sub-task's workflow: is it alive and able to answer? (local activity) */
  checkSubTask(input: CheckSubTaskInput): Promise<SubTaskCheck>;
  /** Runs one lifecycle hook of an agent (`ZapAgent({ hooks })`) on the worker; at least once. */
  runHook(input: RunHookInput): Promise<void>;
  /**
   * Runs a pipeline step's user code on the worker: an agent step's `input` function (its request
   * and the settings of its task) or a gate's `message` function (the pipeline workflow).
   */
  buildPipelineStep(input: BuildPipelineStepInput): Promise<PipelineStepBuild>;
  /** Checks a pipeline step's output with the step's real zod schema, refinements included (the pipeline workflow). */
  checkPipelineOutput(input: CheckPipelineOutputInput): Promise<OutputCheck>;
  /**
   * Resolves an agent by name into what a task of it starts with: its settings (prompt from the
   * context) and the Zap's task settings (`runAgent` in a user's workflow, which starts the task
   * as its child).
   */
  resolveAgentTask(input: ResolveAgentTaskInput): Promise<ResolvedAgentTask>;
}

/** Input of {@link ZapActivities.resolveAgentTask}. */
export interface ResolveAgentTaskInput {
  agentName: string;
  context?: JsonValue;
  /** True when the request has images: the agent's model must be able to see them. */
  withImages?: boolean;
}

/** What {@link ZapActivities.resolveAgentTask} answers: the parts of a task's input that the worker's Zap decides. */
export interface ResolvedAgentTask {
  agent: AgentTaskSettings;
  eventLogLimit: number;
  inlineMessageBytes: number;
  continueAsNewAfterEvents?: number;
  historyHardStopEvents?: number;
  /** True when the namespace has the zap-agents search attributes (the task then keeps `ZapStatus` up to date). */
  searchAttributes: boolean;
}

/** Input of {@link ZapActivities.runHook}: the event, and the task as it was when it happened. */
export interface RunHookInput {
  hook: LifecycleHookName;
  taskId: string;
  agentName: string;
  /**
   * `<taskId>/<hook>/<seq of the event>`: the same for every attempt of this hook run, unique
   * across the task's life (an idempotency key for receivers).
   */
  deliveryId: string;
  /** ISO-8601; when the workflow recorded the event. */
  occurredAt: string;
  /** The task's status then (everything but the conversation). */
  snapshot: TaskStatusSnapshot;
  /** `onApprovalRequested`: the request. */
  approval?: ApprovalRequest;
  /** `onComplete`: the answer. */
  result?: string;
  /** `onFailed`: why. */
  error?: string;
  /** `onStuck`: what was detected and what the task does about it. */
  stuck?: Pick<StuckEvent, 'reason' | 'toolName' | 'repeats' | 'policy' | 'action' | 'iteration'>;
}

/** Input of {@link ZapActivities.invokeModel}. */
export interface InvokeModelInput {
  taskId: string;
  agentName: string;
  /** How many messages of the conversation this call answers; the workflow holds at least these. */
  messageCount: number;
  /** Model calls so far in the current request, from 1. */
  iteration: number;
  /** Model calls so far in the whole task, from 1 (tokens are published under it). */
  callIndex: number;
  /**
   * The newest messages, inline, when they are small: messages [from, messageCount). The worker
   * then needs no query when it already holds the first `from` (its cache from the previous
   * call). Bounded by the workflow's inline budget, so history stays linear.
   */
  tail?: { from: number; messages: ChatMessage[] };
  /**
   * The task's output schema: the call asks for JSON (`response_format` or the prompt addendum)
   * and a final answer is validated against it. Absent for tasks without one.
   */
  output?: OutputSettings;
  /**
   * Agents whose `approvalRules.requiresApproval` predicate applies to this task's tool calls
   * (from the task's rules); the activity evaluates them for each call of the answer.
   */
  approvalPredicates?: string[];
  /** Whether the task has a context (read by query when a predicate or `describe` needs it). */
  hasContext?: boolean;
  /**
   * The task's tenant: when the tenant has a budget (`zap.tenantBudgets`), the call reserves its
   * worst case from it before it is sent and settles with its cost after. Absent: no tenant.
   */
  tenantId?: string;
  /**
   * For a task with a budget: what is left, checked against the call's worst case (a prompt bound
   * plus the completion tokens) before the request is sent; the call's `max_tokens` is lowered to
   * what is left when needed.
   */
  budget?: ModelCallBudget;
}

/** What the model activity needs to keep one call within a task's budget. */
export interface ModelCallBudget {
  /** Nano-dollars left (absent: no USD limit). */
  remainingNanoUsd?: number;
  /** Tokens left (absent: no token limit). */
  remainingTokens?: number;
  /** The task's previous model call: its reported prompt and completion tokens and how many messages it answered (a tight prompt bound). */
  previous?: { promptTokens: number; completionTokens: number; messageCount: number };
  /** The tool-call limit is reached: the call is made with `tool_choice: 'none'`, so the model answers. */
  noMoreToolCalls?: boolean;
}

/** Result of {@link ZapActivities.invokeModel}. */
export interface InvokeModelResult {
  message: AssistantMessage;
  usage: TokenUsage;
  finishReason: string | null;
  /** For each tool the answer calls: whether it may be retried when a call's outcome is unknown. */
  toolHints?: Record<string, ToolHint>;
  /** With `output` in the input and an answer without tool calls: the parsed output, or its issues. */
  output?: OutputCheck;
  /**
   * By tool call id: what the worker's approval predicates and `describe` functions said of the
   * call (recorded here, so replays never run them). Absent when none applies.
   */
  approvalHints?: Record<string, CallApprovalHint>;
  /** What the call cost in nano-dollars (the worker's price for the model); absent when its price is unknown. */
  costNanoUsd?: number;
}

/** The worker's verdict on one tool call of an answer. */
export interface CallApprovalHint {
  /** A tool's `requiresApproval` or an agent's approval predicate gates the call. */
  requiresApproval?: true;
  /** The tool's `describe` of the call. */
  summary?: string;
  /** Why a predicate or `describe` could not answer (the call is then gated; the summary falls back). */
  note?: string;
}

/** What the workflow needs to know about a tool before it runs a call. */
export interface ToolHint {
  idempotent: boolean;
  /**
   * The tool asks for local activities (`tool({ localActivity: true })`, idempotent tools only):
   * the workflow runs its calls with `proxyLocalActivities`. Absent in results of 0.1.0 and 0.2.0
   * workers, so their histories never take that path.
   */
  localActivity?: true;
  /**
   * A local `tool()` (run by an ordinary activity): its calls get the agent's `toolHeartbeatTimeoutMs`,
   * not the heartbeat timeout of model and MCP calls (0.3.0; absent: the latter, as before).
   */
  local?: true;
  /** The tool's own heartbeat timeout (`tool({ heartbeat })`), in milliseconds (0.3.0). */
  heartbeatTimeoutMs?: number;
}

/** Input of {@link ZapActivities.callTool} and {@link ZapActivities.callToolAtMostOnce}. */
export interface CallToolInput {
  taskId: string;
  agentName: string;
  toolCallId: string;
  toolName: string;
  arguments: Record<string, unknown>;
  /**
   * Whether the task has a context: the activity then reads it from the workflow (once per task
   * and worker) for local tools and for MCP servers that opt in with `receiveContext`.
   */
  hasContext?: boolean;
  /**
   * The context inline: in calls scheduled by 0.1.0 workflows, and in local activities (their
   * inputs are not written to history, and a query from inside one would wait for the very
   * workflow task that runs it).
   */
  context?: JsonValue;
}

/** Input of {@link ZapActivities.checkSubTask}. */
export interface CheckSubTaskInput {
  subTaskId: string;
}

/** What {@link ZapActivities.checkSubTask} found. */
export interface SubTaskCheck {
  /**
   * `running`: it can still answer; `stuck`: running, but its workflow task keeps failing;
   * `closed`: it ended (completed after its idle timeout, failed, cancelled, terminated, timed
   * out) without a report to its parent; `not_found`: no such workflow.
   */
  state: 'running' | 'stuck' | 'closed' | 'not_found';
  /** The Temporal status or failure, for the model. */
  detail?: string;
}

/** Input of {@link ZapActivities.describeAgent}. */
export interface DescribeAgentInput {
  agentName: string;
  context?: JsonValue;
}

/**
 * `ApplicationFailure.type` values that zap-agents activities and workflows throw; defined in
 * `failure-types.ts` with the codes of the error classes. Workflows branch on these, never on
 * error classes.
 */
export { FailureType } from './failure-types';
