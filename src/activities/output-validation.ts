import { z } from 'zod';
import { rebuildSchema, toOutputIssue } from '../agent/agent-output';
import type { ZapAgent } from '../agent/zap-agent';
import type { JsonValue } from '../core/json';
import { stableStringify } from '../core/stable-stringify';
import { boundIssues, extractJsonAnswer, type OutputCheck, type OutputSettings } from '../core/structured-output';

/** Schemas rebuilt from JSON Schema kept per worker (one per distinct task schema); the oldest is dropped past this. */
const REBUILT_SCHEMA_CACHE_SIZE = 64;

/** Checks one final answer against a task's output schema. */
export type OutputValidator = (answer: string, output: OutputSettings, agent: ZapAgent<any>) => OutputCheck;

/**
 * Builds the output check of the model activity. The answer is parsed as JSON (a ```json fence
 * around the whole answer is tolerated), then validated with:
 * - the agent's own zod schema when the task's schema is the agent's `output` and its JSON
 *   Schema is unchanged since the task started (refinements are honoured);
 * - otherwise (a task's `outputSchema`, which only the client holds, or an agent schema changed
 *   by a deploy) a zod schema rebuilt from the task's JSON Schema (`z.fromJSONSchema`), cached;
 *   the client validates again with the real schema when it reads the output.
 * Issues are bounded in number and size, so the activity result and the repair message stay small.
 */
export function createOutputValidator(): OutputValidator {
  const rebuilt = new Map<string, z.ZodType>();

  const schemaFor = (output: OutputSettings, agent: ZapAgent<any>): z.ZodType => {
    const key = stableStringify(output.jsonSchema);
    if (output.source === 'agent' && agent.output && stableStringify(agent.output.jsonSchema) === key) return agent.output.schema;
    let schema = rebuilt.get(key);
    if (!schema) {
      schema = rebuildSchema(output.jsonSchema) ?? z.unknown();
      rebuilt.set(key, schema);
      if (rebuilt.size > REBUILT_SCHEMA_CACHE_SIZE) rebuilt.delete(rebuilt.keys().next().value!);
    }
    return schema;
  };

  return (answer, output, agent) => {
    const extracted = extractJsonAnswer(answer);
    if (!extracted.ok) return { valid: false, issues: [extracted.issue] };
    const parsed = schemaFor(output, agent).safeParse(extracted.value);
    if (!parsed.success) return { valid: false, issues: boundIssues(parsed.error.issues.map(toOutputIssue)) };
    return { valid: true, value: parsed.data as JsonValue };
  };
}
