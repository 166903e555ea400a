import type { AssistantCompletion } from '../../openai-wire/chat-completion-body';
import { countMessageCharacters, estimateTokens } from './token-estimate';
import type { ScriptedTextMessage, ScriptedToolCallMessage } from './scripted-response';

/**
 * An assistant message ready to be written as a chat completion or a stream of chunks: tool calls with
 * their ids assigned and their arguments serialized. A scripted answer is never cut at a token limit.
 */
export interface ResolvedMessage extends AssistantCompletion {
  finishReason: 'stop' | 'tool_calls';
}

/**
 * Turns a scripted message into what is sent: tool call arguments as JSON strings, missing tool call ids
 * from `nextToolCallId`, usage estimated from the request messages unless scripted.
 */
export function resolveMessage(
  message: ScriptedTextMessage | ScriptedToolCallMessage,
  requestMessages: unknown,
  nextToolCallId: () => string,
): ResolvedMessage {
  const toolCalls = (message.toolCalls ?? []).map((toolCall) => ({
    id: toolCall.id ?? nextToolCallId(),
    name: toolCall.name,
    arguments:
      typeof toolCall.arguments === 'string' ? toolCall.arguments : JSON.stringify(toolCall.arguments),
  }));
  const content = message.content ?? null;
  const completionCharacters =
    (content?.length ?? 0) +
    toolCalls.reduce((sum, toolCall) => sum + toolCall.name.length + toolCall.arguments.length, 0);
  return {
    content,
    toolCalls,
    finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
    usage: message.usage ?? {
      promptTokens: estimateTokens(countMessageCharacters(requestMessages)),
      completionTokens: estimateTokens(completionCharacters),
    },
  };
}
