/**
 * Response bodies of the local model server in the OpenAI wire format: `chat.completion` objects,
 * `chat.completion.chunk` objects for server-sent events, and error bodies.
 */

/** Why a completion ended, as OpenAI reports it. */
export type LocalFinishReason = 'stop' | 'length' | 'tool_calls';

/** A tool call in a completion; `arguments` is JSON text. */
export interface LocalToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Token counts of one completion. */
export interface LocalUsage {
  promptTokens: number;
  completionTokens: number;
}

/** Identity shared by a completion and all chunks of its stream. */
export interface CompletionIdentity {
  /** `chatcmpl-…` */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The request's model, else the served one. */
  model: string;
}

/** A whole assistant answer. */
export interface LocalCompletion {
  content: string | null;
  toolCalls: LocalToolCall[];
  finishReason: LocalFinishReason;
  usage: LocalUsage;
}

/** The non-streaming `chat.completion` body. */
export function buildCompletionBody(completion: LocalCompletion, identity: CompletionIdentity): Record<string, unknown> {
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
          ...(completion.toolCalls.length > 0 ? { tool_calls: completion.toolCalls.map(toWireToolCall) } : {}),
        },
        finish_reason: completion.finishReason,
        logprobs: null,
      },
    ],
    usage: usageBody(completion.usage),
  };
}

/**
 * A `chat.completion.chunk` with one choice. With `include_usage` every chunk but the last carries
 * `usage: null`, as OpenAI sends them.
 */
export function buildChunk(
  identity: CompletionIdentity,
  delta: Record<string, unknown>,
  finishReason: LocalFinishReason | null,
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

/** The first delta of a streamed answer: the role, and `content: null` when the answer is tool calls. */
export function roleDelta(hasContent: boolean): Record<string, unknown> {
  return { role: 'assistant', content: hasContent ? '' : null, refusal: null };
}

/** A delta carrying every tool call whole (complete arguments in one fragment). */
export function toolCallsDelta(toolCalls: readonly LocalToolCall[]): Record<string, unknown> {
  return { tool_calls: toolCalls.map((call, index) => ({ index, ...toWireToolCall(call) })) };
}

/** The last chunk of a stream with `include_usage`: no choices, the usage. */
export function buildUsageChunk(identity: CompletionIdentity, usage: LocalUsage): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [],
    usage: usageBody(usage),
  };
}

/** An OpenAI-style error body: `{ error: { message, type, code, param } }`. */
export function errorBody(status: number, message: string): { error: Record<string, unknown> } {
  const type = status >= 400 && status < 500 ? 'invalid_request_error' : 'server_error';
  return { error: { message, type, code: null, param: null } };
}

function toWireToolCall(call: LocalToolCall): Record<string, unknown> {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

function usageBody(usage: LocalUsage): Record<string, number> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}
