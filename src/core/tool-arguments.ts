/** The arguments of a tool call, parsed: a JSON object, or why they are not one. */
export type ParsedToolArguments = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/**
 * Parses the JSON arguments a model sent with a tool call: empty text is `{}`, anything but a
 * JSON object is refused with the reason. Pure and sandbox-safe (the workflow, the worker and
 * the client's conversation views use it alike).
 */
export function parseToolArguments(text: string): ParsedToolArguments {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, error: 'expected a JSON object' };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
