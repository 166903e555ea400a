import type OpenAI from 'openai';

type ChatCompletion = OpenAI.Chat.Completions.ChatCompletion;
type ChatCompletionChunk = OpenAI.Chat.Completions.ChatCompletionChunk;

/**
 * Builds the completion of a raw chat-completions stream (`create({ stream: true })`), passing
 * each text delta to `onDelta`. Used for requests with a `response_format`: the OpenAI client's
 * stream helper parses such answers as JSON while they stream and throws on one that is not,
 * whereas zap-agents wants the raw answer, to validate it and, when invalid, ask for a repair.
 * Only the first choice is kept (zap-agents asks for one).
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
      if (call.function?.name) entry.name += call.function.name;
      if (call.function?.arguments) entry.arguments += call.function.arguments;
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
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
        finish_reason: finishReason ?? 'stop',
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
