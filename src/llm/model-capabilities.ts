/**
 * Model families known to accept images, matched against the model id without any provider
 * prefix (`openai/gpt-4o` → `gpt-4o`). Agents override this with `supportsVision`.
 */
const VISION_MODEL_PATTERNS: readonly RegExp[] = [
  /^gpt-4o/, /^gpt-4\.1/, /^gpt-4-turbo/, /^gpt-4-vision/, /^gpt-5/, /^o1(?!-mini)/, /^o3/, /^o4/,
  /^chatgpt-4o/, /^claude-3/, /^claude-(opus|sonnet|haiku)-4/, /^claude-(sonnet|opus|haiku)/,
  /^gemini/, /^pixtral/, /^mistral-(medium|small)-(3|2503|2505)/, /^llava/, /^llama-?3\.2-.*vision/,
  /^llama-4/, /^qwen.*-vl/, /^grok-.*vision/, /^grok-4/,
];

/** Whether the model accepts image content parts (built-in table; `override` wins). */
export function modelSupportsVision(model: string, override?: boolean): boolean {
  if (override !== undefined) return override;
  const id = model.toLowerCase().split('/').pop() ?? '';
  return VISION_MODEL_PATTERNS.some((pattern) => pattern.test(id));
}

/**
 * Model families known to honour `response_format: { type: 'json_schema' }` (OpenAI's Structured
 * Outputs, and the providers and proxies that accept the same request), matched like the vision
 * table. gpt-4o's first snapshot (2024-05-13) and the o1 previews predate Structured Outputs.
 * Agents override this with `supportsStructuredOutput`.
 */
const STRUCTURED_OUTPUT_MODEL_PATTERNS: readonly RegExp[] = [
  /^gpt-4o(?!-2024-05-13)/, /^gpt-4\.1/, /^gpt-4\.5/, /^gpt-5/, /^o1(?!-mini|-preview)/, /^o3/, /^o4/,
  /^gemini-(1\.5|2|3)/, /^mistral-(large|medium|small)/, /^ministral/, /^grok-(2-1212|3|4)/,
];

/**
 * Whether the model accepts `response_format: { type: 'json_schema' }` (built-in table;
 * `override` wins). When it does not, a task with an output schema describes the schema in the
 * system prompt instead.
 */
export function modelSupportsStructuredOutput(model: string, override?: boolean): boolean {
  if (override !== undefined) return override;
  const id = model.toLowerCase().split('/').pop() ?? '';
  return STRUCTURED_OUTPUT_MODEL_PATTERNS.some((pattern) => pattern.test(id));
}
