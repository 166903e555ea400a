import { z } from 'zod';
import { DEFAULT_OUTPUT_SCHEMA_NAME } from '../core/defaults';
import { ZapConfigurationError, ZapValidationError } from '../core/errors';
import { fitsStrictMode, outputSchemaName, type OutputIssue, type OutputSettings } from '../core/structured-output';
import { modelSupportsStructuredOutput } from '../llm/model-capabilities';

/** An output schema, validated: the zod schema and what a task's settings carry of it. */
export interface CompiledOutputSchema {
  readonly schema: z.ZodType;
  /** JSON Schema (draft-7, output side) of the schema, without `$schema`. */
  readonly jsonSchema: Record<string, unknown>;
  /** `json_schema.name` of requests: the schema's `title` (`.meta({ title })`) when valid, else `output`. */
  readonly name: string;
  /** Whether the schema fits OpenAI's strict subset (`strict: true` is then sent). */
  readonly strict: boolean;
}

/**
 * Checks a zod output schema and converts it to JSON Schema once: draft-7 (what OpenAI's
 * Structured Outputs and its own zod helper use), output side (what the parsed value looks like:
 * defaults filled, objects closed). A schema JSON Schema cannot express (transforms, dates,
 * custom types) is refused, since the model could not be told the shape: at definition time a
 * `ZapConfigurationError` (`kind: 'configuration'`), at `executeTask` a `ZapValidationError`.
 */
export function compileOutputSchema(schema: unknown, where: string, kind: 'configuration' | 'validation'): CompiledOutputSchema {
  const fail = (message: string, cause?: unknown): never => {
    const options = { message: `${where}: ${message}`, cause };
    throw kind === 'configuration' ? new ZapConfigurationError(options) : new ZapValidationError(options);
  };
  if (typeof (schema as { safeParse?: unknown } | null | undefined)?.safeParse !== 'function') {
    return fail('must be a zod schema (z.object({ … })).');
  }
  let jsonSchema: Record<string, unknown> = {};
  try {
    jsonSchema = z.toJSONSchema(schema as z.ZodType, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
  } catch (error) {
    fail(
      `the schema cannot be converted to JSON Schema (${error instanceof Error ? error.message : String(error)}); ` +
        'use JSON types only: no transforms, dates or custom types.',
      error,
    );
  }
  delete jsonSchema.$schema;
  return {
    schema: schema as z.ZodType,
    jsonSchema,
    name: outputSchemaName(jsonSchema, DEFAULT_OUTPUT_SCHEMA_NAME),
    strict: fitsStrictMode(jsonSchema),
  };
}

/** What settings the agent's model and limits give a compiled schema. */
export interface OutputSettingsParts {
  compiled: CompiledOutputSchema;
  model: string;
  /** The agent's `supportsStructuredOutput` override. */
  supportsStructuredOutput: boolean | undefined;
  maxRepairTurns: number;
  source: OutputSettings['source'];
}

/** The output settings a task carries: the mode follows the model's capability (like vision). */
export function outputSettings(parts: OutputSettingsParts): OutputSettings {
  const { compiled, model, supportsStructuredOutput, maxRepairTurns, source } = parts;
  return {
    name: compiled.name,
    jsonSchema: compiled.jsonSchema,
    mode: modelSupportsStructuredOutput(model, supportsStructuredOutput) ? 'json_schema' : 'instructions',
    strict: compiled.strict,
    maxRepairTurns,
    source,
  };
}

/**
 * The zod schema of a JSON Schema (draft-7), or undefined when zod cannot rebuild it. `executeTask`
 * refuses such schemas (a task's schema is rebuilt so on the worker); should one reach a worker
 * anyway, its answers are checked as JSON only there, and with the real schema by the client.
 */
export function rebuildSchema(jsonSchema: Record<string, unknown>): z.ZodType | undefined {
  try {
    return z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0], { defaultTarget: 'draft-7' });
  } catch {
    return undefined;
  }
}

/** A zod issue as plain JSON: code, path (symbols as strings) and message. */
export function toOutputIssue(issue: z.core.$ZodIssue): OutputIssue {
  return {
    code: issue.code,
    path: issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment))),
    message: issue.message,
  };
}
