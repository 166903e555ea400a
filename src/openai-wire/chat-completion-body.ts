import type { TokenUsage } from '../core/messages';

/**
 * `chat.completion` bodies in the OpenAI wire format, as both OpenAI-compatible servers of this
 * package (the scripted test server and the local model server) send them.
 */

/** Why a completion ended, as OpenAI reports it. */
export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** A tool call the assistant makes; `arguments` is JSON text. */
export interface CompletionToolCall {
  /** `call_…` */
  id: string;
  /** Name of the function called. */
  name: string;
  /** The arguments object as JSON text, sent as is. */
  arguments: string;
}

/** A whole assistant answer, ready to be written as a completion or as a stream of chunks. */
export interface AssistantCompletion {
  content: string | null;
  toolCalls: readonly CompletionToolCall[];
  finishReason: FinishReason;
  usage: TokenUsage;
}

/** Identity shared by a completion and all chunks of the same stream. */
export interface CompletionIdentity {
  /** `chatcmpl-…` */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The request's model (or the server's own when the request names none). */
  model: string;
}

/** A non-streaming `chat.completion` response body. */
export function buildChatCompletionBody(
  completion: AssistantCompletion,
  identity: CompletionIdentity,
): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: completion.content,
          refusal: null,
          ...(completion.toolCalls.length > 0 ? { tool_calls: completion.toolCalls.map(buildToolCallBody) } : {}),
        },
        finish_reason: completion.finishReason,
        logprobs: null,
      },
    ],
    usage: buildUsageBody(completion.usage),
  };
}

/** A tool call as OpenAI sends it: `{ id, type: 'function', function: { name, arguments } }`. */
export function buildToolCallBody(toolCall: CompletionToolCall): Record<string, unknown> {
  return { id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.arguments } };
}

/** The `usage` object: prompt, completion and total tokens. */
export function buildUsageBody(usage: TokenUsage): Record<string, number> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}
