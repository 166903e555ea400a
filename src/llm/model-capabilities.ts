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
