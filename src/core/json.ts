/** A JSON value: what can cross Temporal's payload converter unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Returns a description of the first place where `value` is not plain JSON (a function, a class
 * instance, a cycle, NaN, …), or undefined when it is plain JSON. Used to reject contexts early
 * with a message that says where the problem is.
 */
export function findNonJsonValue(value: unknown, path = '$', seen = new Set<object>()): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${value}`;
  if (value === undefined) return `${path} is undefined`;
  if (typeof value !== 'object') return `${path} is a ${typeof value}`;
  if (seen.has(value)) return `${path} is a circular reference`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const problem = findNonJsonValue(value[index], `${path}[${index}]`, seen);
        if (problem) return problem;
      }
      return undefined;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      return `${path} is an instance of ${value.constructor?.name ?? 'a class'}, not a plain object`;
    }
    for (const [key, entry] of Object.entries(value)) {
      if (entry === undefined) continue;
      const problem = findNonJsonValue(entry, `${path}.${key}`, seen);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}
