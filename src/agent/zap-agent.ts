import type { Duration, RetryPolicy } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { AgentTaskSettings } from '../core/agent-settings';
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
  DEFAULT_SUB_AGENT_TIMEOUT,
  MAX_ITERATIONS_LIMIT,
} from '../core/defaults';
import { ZapConfigurationError, ZapValidationError } from '../core/errors';
import { validateMcpClientConfig, type McpClientConfig } from '../mcp/mcp-client-config';
import type { LlmEndpointOptions } from '../llm/llm-endpoint';
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
   * Call the model with SSE streaming and publish its tokens to `streamTask` subscribers.
   * Turn off for endpoints without streaming support. @default true
   */
  streaming?: boolean;
  /** Per-agent endpoint, overriding the `Zap`-level `llm`. @default undefined */
  llm?: LlmEndpointOptions;
  /**
   * Temporal retry policies of the agent's activities; fields given replace the defaults.
   * @default llm: no attempt limit, 1 s → 1 min backoff (outages are waited out); tool: 3 attempts, 1 s → 10 s backoff
   */
  retry?: {
    llm?: RetryPolicy;
    tool?: RetryPolicy;
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
   * which a call whose worker died moves to another worker; and how long one `message_agent`
   * call waits for a sub-agent's answer (the sub-agent is checked for liveness meanwhile).
   * `llmDeadline` bounds one model call with all its retries (Temporal's schedule-to-close): past
   * it the task fails, and `zap.retryTask` or a follow-up takes it up again.
   * @default { llm: '2 minutes', tool: '1 minute', heartbeat: '20 seconds', subAgent: '24 hours', llmDeadline: none }
   */
  timeouts?: { llm?: Duration; tool?: Duration; heartbeat?: Duration; subAgent?: Duration; llmDeadline?: Duration };
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
  readonly maxToolResultBytes: number;
  readonly supportsVision: boolean | undefined;
  readonly streaming: boolean;
  readonly llm: LlmEndpointOptions | undefined;
  readonly retry: { readonly llm: RetryPolicy; readonly tool: RetryPolicy; readonly unknownOutcomes: boolean };
  readonly timeouts: {
    readonly llmMs: number;
    readonly toolMs: number;
    readonly heartbeatMs: number;
    readonly subAgentMs: number;
    readonly llmDeadlineMs: number | undefined;
  };

  constructor(options: ZapAgentOptions<TContext>) {
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
    if (!Number.isInteger(this.maxTokens) || this.maxTokens < 1) {
      throw new ZapConfigurationError({ message: `${where}: maxTokens must be a positive integer.` });
    }
    this.maxToolResultBytes =
      validateResultBound(options.maxToolResultBytes, `${where}: maxToolResultBytes`) ?? DEFAULT_MAX_TOOL_RESULT_BYTES;
    this.supportsVision = options.supportsVision;
    this.streaming = options.streaming ?? true;
    this.llm = options.llm;
    this.retry = {
      llm: { ...DEFAULT_LLM_RETRY_POLICY, ...options.retry?.llm },
      tool: { ...DEFAULT_TOOL_RETRY_POLICY, ...options.retry?.tool },
      unknownOutcomes: options.retry?.unknownOutcomes ?? false,
    };
    this.timeouts = {
      llmMs: parseDuration(options.timeouts?.llm ?? DEFAULT_LLM_TIMEOUT, `${where} timeouts.llm`),
      toolMs: parseDuration(options.timeouts?.tool ?? DEFAULT_TOOL_TIMEOUT, `${where} timeouts.tool`),
      heartbeatMs: parseDuration(options.timeouts?.heartbeat ?? DEFAULT_HEARTBEAT_TIMEOUT, `${where} timeouts.heartbeat`),
      subAgentMs: parseDuration(options.timeouts?.subAgent ?? DEFAULT_SUB_AGENT_TIMEOUT, `${where} timeouts.subAgent`),
      llmDeadlineMs:
        options.timeouts?.llmDeadline === undefined ? undefined : parseDuration(options.timeouts.llmDeadline, `${where} timeouts.llmDeadline`),
    };
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

  /** The JSON settings a task of this agent starts with. */
  taskSettings(context: TContext): AgentTaskSettings {
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
      subAgentTimeoutMs: this.timeouts.subAgentMs,
      ...(this.timeouts.llmDeadlineMs !== undefined ? { llmDeadlineMs: this.timeouts.llmDeadlineMs } : {}),
      toolBackoff: compileBackoff(this.retry.tool, `ZapAgent '${this.name}' retry.tool`),
      retryUnknownOutcomes: this.retry.unknownOutcomes,
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
