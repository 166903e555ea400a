import {
  buildToolCallBody,
  buildUsageBody,
  type CompletionIdentity,
  type CompletionToolCall,
  type FinishReason,
} from './chat-completion-body';
import type { TokenUsage } from '../core/messages';

/**
 * `chat.completion.chunk` objects, the server-sent events of a streamed completion. A stream is a
 * role chunk, content and tool call deltas, a chunk with `finish_reason`, and with
 * `stream_options.include_usage` a last chunk with the usage.
 */

/**
 * A chunk with one choice carrying `delta`. With `includeUsage` every chunk but the last carries
 * `usage: null`, as OpenAI sends them.
 */
export function buildChatCompletionChunk(
  identity: CompletionIdentity,
  delta: Record<string, unknown>,
  finishReason: FinishReason | null,
  includeUsage: boolean,
): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

/** The last chunk of a stream with `include_usage`: no choices, the usage. */
export function buildUsageChunk(identity: CompletionIdentity, usage: TokenUsage): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [],
    usage: buildUsageBody(usage),
  };
}

/** The first delta of a streamed answer: the role, and `content: null` when the answer is tool calls only. */
export function buildRoleDelta(hasContent: boolean): Record<string, unknown> {
  return { role: 'assistant', content: hasContent ? '' : null, refusal: null };
}

/**
 * A delta opening tool calls, numbered from `firstIndex`: each with its `index`, `id`, `type`, and
 * `function` (`name` and `arguments`, which later deltas may continue).
 */
export function buildToolCallsDelta(toolCalls: readonly CompletionToolCall[], firstIndex = 0): Record<string, unknown> {
  return { tool_calls: toolCalls.map((toolCall, offset) => ({ index: firstIndex + offset, ...buildToolCallBody(toolCall) })) };
}

/** A delta continuing the arguments of the tool call at `index`. */
export function buildToolCallArgumentsDelta(index: number, fragment: string): Record<string, unknown> {
  return { tool_calls: [{ index, function: { arguments: fragment } }] };
}
