/** A JSON value: what can cross Temporal's payload converter unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Types whose values do not survive JSON: what a task context type must not contain. */
type NonJsonType = ((...args: never[]) => unknown) | bigint | symbol | Date | RegExp | Map<unknown, unknown> | Set<unknown> | Promise<unknown>;

/**
 * `never` when every value of `T` is JSON (strings, finite numbers, booleans, null, arrays and
 * plain objects of them, `undefined` for absent fields, interfaces included); otherwise the first
 * type in it that is not (a function, a Date, a Map, a class method, …).
 */
export type NonJsonPart<T> = unknown extends T
  ? never
  : [T] extends [JsonValue | undefined]
    ? never
    : T extends string | number | boolean | null | undefined
      ? never
      : T extends NonJsonType
        ? T
        : T extends object
          ? { [K in keyof T]-?: NonJsonPart<T[K]> }[keyof T]
          : T;

/**
 * Intersected with the options of `ZapAgent` and `Zap`, so a task context type that could not
 * cross Temporal unchanged is a compile error naming the offending type:
 * `… & { 'the context type must be JSON, but has': Date }`.
 */
export type JsonContextCheck<T> = [NonJsonPart<T>] extends [never] ? unknown : { 'the context type must be JSON, but has': NonJsonPart<T> };

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
