import type { CompletionIdentity } from '../../openai-wire/chat-completion-body';
import {
  buildChatCompletionChunk,
  buildRoleDelta,
  buildToolCallArgumentsDelta,
  buildToolCallsDelta,
  buildUsageChunk,
} from '../../openai-wire/chat-completion-chunks';
import type { ResolvedMessage } from './resolved-message';

/** Code points per `function.arguments` fragment when tool calls are streamed. */
export const DEFAULT_ARGUMENTS_FRAGMENT_LENGTH = 8;

/**
 * The `chat.completion.chunk` objects of a streamed answer, in order: a role chunk, content deltas (one
 * per word with its trailing whitespace, so they concatenate to the content exactly), tool call deltas
 * (the first of each call carries `index`, `id`, `type` and `function.name`, later ones `index` and
 * more `function.arguments`), a chunk with `finish_reason`, and with `includeUsage` a last chunk with
 * `choices: []` and `usage`.
 */
export function buildMessageChunks(
  message: ResolvedMessage,
  identity: CompletionIdentity,
  includeUsage: boolean,
): Record<string, unknown>[] {
  const chunk = (delta: Record<string, unknown>, finishReason: ResolvedMessage['finishReason'] | null = null) =>
    buildChatCompletionChunk(identity, delta, finishReason, includeUsage);

  const chunks: Record<string, unknown>[] = [chunk(buildRoleDelta(message.content !== null))];
  for (const piece of splitIntoWords(message.content ?? '')) {
    chunks.push(chunk({ content: piece }));
  }
  message.toolCalls.forEach((toolCall, index) => {
    chunks.push(chunk(buildToolCallsDelta([{ ...toolCall, arguments: '' }], index)));
    for (const fragment of splitIntoFragments(toolCall.arguments, DEFAULT_ARGUMENTS_FRAGMENT_LENGTH)) {
      chunks.push(chunk(buildToolCallArgumentsDelta(index, fragment)));
    }
  });
  chunks.push(chunk({}, message.finishReason));
  if (includeUsage) chunks.push(buildUsageChunk(identity, message.usage));
  return chunks;
}

/** Words with their trailing whitespace (leading whitespace is a piece of its own); joins back exactly. */
export function splitIntoWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Pieces of at most `length` code points (never splitting a surrogate pair); joins back exactly. */
export function splitIntoFragments(text: string, length: number): string[] {
  const codePoints = Array.from(text);
  const fragments: string[] = [];
  for (let start = 0; start < codePoints.length; start += length) {
    fragments.push(codePoints.slice(start, start + length).join(''));
  }
  return fragments;
}
