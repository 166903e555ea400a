import { ZapValidationError } from '../core/errors';

/**
 * Refuses query parameters a route does not declare, so a misspelt filter (`?stauts=failed`)
 * is a 400 instead of a silently unfiltered answer.
 */
export function assertKnownQueryParameters(query: URLSearchParams, known: readonly string[]): void {
  for (const name of new Set(query.keys())) {
    if (!known.includes(name)) {
      throw new ZapValidationError({
        message: `Unknown query parameter '${name}'${known.length > 0 ? `; this route takes ${known.join(', ')}` : '; this route takes none'}.`,
      });
    }
  }
}

/** A query parameter given once at most; its value, or undefined. */
export function singleQueryValue(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new ZapValidationError({ message: `Query parameter '${name}' is given more than once.` });
  return values[0];
}

/** A list parameter, repeated (`?status=a&status=b`) or comma-separated (`?status=a,b`), or both. */
export function listQueryValue(query: URLSearchParams, name: string): string[] | undefined {
  const values = query
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return values.length > 0 ? values : undefined;
}

/** A boolean parameter: `true`/`1`/empty (a bare `?follow`) or `false`/`0`. */
export function booleanQueryValue(query: URLSearchParams, name: string): boolean | undefined {
  const value = singleQueryValue(query, name);
  if (value === undefined) return undefined;
  const normalized = value.trim().toLowerCase();
  if (normalized === '' || normalized === 'true' || normalized === '1') return true;
  if (normalized === 'false' || normalized === '0') return false;
  throw new ZapValidationError({ message: `Query parameter '${name}' must be true or false, not '${value}'.` });
}

/** The named single-valued parameters that are present, as an object of strings (schemas coerce them). */
export function queryValues(query: URLSearchParams, names: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = singleQueryValue(query, name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}
