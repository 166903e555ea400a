import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ZapError } from '../core/errors';
import type { OperationDescriptor } from '../operations';

/** `_meta` key of an error result: `{ code }`, the `ZapError` code, for clients that branch on it. */
export const MCP_ERROR_META_KEY = 'zap-agents/error';

/**
 * The operation's output schema as an MCP output schema. MCP requires structured content, and
 * so output schemas, to be objects: every operation of the catalog returns one.
 */
export function mcpOutputSchema(operation: OperationDescriptor): z.ZodObject {
  if (!(operation.output instanceof z.ZodObject)) throw new Error(`Operation ${operation.name} must return an object for MCP.`);
  return operation.output;
}

/**
 * A successful call: the result as `structuredContent` and, for clients that read only text (and
 * for zap-agents' own MCP client, which hands text to the model), the same JSON as text.
 */
export function operationToolResult(operation: OperationDescriptor, value: unknown): CallToolResult {
  const structured = value as Record<string, unknown>;
  return { structuredContent: structured, content: [{ type: 'text', text: JSON.stringify(structured) }] };
}

/**
 * A refused or failed operation as a tool error the caller (often a model) reads and can act
 * on: `TASK_NOT_FOUND: …`. Not a protocol error: the call itself was well-formed. No
 * `structuredContent`, which would have to match the output schema.
 */
export function operationErrorResult(error: ZapError): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    _meta: { [MCP_ERROR_META_KEY]: { code: error.code } },
  };
}
