import type { LocalToolChoice, LocalToolDefinition } from './chat-completion-request';

/**
 * The JSON shape a model must produce to decide its next step, as a JSON schema in the subset that
 * node-llama-cpp turns into a grammar (GBNF). Decoding under that grammar makes every output a
 * well-formed decision: `{"type":"answer"}`, or `{"type":"tool_call","name":…,"arguments":{…}}` whose
 * name is one of the offered tools and whose arguments match that tool's parameter schema.
 */

/** A JSON schema in node-llama-cpp's grammar subset (`GbnfJsonSchema`), kept structural here. */
export type GrammarSchema = Readonly<Record<string, unknown>>;

/** Nesting depth past which parameter schemas are no longer followed (any primitive is accepted). */
const MAX_SCHEMA_DEPTH = 8;
const PRIMITIVE_TYPES = ['string', 'number', 'integer', 'boolean', 'null'] as const;
const STRING_FORMATS = new Set(['date-time', 'time', 'date']);
const ANY_PRIMITIVE: GrammarSchema = { type: ['string', 'number', 'boolean', 'null'] };

/** The decision `{"type":"answer"}`. */
export interface AnswerDecision {
  type: 'answer';
}

/** The decision to call one tool. */
export interface ToolCallDecision {
  type: 'tool_call';
  name: string;
  arguments: Record<string, unknown>;
}

export type ModelDecision = AnswerDecision | ToolCallDecision;

/**
 * The schema of a decision among `tools` under `toolChoice`: `auto` allows an answer or any tool,
 * `required` any tool, `{ name }` that tool only. (`none` needs no decision: the model answers.)
 */
export function buildDecisionSchema(tools: readonly LocalToolDefinition[], toolChoice: LocalToolChoice): GrammarSchema {
  const callable = typeof toolChoice === 'object' ? tools.filter((tool) => tool.name === toolChoice.name) : tools;
  const alternatives: GrammarSchema[] = callable.map((tool) => ({
    type: 'object',
    properties: {
      type: { const: 'tool_call' },
      name: { const: tool.name },
      arguments: toGrammarSchema({ type: 'object', ...tool.parameters }),
    },
  }));
  if (toolChoice === 'auto') alternatives.unshift({ type: 'object', properties: { type: { const: 'answer' } } });
  return alternatives.length === 1 ? alternatives[0]! : { oneOf: alternatives };
}

/**
 * A tool's JSON schema reduced to what a grammar can enforce: types, `enum`/`const`, `oneOf`/`anyOf`,
 * objects with their **required** properties (a small model fills every property a grammar lists, so
 * optional ones are left out rather than invented), arrays with `items`/`minItems`/`maxItems`, strings
 * with `minLength`/`maxLength` and date formats. Anything else (`$ref`, `allOf`, `not`, free-form maps)
 * becomes "any primitive value" or an empty object.
 */
export function toGrammarSchema(schema: unknown, depth = 0): GrammarSchema {
  if (!isRecord(schema) || depth > MAX_SCHEMA_DEPTH) return ANY_PRIMITIVE;
  if ('const' in schema && isPrimitive(schema.const)) return { const: schema.const };
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter(isPrimitive);
    if (values.length > 0) return { enum: values };
  }
  const alternatives = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined;
  if (alternatives && alternatives.length > 0) {
    return { oneOf: alternatives.map((alternative) => toGrammarSchema(alternative, depth + 1)) };
  }
  const type = schema.type;
  if (Array.isArray(type)) {
    const types = type.filter((entry): entry is string => typeof entry === 'string');
    if (types.length === 0) return ANY_PRIMITIVE;
    if (types.every(isPrimitiveType)) return types.length === 1 ? toGrammarSchema({ ...schema, type: types[0] }, depth) : { type: types };
    return { oneOf: types.map((entry) => toGrammarSchema({ ...schema, type: entry }, depth + 1)) };
  }
  switch (type) {
    case 'string':
      return stringSchema(schema);
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return { type };
    case 'array':
      return arraySchema(schema, depth);
    case 'object':
      return objectSchema(schema, depth);
    default:
      return isRecord(schema.properties) ? objectSchema(schema, depth) : ANY_PRIMITIVE;
  }
}

/** One line per tool, for the system prompt: name, description and its (required) arguments. */
export function describeTools(tools: readonly LocalToolDefinition[]): string {
  return tools
    .map((tool) => {
      const description = tool.description ? `: ${tool.description.trim()}` : '';
      return `- ${tool.name}${description} Arguments: ${describeArguments(tool.parameters)}`;
    })
    .join('\n');
}

/**
 * The decision in `text` (the grammar-constrained output), or undefined when it is not one: the output
 * was cut short by the token limit.
 */
export function parseDecision(text: string): ModelDecision | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  if (value.type === 'answer') return { type: 'answer' };
  if (value.type === 'tool_call' && typeof value.name === 'string') {
    return { type: 'tool_call', name: value.name, arguments: isRecord(value.arguments) ? value.arguments : {} };
  }
  return undefined;
}

/** How a tool call the model made appears in the prompt: the decision it produced. */
export function formatToolCallDecision(name: string, args: unknown): string {
  return JSON.stringify({ type: 'tool_call', name, arguments: args });
}

function describeArguments(parameters: Record<string, unknown>): string {
  const properties = isRecord(parameters.properties) ? parameters.properties : {};
  const required = requiredNames(parameters);
  const described = Object.entries(properties)
    .filter(([name]) => required.has(name))
    .map(([name, property]) => {
      const detail = isRecord(property) ? property : {};
      const type = Array.isArray(detail.enum)
        ? detail.enum.map((entry) => JSON.stringify(entry)).join(' | ')
        : typeof detail.type === 'string'
          ? detail.type
          : 'value';
      const description = typeof detail.description === 'string' ? ` (${detail.description.trim()})` : '';
      return `"${name}": ${type}${description}`;
    });
  return `{${described.join(', ')}}`;
}

function stringSchema(schema: Record<string, unknown>): GrammarSchema {
  if (typeof schema.format === 'string' && STRING_FORMATS.has(schema.format)) return { type: 'string', format: schema.format };
  return {
    type: 'string',
    ...(isCount(schema.minLength) ? { minLength: schema.minLength } : {}),
    ...(isCount(schema.maxLength) ? { maxLength: schema.maxLength } : {}),
  };
}

function arraySchema(schema: Record<string, unknown>, depth: number): GrammarSchema {
  return {
    type: 'array',
    items: isRecord(schema.items) ? toGrammarSchema(schema.items, depth + 1) : ANY_PRIMITIVE,
    ...(isCount(schema.minItems) ? { minItems: schema.minItems } : {}),
    ...(isCount(schema.maxItems) ? { maxItems: schema.maxItems } : {}),
  };
}

function objectSchema(schema: Record<string, unknown>, depth: number): GrammarSchema {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = requiredNames(schema);
  const kept = Object.entries(properties).filter(([name]) => required.has(name));
  return {
    type: 'object',
    properties: Object.fromEntries(kept.map(([name, property]) => [name, toGrammarSchema(property, depth + 1)])),
  };
}

function requiredNames(schema: Record<string, unknown>): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
}

function isPrimitiveType(type: string): boolean {
  return (PRIMITIVE_TYPES as readonly string[]).includes(type);
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
