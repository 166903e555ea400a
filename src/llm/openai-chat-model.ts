import OpenAI, { APIUserAbortError } from 'openai';
import type { AssistantMessage, ChatMessage, TokenUsage } from '../core/messages';
import type { FunctionToolDefinition } from '../core/tool-definition';
import { collectCompletionStream } from './collect-completion-stream';
import type { ResolvedLlmEndpoint } from './llm-endpoint';
import { toLlmProviderError } from './provider-errors';

/**
 * Placeholder key for endpoints that need none (a local LiteLLM proxy, a test server): the
 * OpenAI client refuses to start without one.
 */
const NO_API_KEY = 'not-set';

/** One chat-completions call. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  tools: FunctionToolDefinition[];
  temperature?: number;
  maxTokens?: number;
  /** `none`: the model must answer without calling a tool (a task whose tool-call budget is used up). @default the provider's (`auto`) */
  toolChoice?: 'none';
  /** Aborts the HTTP request (activity cancellation or timeout). */
  signal?: AbortSignal;
  /** Per-request HTTP timeout in milliseconds. */
  timeoutMs?: number;
  /**
   * When given, the call streams (SSE) and this receives each text delta as the model produces
   * it. The result is the same as without streaming.
   */
  onDelta?: (delta: string) => void;
  /**
   * Asks for JSON matching a schema: sent as `response_format: { type: 'json_schema', json_schema:
   * { name, schema, strict } }` (OpenAI's Structured Outputs). The answer is returned as text,
   * unparsed, whether it matches or not.
   */
  responseFormat?: JsonSchemaResponseFormat;
}

/** A `json_schema` response format. */
export interface JsonSchemaResponseFormat {
  /** `[A-Za-z0-9_-]`, at most 64 characters. */
  name: string;
  schema: Record<string, unknown>;
  /** `strict: true` needs a schema in OpenAI's strict subset (closed objects, every property required). */
  strict: boolean;
}

/** The assistant message of a completion, normalised to the conversation format. */
export interface ChatCompletionResult {
  message: AssistantMessage;
  usage: TokenUsage;
  finishReason: string | null;
}

/**
 * Chat completions against an OpenAI-compatible endpoint. The OpenAI client's own retries are
 * off: Temporal retries the activity, so every attempt is visible, bounded by the agent's retry
 * policy, and honours `retry-after`.
 */
export class OpenAiChatModel {
  private readonly client: OpenAI;
  private readonly description: string;

  constructor(endpoint: ResolvedLlmEndpoint) {
    this.client = new OpenAI({
      baseURL: endpoint.baseURL,
      apiKey: endpoint.apiKey ?? NO_API_KEY,
      maxRetries: 0,
      defaultHeaders: endpoint.headers,
    });
    this.description = `the model endpoint ${this.client.baseURL}`;
  }

  async complete(request: ChatCompletionRequest): Promise<ChatCompletionResult> {
    const body = {
      model: request.model,
      messages: request.messages as OpenAI.Chat.Completions.ChatCompletionMessageParam[],
      ...(request.tools.length > 0 ? { tools: request.tools.map(toOpenAiTool) } : {}),
      ...(request.toolChoice && request.tools.length > 0 ? { tool_choice: request.toolChoice } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      ...(request.responseFormat
        ? {
            response_format: {
              type: 'json_schema' as const,
              json_schema: { name: request.responseFormat.name, schema: request.responseFormat.schema, strict: request.responseFormat.strict },
            },
          }
        : {}),
    };
    const options = { signal: request.signal, timeout: request.timeoutMs };
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      if (request.onDelta) {
        // The raw stream and our collector, not the client's `stream()` helper: the helper keeps a
        // guarded snapshot and emits events per chunk, which costs per token for nothing we use.
        const stream = await this.client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, options);
        try {
          completion = await collectCompletionStream(stream, request.onDelta);
        } catch (error) {
          // An aborted stream just ends; say it was aborted, as the helper did.
          if (stream.controller.signal.aborted || request.signal?.aborted) throw new APIUserAbortError();
          throw error;
        }
      } else {
        completion = await this.client.chat.completions.create(body, options);
      }
    } catch (error) {
      throw toLlmProviderError(error, this.description);
    }
    const choice = completion.choices[0];
    if (!choice) throw toLlmProviderError(new Error('the response has no choices'), this.description);
    return {
      message: toAssistantMessage(choice.message),
      usage: {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        ...(completion.usage?.prompt_tokens_details?.cached_tokens ? { cachedPromptTokens: completion.usage.prompt_tokens_details.cached_tokens } : {}),
      },
      finishReason: choice.finish_reason ?? null,
    };
  }
}

function toOpenAiTool(definition: FunctionToolDefinition): OpenAI.Chat.Completions.ChatCompletionTool {
  return {
    type: 'function',
    function: { name: definition.name, description: definition.description, parameters: definition.parameters },
  };
}

function toAssistantMessage(message: OpenAI.Chat.Completions.ChatCompletionMessage): AssistantMessage {
  const toolCalls = (message.tool_calls ?? [])
    .filter((call) => call.type === 'function')
    .map((call) => ({
      id: call.id,
      type: 'function' as const,
      function: { name: call.function.name, arguments: call.function.arguments ?? '' },
    }));
  const content = message.content ?? (message.refusal ? message.refusal : null);
  return toolCalls.length > 0 ? { role: 'assistant', content, tool_calls: toolCalls } : { role: 'assistant', content: content ?? '' };
}
