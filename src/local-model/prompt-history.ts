import { stableStringify } from '../core/stable-stringify';
import {
  contentText,
  type LocalChatRequest,
  type LocalResponseFormat,
  type LocalToolDefinition,
  type RequestMessage,
} from './chat-completion-request';
import { describeTools, formatToolCallDecision } from './tool-call-grammar';

/**
 * How an OpenAI conversation is laid out for a small local model: node-llama-cpp chat history items
 * (system / user / model turns) that its chat wrapper renders with the model's own chat template.
 * Tool calls appear as the JSON decisions the model itself produces, and tool results as user turns,
 * since small models' templates have no tool role.
 */

/** A node-llama-cpp `ChatHistoryItem`, kept structural so this module needs no import of the ESM package. */
export type PromptHistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };

/** The instruction that ends the prompt when the model must decide between a tool call and an answer. */
export const DECISION_INSTRUCTION =
  'Reply with one JSON object: {"type":"tool_call","name":"<tool>","arguments":{...}} to call a tool, ' +
  'or {"type":"answer"} to answer the user.';
/** The instruction that ends the prompt when the model answers in prose after seeing tools. */
export const ANSWER_INSTRUCTION = 'Answer the user in plain text, using the tool results.';

/** The instruction that ends the prompt when the answer must be JSON (`response_format`); the grammar enforces it. */
export function jsonAnswerInstruction(format: LocalResponseFormat): string {
  return format.type === 'json_schema'
    ? `Answer the user with one JSON value matching this JSON Schema: ${JSON.stringify(format.schema)}`
    : 'Answer the user with one JSON value.';
}

/** The rendered conversation, shared by the decision and the answer prompts (so the KV cache is reused). */
export interface PromptHistory {
  /** System prompt (with the tool list), then the conversation. */
  conversation: PromptHistoryItem[];
  /**
   * Tool calls (`name` + arguments, see {@link toolCallKey}) made since the last user message whose
   * results are already in the conversation.
   */
  answeredCalls: ReadonlySet<string>;
}

/** Lays out `request` for the model; `tools` (when non-empty) are listed in the system prompt. */
export function buildPromptHistory(request: Pick<LocalChatRequest, 'messages'>, tools: readonly LocalToolDefinition[]): PromptHistory {
  const systemTexts: string[] = [];
  const turns: PromptHistoryItem[] = [];
  const callsById = new Map<string, { name: string; arguments: string }>();
  let answeredCalls = new Set<string>();
  let pendingResults: string[] = [];

  const flushResults = () => {
    if (pendingResults.length > 0) turns.push({ type: 'user', text: pendingResults.join('\n') });
    pendingResults = [];
  };

  for (const message of request.messages) {
    if (message.role !== 'tool') flushResults();
    switch (message.role) {
      case 'system':
      case 'developer':
        // Leading system messages form the system prompt; later ones stay where they are.
        if (turns.length === 0) systemTexts.push(contentText(message.content));
        else turns.push({ type: 'system', text: contentText(message.content) });
        break;
      case 'user':
        answeredCalls = new Set();
        turns.push({ type: 'user', text: contentText(message.content) });
        break;
      case 'assistant':
        turns.push({ type: 'model', response: [assistantText(message)] });
        for (const call of message.tool_calls ?? []) callsById.set(call.id, call.function);
        break;
      case 'tool': {
        const call = callsById.get(message.tool_call_id);
        const label = call ? `${call.name}(${call.arguments})` : 'the tool';
        pendingResults.push(`Result of ${label}: ${contentText(message.content)}`);
        if (call) answeredCalls.add(toolCallKey(call.name, parseArguments(call.arguments)));
        break;
      }
      default:
        assertNever(message);
    }
  }
  flushResults();

  if (tools.length > 0) systemTexts.push(`Tools you can call:\n${describeTools(tools)}`);
  const system = systemTexts.filter((text) => text.trim() !== '').join('\n\n');
  return {
    conversation: system ? [{ type: 'system', text: system }, ...turns] : turns,
    answeredCalls,
  };
}

/** Identity of a tool call: its name and its arguments with sorted keys. */
export function toolCallKey(name: string, args: unknown): string {
  return `${name}:${stableStringify(args)}`;
}

function assistantText(message: Extract<RequestMessage, { role: 'assistant' }>): string {
  const parts = [contentText(message.content)];
  for (const call of message.tool_calls ?? []) {
    parts.push(formatToolCallDecision(call.function.name, parseArguments(call.function.arguments)));
  }
  return parts.filter((part) => part !== '').join('\n');
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function assertNever(value: never): never {
  throw new Error(`Unexpected message: ${JSON.stringify(value)}`);
}
