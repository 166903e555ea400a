import type { ResolvedMessage } from './resolved-message';
import type { ScriptedUsage } from './scripted-response';

/** Identity shared by a completion and all chunks of the same stream. */
export interface CompletionIdentity {
  /** `chatcmpl-...` */
  id: string;
  /** Unix seconds. */
  created: number;
  /** Echo of the request's model. */
  model: string;
}

/** The `usage` object of the OpenAI wire format. */
export function usageBody(usage: ScriptedUsage): Record<string, number> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** A non-streaming `chat.completion` response body, as the OpenAI API sends it. */
export function buildChatCompletion(
  message: ResolvedMessage,
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
          content: message.content,
          refusal: null,
          ...(message.toolCalls.length > 0
            ? {
                tool_calls: message.toolCalls.map((toolCall) => ({
                  id: toolCall.id,
                  type: 'function',
                  function: { name: toolCall.name, arguments: toolCall.arguments },
                })),
              }
            : {}),
        },
        finish_reason: message.finishReason,
        logprobs: null,
      },
    ],
    usage: usageBody(message.usage),
  };
}
