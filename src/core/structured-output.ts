import { MAX_OUTPUT_ISSUE_MESSAGE_LENGTH, MAX_OUTPUT_ISSUES, MAX_OUTPUT_RAW_ANSWER_LENGTH } from './defaults';
import type { JsonValue } from './json';

/**
 * Structured output, the pure part: the output settings a task carries, the JSON extraction of
 * an answer, the prompt addendum of instruction mode, the repair request and the check of
 * OpenAI's strict subset. The zod side (schema conversion, validation) lives with the agent and
 * the model activity; this module is sandbox-safe.
 * @module
 */

/**
 * How a task asks its model for JSON: `json_schema` sends OpenAI's
 * `response_format: { type: 'json_schema' }`; `instructions` adds the schema to the system prompt.
 */
export type OutputMode = 'json_schema' | 'instructions';

/** The output schema of a task as its settings carry it: plain JSON, fixed when the task starts. */
export interface OutputSettings {
  /** `json_schema.name` of the request (`[A-Za-z0-9_-]`, at most 64 characters). */
  name: string;
  /** JSON Schema (draft-7) of the output, converted from the zod schema. */
  jsonSchema: Record<string, unknown>;
  mode: OutputMode;
  /** True when the schema fits OpenAI's strict subset: `json_schema` mode then sends `strict: true`. */
  strict: boolean;
  /** Repair turns after an invalid answer, per request. */
  maxRepairTurns: number;
  /**
   * `agent`: the agent's `output` (the worker validates with the agent's zod schema while its JSON
   * Schema is unchanged); `task`: the task's `outputSchema` (the worker rebuilds it from JSON Schema).
   */
  source: 'agent' | 'task';
}

/** One problem with an answer: a zod issue (`code`, `path`, `message`), or `invalid_json`. */
export interface OutputIssue {
  code: string;
  path: (string | number)[];
  message: string;
}

/** What the model activity found in a final answer: the parsed output, or what is wrong with it. */
export type OutputCheck = { valid: true; value: JsonValue } | { valid: false; issues: OutputIssue[] };

/** Where a task that failed its output schema stands: the answer and its issues (the task's snapshot). */
export interface OutputFailure {
  /** The answer, cut at {@link MAX_OUTPUT_RAW_ANSWER_LENGTH} characters. */
  rawAnswer: string;
  issues: OutputIssue[];
}

/** `json_schema.name` rule of the OpenAI API. */
const SCHEMA_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** An answer that is one fenced block: ```json … ``` (the language tag optional). */
const FENCED_ANSWER = /^```[A-Za-z0-9_-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?```$/;

/**
 * JSON Schema keywords OpenAI's strict mode accepts (its "supported schemas"); a schema with any
 * other keyword (`default`, `minLength`, `oneOf`, `allOf`, …) is sent with `strict: false`.
 */
const STRICT_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf', '$ref', '$defs',
  'definitions', 'description', 'title', 'pattern', 'format', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'minItems', 'maxItems',
]);

/**
 * The JSON value of an answer: the whole answer (whitespace around it allowed), or one ```json
 * fenced block that is the whole answer. Anything else (prose around the JSON, two values) is
 * an `invalid_json` issue the model is shown.
 */
export function extractJsonAnswer(text: string): { ok: true; value: unknown } | { ok: false; issue: OutputIssue } {
  let candidate = text.trim();
  const fenced = FENCED_ANSWER.exec(candidate);
  if (fenced) candidate = (fenced[1] ?? '').trim();
  if (candidate === '') return { ok: false, issue: invalidJson('The answer is empty; it must be one JSON value.') };
  try {
    return { ok: true, value: JSON.parse(candidate) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, issue: invalidJson(`The answer is not valid JSON (${reason}). Answer with the JSON value alone.`) };
  }
}

/** Issues cut to {@link MAX_OUTPUT_ISSUES}, each message to {@link MAX_OUTPUT_ISSUE_MESSAGE_LENGTH} characters. */
export function boundIssues(issues: readonly OutputIssue[]): OutputIssue[] {
  const kept = issues.slice(0, MAX_OUTPUT_ISSUES).map((issue) => ({
    code: issue.code,
    path: issue.path.slice(0, 32),
    message: cut(issue.message, MAX_OUTPUT_ISSUE_MESSAGE_LENGTH),
  }));
  if (issues.length > MAX_OUTPUT_ISSUES) {
    kept.push({ code: 'custom', path: [], message: `…and ${issues.length - MAX_OUTPUT_ISSUES} more issue(s).` });
  }
  return kept;
}

/** One line per issue: `- <path>: <message>` (no path for the value itself). */
export function formatIssues(issues: readonly OutputIssue[]): string {
  return issues.map((issue) => `- ${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('\n');
}

/** What instruction mode adds to the system prompt: the JSON Schema, and JSON only. */
export function outputInstructions(output: OutputSettings): string {
  const shape = output.jsonSchema.type === 'object' ? 'one JSON object' : 'one JSON value';
  return [
    `Answer with ${shape} only, matching this JSON Schema. No prose before or after it, no code fence.`,
    'If you need tools, call them first; your final answer is the JSON alone.',
    'JSON Schema:',
    JSON.stringify(output.jsonSchema),
  ].join('\n');
}

/** The user message of a repair turn: what was wrong with the previous answer, and to answer again. */
export function repairRequest(output: OutputSettings, issues: readonly OutputIssue[]): string {
  const shape = output.jsonSchema.type === 'object' ? 'one JSON object' : 'one JSON value';
  return [
    'Your previous answer does not match the required output schema:',
    formatIssues(issues),
    `Answer again with ${shape} only that matches the schema: no prose, no code fence.`,
  ].join('\n');
}

/** The failure record of an answer that failed its schema, bounded for history and the snapshot. */
export function outputFailure(rawAnswer: string, issues: readonly OutputIssue[]): OutputFailure {
  return { rawAnswer: cut(rawAnswer, MAX_OUTPUT_RAW_ANSWER_LENGTH), issues: boundIssues(issues) };
}

/** `json_schema.name` for a schema: its `title` when the API accepts it as a name, else `fallback`. */
export function outputSchemaName(jsonSchema: Record<string, unknown>, fallback: string): string {
  const title = jsonSchema.title;
  return typeof title === 'string' && SCHEMA_NAME_PATTERN.test(title) ? title : fallback;
}

/**
 * Whether OpenAI's strict mode accepts `schema`: an object at the root; every object closed
 * (`additionalProperties: false`) with all its properties required; only the keywords strict
 * mode supports. zod's output-side JSON Schema of objects without optional fields or defaults
 * qualifies.
 */
export function fitsStrictMode(schema: Record<string, unknown>): boolean {
  return schema.type === 'object' && fitsStrictNode(schema, 0);
}

function fitsStrictNode(node: unknown, depth: number): boolean {
  if (depth > 64) return false;
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return false;
  const record = node as Record<string, unknown>;
  for (const keyword of Object.keys(record)) if (!STRICT_KEYWORDS.has(keyword)) return false;
  const types = Array.isArray(record.type) ? record.type : [record.type];
  if (types.includes('object') || record.properties !== undefined) {
    const properties = (record.properties ?? {}) as Record<string, unknown>;
    const required = new Set(Array.isArray(record.required) ? record.required : []);
    if (record.additionalProperties !== false) return false;
    for (const [name, property] of Object.entries(properties)) {
      if (!required.has(name) || !fitsStrictNode(property, depth + 1)) return false;
    }
  }
  if (record.items !== undefined && !fitsStrictNode(record.items, depth + 1)) return false;
  if (Array.isArray(record.anyOf) && !record.anyOf.every((branch) => fitsStrictNode(branch, depth + 1))) return false;
  for (const definitions of [record.$defs, record.definitions]) {
    if (definitions === undefined) continue;
    if (typeof definitions !== 'object' || definitions === null) return false;
    if (!Object.values(definitions).every((definition) => fitsStrictNode(definition, depth + 1))) return false;
  }
  return true;
}

function invalidJson(message: string): OutputIssue {
  return { code: 'invalid_json', path: [], message };
}

function cut(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}…`;
}
