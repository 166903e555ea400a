import type { Duration, RetryPolicy } from '@temporalio/common';
import type { z } from 'zod';
import { msToNumber } from '@temporalio/common/lib/time';
import type { AgentTaskSettings } from '../core/agent-settings';
import { ApprovalRules } from '../core/approval-rules';
import { compileBudget, type BudgetSpec, type TaskBudget } from '../core/budget';
import type { JsonContextCheck } from '../core/json';
import {
  DEFAULT_LLM_RETRY_POLICY,
  DEFAULT_LLM_TIMEOUT,
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MAX_TOOL_RESULT_BYTES,
  DEFAULT_MODEL,
  DEFAULT_TEMPERATURE,
  DEFAULT_TOOL_RETRY_POLICY,
  DEFAULT_TOOL_TIMEOUT,
  DEFAULT_HEARTBEAT_TIMEOUT,
  DEFAULT_TOOL_HEARTBEAT_TIMEOUT,
  DEFAULT_SUB_AGENT_TIMEOUT,
  MAX_ITERATIONS_LIMIT,
  DEFAULT_MAX_OUTPUT_REPAIR_TURNS,
  MAX_OUTPUT_REPAIR_TURNS_LIMIT,
  DEFAULT_HOOK_RETRY_POLICY,
} from '../core/defaults';
import { ZapConfigurationError, ZapValidationError } from '../core/errors';
import { validateMcpClientConfig, type McpClientConfig } from '../mcp/mcp-client-config';
import type { LlmEndpointOptions } from '../llm/llm-endpoint';
import { compileEventDefinitions, eventSettings, type DeclaredEvent, type ZapEventDefinition } from './agent-events';
import { compileOutputSchema, outputSettings, type CompiledOutputSchema } from './agent-output';
import type { LifecycleHooks } from '../hooks/lifecycle-hooks';
import type { StuckSettings } from '../core/agent-settings';
import { compileHooks, hookNames } from './agent-hooks';
import { compileStuckOptions, type StuckDetectionOptions } from './agent-stuck';
import { compileNudgeOptions, type NudgeOptions } from './agent-nudge';
import type { NudgeSettings } from '../core/agent-settings';
import { validateAgentName } from './names';
import { validateResultBound, type ZapTool } from './tool';

/** Options of {@link ZapAgent}. */
export interface ZapAgentOptions<TContext = unknown> {
  /** 1–100 chars of `[A-Za-z0-9_-]`, unique within a `Zap`. */
  name: string;
  /** The system prompt, or a function that builds it from the task's context when a task starts. */
  prompt: string | ((context: TContext) => string);
  /**
   * Sent verbatim to the OpenAI-compatible endpoint, so LiteLLM ids work
   * (`'anthropic/claude-sonnet-4-5'`).
   * @default 'gpt-4o'
   */
  model?: string;
  /** MCP servers (stdio or Streamable HTTP) whose tools the agent may call. @default [] */
  mcpClients?: McpClientConfig[];
  /** Local tools built with `tool()`. @default [] */
  tools?: ZapTool<TContext>[];
  /** Agents this one may delegate to with the built-in `message_agent` tool. @default [] */
  subAgents?: string[];
  /** How parent agents see this agent in `message_agent`. @default the first line of a static prompt */
  discoveryPrompt?: string;
  /** Model calls allowed per request (1–500); past it the task fails. @default 50 */
  maxIterations?: number;
  /** @default 0.7 */
  temperature?: number;
  /**
   * Upper bound on completion tokens per model call. An answer too large to store as an activity
   * result (over 1 MiB) fails the task without a retry, so the bound also caps what a runaway
   * generation costs.
   * @default 4096
   */
  maxTokens?: number;
  /**
   * The default budget of the agent's tasks (`{ maxUsd, maxTokens, maxModelCalls, maxToolCalls,
   * onExceeded }`): a task's own `budget` replaces the limits it names. Sub-agents draw from their
   * parent's budget, not from this one.
   * @default undefined (no budget)
   */
  budget?: TaskBudget;
  /**
   * Bytes (UTF-8) of one tool result the model receives, for the agent's local and MCP tools
   * (1 KiB to 1 MiB); a local tool's own `maxResultBytes` wins. A longer result is truncated and
   * ends with a marker telling the model its size and to ask for less (a filter, a page); the call
   * is not run again. Keeps results within Temporal's payload limits and the model's context.
   * @default 65536 (64 KiB, about 16k tokens)
   */
  maxToolResultBytes?: number;
  /** Overrides the built-in model capability table for images. @default undefined */
  supportsVision?: boolean;
  /**
   * Zod schema of the agent's answers (structured output). The model is asked for JSON matching it
   * (`response_format: json_schema` where the model supports it, else the schema in the system
   * prompt), each final answer is parsed and validated on the worker with this schema
   * (refinements included), an invalid one gets up to `maxOutputRepairTurns` repair turns, and
   * the task's `output` is the parsed value. A task's own `outputSchema` wins over it. It must
   * convert to JSON Schema: no transforms, dates or custom types.
   *
   * @example
   * ```ts
   * output: z.object({ sentiment: z.enum(['positive', 'neutral', 'negative']), summary: z.string() }),
   * ```
   * @default undefined (plain text answers)
   */
  output?: z.ZodType;
  /**
   * Overrides the built-in model capability table for `response_format: { type: 'json_schema' }`:
   * `false` describes the output schema in the system prompt instead.
   * @default undefined (the table decides)
   */
  supportsStructuredOutput?: boolean;
  /**
   * Repair turns per request after a final answer that fails the output schema (0–10): the model
   * is shown the validation error and asked again; past them the task fails with
   * `OutputValidationError`. Repairs are model calls and count as iterations.
   * @default 2
   */
  maxOutputRepairTurns?: number;
  /**
   * Call the model with SSE streaming and publish its tokens to `streamTask` subscribers (only
   * while someone subscribes). Turn off for endpoints without streaming support. `'when-watched'`
   * streams only the calls that start while the task has a token subscriber and makes the others
   * plain completions, which cost nothing per token; a subscriber attaching mid-call then gets
   * that call's text with the task's events, and live tokens from its next call. @default true
   */
  streaming?: boolean | 'when-watched';
  /** Per-agent endpoint, overriding the `Zap`-level `llm`. @default undefined */
  llm?: LlmEndpointOptions;
  /**
   * Temporal retry policies of the agent's activities; fields given replace the defaults.
   * @default llm: no attempt limit, 1 s → 1 min backoff (outages are waited out); tool: 3 attempts, 1 s → 10 s backoff; hook: 10 attempts, 1 s → 1 min backoff
   */
  retry?: {
    llm?: RetryPolicy;
    tool?: RetryPolicy;
    /**
     * Lifecycle hooks (`hooks`): a hook still failing after these attempts is logged and given up.
     * @default 10 attempts, 1 s → 1 min backoff
     */
    hook?: RetryPolicy;
    /**
     * Retry a tool call whose outcome is unknown (it timed out, or its worker or MCP server died
     * mid-call) even when the tool is not declared idempotent. Off by default: the model is told
     * the outcome is unknown instead, so a payment is never sent twice.
     * @default false
     */
    unknownOutcomes?: boolean;
  };
  /**
   * Start-to-close timeouts of one model call and one tool call; the heartbeat timeout after
   * which a model or MCP call whose worker died moves to another worker (`heartbeat`), and the
   * same for local tools (`toolHeartbeat`; a tool may set its own `heartbeat`); and how long one
   * `message_agent` call waits for a sub-agent's answer (the sub-agent is checked for liveness
   * meanwhile). `llmDeadline` bounds one model call with all its retries (Temporal's
   * schedule-to-close): past it the task fails, and `zap.retryTask` or a follow-up takes it up again.
   * Calls heartbeat every quarter of their heartbeat timeout; a local tool that blocks the event
   * loop for longer than its heartbeat timeout is taken for dead and retried (give it a longer
   * `heartbeat`). The worker warns when its event-loop delay approaches that.
   * @default { llm: '2 minutes', tool: '1 minute', heartbeat: '4 seconds', toolHeartbeat: '4 seconds', subAgent: '24 hours', llmDeadline: none }
   */
  timeouts?: { llm?: Duration; tool?: Duration; heartbeat?: Duration; toolHeartbeat?: Duration; subAgent?: Duration; llmDeadline?: Duration };
  /**
   * Named events the agent may wait for, by name (`[a-z][a-z0-9-]*`, up to 64 characters). The
   * agent then gets the built-in `wait_for_event` tool; `zap.sendEvent(taskId, name, data)`
   * validates the data against the event's zod schema and delivers it. An event that arrives
   * before the agent waits is kept for its next wait.
   *
   * @example
   * ```ts
   * events: {
   *   'email-verified': { description: 'The user clicked the link in the verification email', schema: z.object({ email: z.string() }) },
   * }
   * ```
   * @default {}
   */
  events?: Record<string, ZapEventDefinition>;
  /**
   * Tool calls of this agent that always need a human decision, whoever starts the task (a
   * caller's `approvalRules` add to them, never remove them; sub-agents follow their own).
   * @default undefined (none)
   */
  approvalRules?: ApprovalRules<TContext>;
  /**
   * Stuck detection: the same tool call with the same arguments, or the same tool results, for
   * `threshold` consecutive iterations (and reaching `maxIterations`) count as stuck; `policy`
   * says what happens then (`stop`, `retry` once with a nudge, `escalate` to a human). A `stuck`
   * event is emitted in every case. `false` turns it off.
   * @default { threshold: 3, policy: 'stop', escalationTimeout: '24 hours' }
   */
  stuck?: StuckDetectionOptions | false;
  /**
   * Lifecycle hooks (`onStart`, `onComplete`, `onFailed`, `onStuck`, `onApprovalRequested`): run
   * on a worker as activities with the task's status snapshot, durable and retried, at least once
   * (see `LifecycleHooks`); `webhookNotifier()` from `zap-agents/hooks` builds some for you.
   * @default {} (none)
   */
  hooks?: LifecycleHooks;
  /**
   * A follow-up the task receives when no user message arrives within `after` of an answer
   * (`{ after: '24 hours', message: 'Ask the customer whether the issue is solved.' }`): durable,
   * once per quiet period, cancelled by any real follow-up. Fires only when `after` is shorter
   * than the task's idle timeout (see `NudgeOptions`).
   * @default undefined (no nudges)
   */
  nudge?: NudgeOptions;
}

/**
 * An agent definition: prompt, model, tools and limits. Validated at construction
 * (`ZapConfigurationError`); cross-agent checks (duplicates, unknown sub-agents, cycles) run
 * when the `Zap` is built.
 *
 * @example
 * ```ts
 * const support = new ZapAgent({ name: 'Support', prompt: 'You help customers.', tools: [lookupOrder] });
 * ```
 */
export class ZapAgent<TContext = unknown> {
  readonly name: string;
  readonly prompt: string | ((context: TContext) => string);
  readonly model: string;
  readonly mcpClients: readonly McpClientConfig[];
  readonly tools: readonly ZapTool<TContext>[];
  readonly subAgents: readonly string[];
  readonly discoveryPrompt: string | undefined;
  readonly maxIterations: number;
  readonly temperature: number;
  readonly maxTokens: number;
  /** The default budget of the agent's tasks, compiled. */
  readonly budget: BudgetSpec | undefined;
  readonly maxToolResultBytes: number;
  readonly supportsVision: boolean | undefined;
  /** The output schema of the agent's answers, compiled; undefined for plain text answers. */
  readonly output: CompiledOutputSchema | undefined;
  readonly supportsStructuredOutput: boolean | undefined;
  readonly maxOutputRepairTurns: number;
  readonly streaming: boolean | 'when-watched';
  readonly llm: LlmEndpointOptions | undefined;
  /** Approval rules of every task of this agent. */
  readonly approvalRules: ApprovalRules<TContext> | undefined;
  /** Stuck detection, compiled; undefined when turned off (`stuck: false`). */
  readonly stuck: StuckSettings | undefined;
  /** The agent's lifecycle hooks (frozen). */
  readonly hooks: Readonly<LifecycleHooks>;
  /** The agent's nudge, compiled; undefined without one. */
  readonly nudge: NudgeSettings | undefined;
  readonly retry: { readonly llm: RetryPolicy; readonly tool: RetryPolicy; readonly hook: RetryPolicy; readonly unknownOutcomes: boolean };
  readonly timeouts: {
    readonly llmMs: number;
    readonly toolMs: number;
    readonly heartbeatMs: number;
    readonly toolHeartbeatMs: number;
    readonly subAgentMs: number;
    readonly llmDeadlineMs: number | undefined;
  };
  /** The named events the agent may wait for, by name. */
  readonly events: ReadonlyMap<string, DeclaredEvent>;

  constructor(options: ZapAgentOptions<TContext> & JsonContextCheck<TContext>) {
    validateAgentName(options?.name, 'ZapAgent');
    const where = `ZapAgent '${options.name}'`;
    this.name = options.name;

    if (typeof options.prompt === 'string') {
      if (options.prompt.trim() === '') throw new ZapConfigurationError({ message: `${where}: prompt is empty.` });
    } else if (typeof options.prompt !== 'function') {
      throw new ZapConfigurationError({ message: `${where}: prompt must be a string or a function of the context.` });
    }
    this.prompt = options.prompt;

    this.model = options.model ?? DEFAULT_MODEL;
    if (typeof this.model !== 'string' || this.model.trim() === '') {
      throw new ZapConfigurationError({ message: `${where}: model must be a non-empty string.` });
    }

    this.mcpClients = (options.mcpClients ?? []).map((config, index) =>
      validateMcpClientConfig(config, `${where} mcpClients[${index}]`),
    );
    const serverNames = new Set<string>();
    for (const config of this.mcpClients) {
      if (serverNames.has(config.name)) {
        throw new ZapConfigurationError({ message: `${where}: two MCP clients are named '${config.name}'.` });
      }
      serverNames.add(config.name);
    }

    this.tools = [...(options.tools ?? [])];
    const toolNames = new Set<string>();
    for (const zapTool of this.tools) {
      if (zapTool?.kind !== 'zap-tool') {
        throw new ZapConfigurationError({ message: `${where}: tools must be built with tool().` });
      }
      if (toolNames.has(zapTool.name)) {
        throw new ZapConfigurationError({ message: `${where}: two tools are named '${zapTool.name}'.` });
      }
      toolNames.add(zapTool.name);
    }

    this.subAgents = [...(options.subAgents ?? [])];
    for (const subAgent of this.subAgents) {
      validateAgentName(subAgent, `${where} subAgents`);
      if (subAgent === this.name) {
        throw new ZapConfigurationError({ message: `${where}: an agent cannot be its own sub-agent.` });
      }
    }
    if (new Set(this.subAgents).size !== this.subAgents.length) {
      throw new ZapConfigurationError({ message: `${where}: subAgents lists an agent twice.` });
    }

    this.discoveryPrompt = options.discoveryPrompt;
    this.maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    if (!Number.isInteger(this.maxIterations) || this.maxIterations < 1 || this.maxIterations > MAX_ITERATIONS_LIMIT) {
      throw new ZapConfigurationError({
        message: `${where}: maxIterations must be an integer from 1 to ${MAX_ITERATIONS_LIMIT}.`,
      });
    }
    this.temperature = options.temperature ?? DEFAULT_TEMPERATURE;
    if (typeof this.temperature !== 'number' || !(this.temperature >= 0 && this.temperature <= 2)) {
      throw new ZapConfigurationError({ message: `${where}: temperature must be a number from 0 to 2.` });
    }
    this.maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
    try {
      this.budget = options.budget === undefined ? undefined : compileBudget(options.budget, `${where}: budget`);
    } catch (error) {
      throw new ZapConfigurationError({ message: error instanceof Error ? error.message : String(error), cause: error });
    }
    if (!Number.isInteger(this.maxTokens) || this.maxTokens < 1) {
      throw new ZapConfigurationError({ message: `${where}: maxTokens must be a positive integer.` });
    }
    this.maxToolResultBytes =
      validateResultBound(options.maxToolResultBytes, `${where}: maxToolResultBytes`) ?? DEFAULT_MAX_TOOL_RESULT_BYTES;
    this.supportsVision = options.supportsVision;
    this.output = options.output === undefined ? undefined : compileOutputSchema(options.output, `${where} output`, 'configuration');
    this.supportsStructuredOutput = options.supportsStructuredOutput;
    this.maxOutputRepairTurns = options.maxOutputRepairTurns ?? DEFAULT_MAX_OUTPUT_REPAIR_TURNS;
    if (
      !Number.isInteger(this.maxOutputRepairTurns) ||
      this.maxOutputRepairTurns < 0 ||
      this.maxOutputRepairTurns > MAX_OUTPUT_REPAIR_TURNS_LIMIT
    ) {
      throw new ZapConfigurationError({
        message: `${where}: maxOutputRepairTurns must be an integer from 0 to ${MAX_OUTPUT_REPAIR_TURNS_LIMIT}.`,
      });
    }
    if (options.streaming !== undefined && typeof options.streaming !== 'boolean' && options.streaming !== 'when-watched') {
      throw new ZapConfigurationError({ message: `${where}: streaming must be true, false or 'when-watched'.` });
    }
    this.streaming = options.streaming ?? true;
    this.llm = options.llm;
    this.retry = {
      llm: { ...DEFAULT_LLM_RETRY_POLICY, ...options.retry?.llm },
      tool: { ...DEFAULT_TOOL_RETRY_POLICY, ...options.retry?.tool },
      hook: { ...DEFAULT_HOOK_RETRY_POLICY, ...options.retry?.hook },
      unknownOutcomes: options.retry?.unknownOutcomes ?? false,
    };
    this.timeouts = {
      llmMs: parseDuration(options.timeouts?.llm ?? DEFAULT_LLM_TIMEOUT, `${where} timeouts.llm`),
      toolMs: parseDuration(options.timeouts?.tool ?? DEFAULT_TOOL_TIMEOUT, `${where} timeouts.tool`),
      heartbeatMs: parseDuration(options.timeouts?.heartbeat ?? DEFAULT_HEARTBEAT_TIMEOUT, `${where} timeouts.heartbeat`),
      toolHeartbeatMs: parseDuration(options.timeouts?.toolHeartbeat ?? DEFAULT_TOOL_HEARTBEAT_TIMEOUT, `${where} timeouts.toolHeartbeat`),
      subAgentMs: parseDuration(options.timeouts?.subAgent ?? DEFAULT_SUB_AGENT_TIMEOUT, `${where} timeouts.subAgent`),
      llmDeadlineMs:
        options.timeouts?.llmDeadline === undefined ? undefined : parseDuration(options.timeouts.llmDeadline, `${where} timeouts.llmDeadline`),
    };
    this.events = compileEventDefinitions(options.events, where);
    if (options.approvalRules !== undefined && !(options.approvalRules instanceof ApprovalRules)) {
      throw new ZapConfigurationError({ message: `${where}: approvalRules must be an ApprovalRules instance (new ApprovalRules({ patterns })).` });
    }
    this.approvalRules = options.approvalRules;
    this.stuck = compileStuckOptions(options.stuck, where);
    this.hooks = compileHooks(options.hooks, where);
    this.nudge = compileNudgeOptions(options.nudge, where);
  }

  /** Builds the system prompt for a task from its context. */
  resolvePrompt(context: TContext): string {
    if (typeof this.prompt === 'string') return this.prompt;
    let prompt: unknown;
    try {
      prompt = this.prompt(context);
    } catch (error) {
      throw new ZapValidationError({
        message: `Agent '${this.name}': its prompt function threw: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
    if (typeof prompt !== 'string' || prompt.trim() === '') {
      throw new ZapValidationError({
        message: `Agent '${this.name}': its prompt function returned an empty or non-string prompt.`,
      });
    }
    return prompt;
  }

  /**
   * The JSON settings a task of this agent starts with; `outputSchema` is the task's own output
   * schema (compiled), which wins over the agent's `output`.
   */
  taskSettings(context: TContext, outputSchema?: CompiledOutputSchema): AgentTaskSettings {
    const output = outputSchema ?? this.output;
    const hooks = hookNames(this.hooks);
    return {
      agentName: this.name,
      systemPrompt: this.resolvePrompt(context),
      maxIterations: this.maxIterations,
      subAgents: [...this.subAgents],
      llmRetry: this.retry.llm,
      toolRetry: this.retry.tool,
      llmTimeoutMs: this.timeouts.llmMs,
      toolTimeoutMs: this.timeouts.toolMs,
      heartbeatTimeoutMs: this.timeouts.heartbeatMs,
      toolHeartbeatTimeoutMs: this.timeouts.toolHeartbeatMs,
      subAgentTimeoutMs: this.timeouts.subAgentMs,
      ...(this.timeouts.llmDeadlineMs !== undefined ? { llmDeadlineMs: this.timeouts.llmDeadlineMs } : {}),
      toolBackoff: compileBackoff(this.retry.tool, `ZapAgent '${this.name}' retry.tool`),
      retryUnknownOutcomes: this.retry.unknownOutcomes,
      ...(this.events.size > 0 ? { events: eventSettings(this.events) } : {}),
      ...(output
        ? {
            output: outputSettings({
              compiled: output,
              model: this.model,
              supportsStructuredOutput: this.supportsStructuredOutput,
              maxRepairTurns: this.maxOutputRepairTurns,
              source: outputSchema ? 'task' : 'agent',
            }),
          }
        : {}),
      ...(this.approvalRules ? { approvalRules: this.approvalRules.toSpec(this.name) } : {}),
      ...(this.stuck ? { stuck: this.stuck } : {}),
      ...(hooks.length > 0 ? { hooks, hookRetry: this.retry.hook } : {}),
      ...(this.nudge ? { nudge: { ...this.nudge } } : {}),
    };
  }
}

/** Milliseconds of a Temporal `Duration` ('2 minutes', 5000, …); throws a configuration error if invalid. */
export function parseDuration(value: Duration, where: string): number {
  let milliseconds: number;
  try {
    milliseconds = msToNumber(value);
  } catch (error) {
    throw new ZapConfigurationError({ message: `${where}: ${JSON.stringify(value)} is not a duration.`, cause: error });
  }
  if (!Number.isFinite(milliseconds) || milliseconds <= 0) {
    throw new ZapConfigurationError({ message: `${where}: ${JSON.stringify(value)} must be a positive duration.` });
  }
  return milliseconds;
}

/** The backoff numbers of a retry policy, for retries the workflow performs itself. */
function compileBackoff(policy: RetryPolicy, where: string): AgentTaskSettings['toolBackoff'] {
  const initialMs = parseDuration(policy.initialInterval ?? '1 second', `${where}.initialInterval`);
  const coefficient = policy.backoffCoefficient ?? 2;
  return {
    initialMs,
    coefficient,
    maximumMs: policy.maximumInterval !== undefined ? parseDuration(policy.maximumInterval, `${where}.maximumInterval`) : initialMs * 100,
    // 0 means unlimited in Temporal; the workflow's own loop keeps a bound.
    maximumAttempts: policy.maximumAttempts && policy.maximumAttempts > 0 ? policy.maximumAttempts : 10,
  };
}
