import { OpenAIError, type OpenAI } from 'openai';

type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;
type ChatCompletionChunk = OpenAI.Chat.Completions.ChatCompletionChunk;

/**
 * Builds the completion of a raw chat-completions stream (`create({ stream: true })`), passing
 * each text delta to `onDelta`. Every streamed call uses it instead of the OpenAI client's stream
 * helper, which keeps a guarded snapshot and emits events per chunk (a cost per token), and parses
 * `response_format` answers as JSON while they stream, throwing on one that is not (zap-agents
 * wants the raw answer, to validate it and, when invalid, ask for a repair). Only the first
 * choice is kept (zap-agents asks for one). A stream that ends without a `finish_reason` for it
 * (cut off, or no chunks at all) throws, as the helper does: a truncated answer is not an answer.
 */
export async function collectCompletionStream(
  stream: AsyncIterable<ChatCompletionChunk>,
  onDelta: (delta: string) => void,
): Promise<ChatCompletion> {
  let id = '';
  let model = '';
  let created = 0;
  let content: string | null = null;
  let refusal: string | null = null;
  let finishReason: OpenAI.Chat.Completions.ChatCompletion.Choice['finish_reason'] | null = null;
  let usage: ChatCompletion['usage'];
  const toolCalls: Array<{ id: string; name: string; arguments: string }> = [];
  for await (const chunk of stream) {
    id ||= chunk.id;
    model ||= chunk.model;
    created ||= chunk.created;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices.find((candidate) => candidate.index === 0) ?? chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta;
    if (delta?.content) {
      content = (content ?? '') + delta.content;
      onDelta(delta.content);
    }
    if (delta?.refusal) refusal = (refusal ?? '') + delta.refusal;
    for (const call of delta?.tool_calls ?? []) {
      const entry = (toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
      if (call.id) entry.id = call.id;
      if (call.function?.name) entry.name = call.function.name;
      if (call.function?.arguments) entry.arguments += call.function.arguments;
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  if (finishReason === null) throw new OpenAIError('The stream ended without a finish_reason: the answer is incomplete.');
  const calls = toolCalls.filter((call) => call !== undefined && call.name !== '');
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        logprobs: null,
        finish_reason: finishReason,
        message: {
          role: 'assistant',
          content,
          refusal,
          ...(calls.length > 0
            ? { tool_calls: calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })) }
            : {}),
        },
      },
    ],
    ...(usage ? { usage } : {}),
  };
}
