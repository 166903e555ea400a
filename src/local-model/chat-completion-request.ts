import { z } from 'zod';
import { textContentPartSchema, toolCallSchema } from '../core/messages';

/**
 * The part of an OpenAI chat-completions request body that the local model server understands: what
 * zap-agents (and most OpenAI clients) send. Unknown fields are ignored, as OpenAI-compatible servers do.
 */

/** Parts other than text (images, audio) are accepted; the model sees a placeholder for them. */
const otherPartSchema = z.looseObject({ type: z.string() });
const contentSchema = z.union([z.string(), z.array(z.union([textContentPartSchema, otherPartSchema]))]).nullable();

/** The tool call zap-agents stores (`core/messages`), except that a client may leave out `type`. */
const requestToolCallSchema = toolCallSchema.extend({ type: z.literal('function').default('function') });

const requestMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: contentSchema }),
  z.object({ role: z.literal('developer'), content: contentSchema }),
  z.object({ role: z.literal('user'), content: contentSchema }),
  z.object({
    role: z.literal('assistant'),
    content: contentSchema.optional(),
    tool_calls: z.array(requestToolCallSchema).optional(),
  }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string(), content: contentSchema }),
]);

const functionToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
]);

const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

/** zod schema of the request body of `POST /v1/chat/completions`. */
export const chatCompletionRequestSchema = z.object({
  model: z.string().optional(),
  messages: z.array(requestMessageSchema).min(1),
  tools: z.array(functionToolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
  response_format: responseFormatSchema.nullable().optional(),
});

export type RequestMessage = z.infer<typeof requestMessageSchema>;
export type RequestContent = z.infer<typeof contentSchema>;

/** A function tool the model may call. */
export interface LocalToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/** Which calls the model may make: OpenAI's `tool_choice`, with a named function as `{ name }`. */
export type LocalToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * What the answer must be: any JSON value (`json_object`), or JSON matching a schema
 * (`json_schema`); both are decoded under a grammar, so the answer is always well formed.
 */
export type LocalResponseFormat = { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown> };

/** A validated chat completion request, normalised for the engine. */
export interface LocalChatRequest {
  /** Model id echoed in the answer. */
  model: string | undefined;
  messages: RequestMessage[];
  tools: LocalToolDefinition[];
  toolChoice: LocalToolChoice;
  temperature: number | undefined;
  maxTokens: number | undefined;
  seed: number | undefined;
  stream: boolean;
  includeUsage: boolean;
  /** OpenAI's `response_format`, when it asks for JSON; undefined for text. */
  responseFormat: LocalResponseFormat | undefined;
}

/** Outcome of {@link parseChatCompletionRequest}: the request, or why it is invalid (an HTTP 400). */
export type ParsedChatRequest = { ok: true; request: LocalChatRequest } | { ok: false; message: string };

/** Validates a request body and normalises it; never throws. */
export function parseChatCompletionRequest(body: unknown): ParsedChatRequest {
  const parsed = chatCompletionRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, message: `Invalid chat completion request${where}: ${issue?.message ?? 'malformed body'}` };
  }
  const data = parsed.data;
  const tools = (data.tools ?? []).map((tool) => ({
    name: tool.function.name,
    description: tool.function.description ?? '',
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  const toolChoice: LocalToolChoice =
    typeof data.tool_choice === 'object' ? { name: data.tool_choice.function.name } : (data.tool_choice ?? 'auto');
  if (typeof toolChoice === 'object' && !tools.some((tool) => tool.name === toolChoice.name)) {
    return { ok: false, message: `tool_choice names '${toolChoice.name}', which is not among the request's tools` };
  }
  if (toolChoice === 'required' && tools.length === 0) {
    return { ok: false, message: "tool_choice 'required' needs at least one tool" };
  }
  return {
    ok: true,
    request: {
      model: data.model,
      messages: data.messages,
      tools,
      toolChoice,
      temperature: data.temperature ?? undefined,
      maxTokens: data.max_completion_tokens ?? data.max_tokens ?? undefined,
      seed: data.seed ?? undefined,
      stream: data.stream === true,
      includeUsage: data.stream_options?.include_usage === true,
      responseFormat: toResponseFormat(data.response_format),
    },
  };
}

function toResponseFormat(format: z.infer<typeof responseFormatSchema> | null | undefined): LocalResponseFormat | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  // A json_schema format without a schema constrains nothing but JSON itself.
  if (!format.json_schema.schema) return { type: 'json_object' };
  return { type: 'json_schema', name: format.json_schema.name, schema: format.json_schema.schema };
}

/** The text of a message content: text parts joined, other parts (images, audio) as a placeholder. */
export function contentText(content: RequestContent | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : `[${part.type}]`))
    .join('\n');
}
