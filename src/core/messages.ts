import { z } from 'zod';

/**
 * Conversation messages in OpenAI chat-completions format. The zod schemas are the wire format
 * (activity inputs, query results); the TypeScript types are derived from them.
 */

export const textContentPartSchema = z.object({ type: z.literal('text'), text: z.string() });

export const imageContentPartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string(), detail: z.enum(['auto', 'low', 'high']).optional() }),
});

export const contentPartSchema = z.discriminatedUnion('type', [
  textContentPartSchema,
  imageContentPartSchema,
]);

export const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const systemMessageSchema = z.object({ role: z.literal('system'), content: z.string() });

export const userMessageSchema = z.object({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(contentPartSchema)]),
});

export const assistantMessageSchema = z.object({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  tool_calls: z.array(toolCallSchema).optional(),
});

export const toolMessageSchema = z.object({
  role: z.literal('tool'),
  tool_call_id: z.string(),
  content: z.string(),
});

export const chatMessageSchema = z.discriminatedUnion('role', [
  systemMessageSchema,
  userMessageSchema,
  assistantMessageSchema,
  toolMessageSchema,
]);

export type TextContentPart = z.infer<typeof textContentPartSchema>;
export type ImageContentPart = z.infer<typeof imageContentPartSchema>;
export type ContentPart = z.infer<typeof contentPartSchema>;
/** Text, or multimodal parts (text and images) in OpenAI content-part format. */
export type MessageContent = string | ContentPart[];
export type ToolCall = z.infer<typeof toolCallSchema>;
export type SystemMessage = z.infer<typeof systemMessageSchema>;
export type UserMessage = z.infer<typeof userMessageSchema>;
export type AssistantMessage = z.infer<typeof assistantMessageSchema>;
export type ToolMessage = z.infer<typeof toolMessageSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Token usage reported by the provider, summed over a task. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Of `promptTokens`: those the provider served from its prompt cache (absent: none reported). */
  cachedPromptTokens?: number;
}
