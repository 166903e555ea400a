import type { AssistantMessage, ChatMessage, MessageContent, UserMessage } from './messages';
import { parseToolArguments } from './tool-arguments';

/** A tool call of the conversation with its result, when it has one. */
export interface ToolCallRecord {
  name: string;
  /** Parsed arguments; `{}` when the model sent invalid JSON (see `rawArguments`). */
  arguments: Record<string, unknown>;
  rawArguments: string;
  result: string | undefined;
  toolCallId: string;
}

/**
 * A user message and everything that answered it (assistant messages, tool calls and their
 * results) up to the next user message. Turn 0 also holds the system prompt.
 */
export interface ConversationTurn {
  index: number;
  userMessage: UserMessage | undefined;
  messages: ChatMessage[];
}

/** The text of a message content: text parts joined, images skipped. */
export function contentText(content: MessageContent | null): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((part) => part.type === 'text')
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('\n');
}

/** Text of user and assistant messages, separated by blank lines; tool traffic left out. */
export function conversationText(history: readonly ChatMessage[]): string {
  return history
    .filter((message) => message.role === 'user' || message.role === 'assistant')
    .map((message) => contentText(message.content as MessageContent | null))
    .filter((text) => text.length > 0)
    .join('\n\n');
}

/** Every tool call in the conversation, in order, with its result. */
export function conversationToolCalls(history: readonly ChatMessage[]): ToolCallRecord[] {
  const results = new Map<string, string>();
  for (const message of history) {
    if (message.role === 'tool') results.set(message.tool_call_id, message.content);
  }
  return history
    .filter((message): message is AssistantMessage => message.role === 'assistant')
    .flatMap((message) => message.tool_calls ?? [])
    .map((call) => ({
      name: call.function.name,
      arguments: argumentsOrEmpty(call.function.arguments),
      rawArguments: call.function.arguments,
      result: results.get(call.id),
      toolCallId: call.id,
    }));
}

/** Splits the conversation at user messages; see {@link ConversationTurn}. */
export function conversationTurns(history: readonly ChatMessage[]): ConversationTurn[] {
  const turns: ConversationTurn[] = [];
  let current: ConversationTurn | undefined;
  for (const message of history) {
    if (message.role === 'user' && (current?.userMessage !== undefined || current === undefined)) {
      current = { index: turns.length, userMessage: message, messages: [message] };
      turns.push(current);
      continue;
    }
    if (current === undefined) {
      current = { index: 0, userMessage: undefined, messages: [] };
      turns.push(current);
    }
    if (message.role === 'user') current.userMessage = message;
    current.messages.push(message);
  }
  return turns;
}

/** The call's arguments, or `{}` when the model sent something that is not a JSON object. */
function argumentsOrEmpty(text: string): Record<string, unknown> {
  const parsed = parseToolArguments(text);
  return parsed.ok ? parsed.value : {};
}
