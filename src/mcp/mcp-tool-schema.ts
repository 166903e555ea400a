import type { FunctionToolDefinition, ToolCallOutcome } from '../core/tool-definition';

/** The parts of an MCP tool description (`tools/list` entry) that the model needs. */
export interface McpToolDescription {
  name: string;
  title?: string;
  description?: string;
  /** JSON Schema of the arguments; MCP requires `type: 'object'` but servers are not always strict. */
  inputSchema?: Record<string, unknown>;
  /** Behaviour hints; `idempotentHint` and `readOnlyHint` make a tool safe to retry. */
  annotations?: { idempotentHint?: boolean; readOnlyHint?: boolean; [key: string]: unknown };
}

/** One entry of a `CallToolResult`'s `content` (text, image, audio, resource, resource_link, …). */
export interface McpContentPart {
  type: string;
  [key: string]: unknown;
}

/** The parts of an MCP `CallToolResult` that become a tool call outcome. */
export interface McpCallToolResultLike {
  content?: readonly McpContentPart[];
  structuredContent?: unknown;
  isError?: boolean;
  /** Result shape of protocol version 2024-10-07, still sent by some servers. */
  toolResult?: unknown;
}

/**
 * Turns an MCP tool into the function definition the model sees.
 * `parameters` is always an object schema (`type: 'object'`, `properties` defaulting to `{}`),
 * because OpenAI-compatible endpoints reject anything else; `$schema` is dropped since some
 * providers refuse unknown top-level keywords.
 */
export function mcpToolToFunctionDefinition(tool: McpToolDescription): FunctionToolDefinition {
  const { $schema: _droppedSchemaUri, ...schema } = tool.inputSchema ?? {};
  const properties = schema['properties'];
  const parameters: Record<string, unknown> = {
    ...schema,
    type: 'object',
    properties: isPlainObject(properties) ? properties : {},
  };
  return {
    name: tool.name,
    description: tool.description ?? tool.title ?? '',
    parameters,
    idempotent: tool.annotations?.idempotentHint === true || tool.annotations?.readOnlyHint === true,
  };
}

/**
 * Turns an MCP `CallToolResult` into the text the model sees.
 * Text parts are joined with newlines; binary parts become short placeholders (`[image: image/png]`),
 * because the tool message of a chat completion only carries text. `structuredContent` is used
 * (as JSON) when the result has no text of its own.
 */
export function mcpCallResultToOutcome(result: McpCallToolResultLike): ToolCallOutcome {
  const lines: string[] = [];
  let hasText = false;
  for (const part of result.content ?? []) {
    const text = textOfPart(part);
    if (text.isText) hasText = true;
    lines.push(text.value);
  }
  if (!hasText) {
    if (result.structuredContent !== undefined) {
      lines.unshift(JSON.stringify(result.structuredContent));
    } else if (result.content === undefined && result.toolResult !== undefined) {
      lines.unshift(
        typeof result.toolResult === 'string' ? result.toolResult : JSON.stringify(result.toolResult),
      );
    }
  }
  return { content: lines.join('\n'), isError: result.isError === true };
}

function textOfPart(part: McpContentPart): { value: string; isText: boolean } {
  switch (part.type) {
    case 'text':
      return { value: stringField(part, 'text') ?? '', isText: true };
    case 'image':
    case 'audio':
      return { value: `[${part.type}: ${stringField(part, 'mimeType') ?? 'unknown type'}]`, isText: false };
    case 'resource': {
      const resource = isPlainObject(part['resource']) ? part['resource'] : {};
      const text = stringField(resource, 'text');
      if (text !== undefined) return { value: text, isText: true };
      return { value: `[resource: ${stringField(resource, 'uri') ?? 'unknown'}]`, isText: false };
    }
    case 'resource_link':
      return { value: `[resource: ${stringField(part, 'uri') ?? 'unknown'}]`, isText: false };
    default:
      return { value: `[${part.type}]`, isText: false };
  }
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
