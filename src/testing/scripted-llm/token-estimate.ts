/** Characters per token of the rough usage estimate. */
export const DEFAULT_CHARACTERS_PER_TOKEN = 4;

/** Rough token count of `characterCount` characters: divided by 4, rounded up, at least 1. */
export function estimateTokens(characterCount: number): number {
  return Math.max(1, Math.ceil(characterCount / DEFAULT_CHARACTERS_PER_TOKEN));
}

/**
 * Characters of text in chat-completion request messages: string contents, text parts of multimodal
 * contents, and the names and arguments of assistant tool calls. Anything malformed counts as 0.
 */
export function countMessageCharacters(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let characterCount = 0;
  for (const message of messages) {
    if (!isRecord(message)) continue;
    characterCount += countContentCharacters(message['content']);
    const toolCalls = message['tool_calls'];
    if (!Array.isArray(toolCalls)) continue;
    for (const toolCall of toolCalls) {
      const fn = isRecord(toolCall) ? toolCall['function'] : undefined;
      if (!isRecord(fn)) continue;
      characterCount += stringLength(fn['name']) + stringLength(fn['arguments']);
    }
  }
  return characterCount;
}

function countContentCharacters(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let characterCount = 0;
  for (const part of content) {
    if (isRecord(part)) characterCount += stringLength(part['text']);
  }
  return characterCount;
}

function stringLength(value: unknown): number {
  return typeof value === 'string' ? value.length : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
