import { z } from 'zod';
import type { AgentEventSettings } from '../core/agent-settings';
import { ZapConfigurationError } from '../core/errors';

/** Names of named events: lower-case words joined by dashes (`email-verified`), 1–64 characters. */
const EVENT_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
const MAX_EVENT_NAME_LENGTH = 64;

/**
 * A named event an agent may wait for with the built-in `wait_for_event` tool, delivered by
 * `zap.sendEvent(taskId, name, data)`.
 */
export interface ZapEventDefinition<TSchema extends z.ZodType = z.ZodType> {
  /** What the event means, for the model (e.g. "The user clicked the link in the verification email"). */
  description: string;
  /**
   * Zod schema of the event's data: `zap.sendEvent` validates the data against it before it is
   * delivered. It must convert to JSON Schema (`z.toJSONSchema`): the model is told the shape.
   */
  schema: TSchema;
}

/** A named event of an agent, validated: its schema and that schema as JSON Schema. */
export interface DeclaredEvent {
  readonly name: string;
  readonly description: string;
  readonly schema: z.ZodType;
  /** The JSON Schema of the data, as the model and the task's settings see it. */
  readonly jsonSchema: Record<string, unknown>;
}

/**
 * Validates an agent's `events` option: names of `[a-z][a-z0-9-]*` up to 64 characters, a
 * non-empty description, and a zod schema that converts to JSON Schema. Throws
 * `ZapConfigurationError` naming the event and the problem.
 */
export function compileEventDefinitions(events: unknown, where: string): ReadonlyMap<string, DeclaredEvent> {
  const compiled = new Map<string, DeclaredEvent>();
  if (events === undefined) return compiled;
  if (typeof events !== 'object' || events === null || Array.isArray(events)) {
    throw new ZapConfigurationError({ message: `${where}: events must be an object of event definitions by name.` });
  }
  for (const [name, definition] of Object.entries(events as Record<string, unknown>)) {
    if (!EVENT_NAME_PATTERN.test(name) || name.length > MAX_EVENT_NAME_LENGTH) {
      throw new ZapConfigurationError({
        message:
          `${where}: event name ${JSON.stringify(name)} is invalid; use 1–${MAX_EVENT_NAME_LENGTH} characters of ` +
          "a-z, 0-9 and '-', starting with a letter (e.g. 'email-verified').",
      });
    }
    const { description, schema } = (definition ?? {}) as Partial<ZapEventDefinition>;
    if (typeof description !== 'string' || description.trim() === '') {
      throw new ZapConfigurationError({ message: `${where}: event '${name}' needs a non-empty description.` });
    }
    if (typeof (schema as { safeParse?: unknown } | undefined)?.safeParse !== 'function') {
      throw new ZapConfigurationError({ message: `${where}: event '${name}' needs a zod schema of its data (schema).` });
    }
    let jsonSchema: Record<string, unknown>;
    try {
      // The model receives the parsed data (unknown keys stripped, defaults filled): its shape is the output's.
      jsonSchema = z.toJSONSchema(schema as z.ZodType, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
    } catch (error) {
      throw new ZapConfigurationError({
        message: `${where}: the schema of event '${name}' cannot be converted to JSON Schema (${describeError(error)}); use JSON types only.`,
        cause: error,
      });
    }
    delete jsonSchema.$schema;
    compiled.set(name, { name, description, schema: schema as z.ZodType, jsonSchema });
  }
  return compiled;
}

/** The events as a task's settings carry them (descriptions and JSON Schemas). */
export function eventSettings(events: ReadonlyMap<string, DeclaredEvent>): Record<string, AgentEventSettings> {
  return Object.fromEntries([...events.values()].map((event) => [event.name, { description: event.description, schema: event.jsonSchema }]));
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
