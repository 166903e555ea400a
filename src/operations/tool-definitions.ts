import { z } from 'zod';
import { OPERATION_CATALOG, type OperationDescriptor } from './operation-catalog';

/** The tool-definition dialects {@link operationToolDefinitions} writes. */
export type ToolDefinitionFormat = 'openai' | 'anthropic' | 'mcp';

/**
 * The JSON Schema of an operation's input as models read it: what the caller may send (defaults
 * optional), without `$schema`.
 */
export function operationInputJsonSchema(operation: OperationDescriptor): Record<string, unknown> {
  const schema = z.toJSONSchema(operation.input, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

/** The JSON Schema of an operation's result. */
export function operationOutputJsonSchema(operation: OperationDescriptor): Record<string, unknown> {
  const schema = z.toJSONSchema(operation.output, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

/**
 * The operations as tool definitions for agents that call tools directly: OpenAI function tools,
 * Anthropic tools, or MCP `tools/list` entries. Each call maps to one operation (and one CLI
 * command, one HTTP route).
 *
 * @example
 * ```ts
 * const tools = operationToolDefinitions('openai');
 * await openai.chat.completions.create({ model, messages, tools });
 * ```
 */
export function operationToolDefinitions(format: ToolDefinitionFormat): Record<string, unknown>[] {
  return OPERATION_CATALOG.map((operation) => {
    const parameters = operationInputJsonSchema(operation);
    switch (format) {
      case 'openai':
        return { type: 'function', function: { name: operation.name, description: operation.description, parameters } };
      case 'anthropic':
        return { name: operation.name, description: operation.description, input_schema: parameters };
      case 'mcp':
        return {
          name: operation.name,
          description: operation.description,
          inputSchema: parameters,
          outputSchema: operationOutputJsonSchema(operation),
          annotations: { readOnlyHint: operation.readOnly, idempotentHint: operation.readOnly },
        };
    }
  });
}
