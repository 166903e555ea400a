import type { Client } from '@temporalio/client';
import type { JsonValue } from '../core/json';
import { getTaskContextQuery } from '../workflows/definitions';

/** Tasks whose context a worker keeps in memory. */
export const DEFAULT_CONTEXT_CACHE_SIZE = 500;

/**
 * Gives tool activities the task's context without copying it into every tool call's input (and
 * so into history once per call): the workflow holds it once, in its input, and this worker reads
 * it by query the first time one of the task's tools needs it. A task's context never changes,
 * so it is cached per task id (across continue-as-new).
 */
export class ContextReader {
  private readonly cache = new Map<string, JsonValue | undefined>();
  private readonly inFlight = new Map<string, Promise<JsonValue | undefined>>();

  constructor(
    private readonly client: Client,
    private readonly maxEntries: number = DEFAULT_CONTEXT_CACHE_SIZE,
  ) {}

  /** The context of the task whose workflow id is `taskId` (undefined when it has none). */
  async read(taskId: string): Promise<JsonValue | undefined> {
    if (this.cache.has(taskId)) {
      const value = this.cache.get(taskId);
      // Most recently used last, so the oldest entry is evicted first.
      this.cache.delete(taskId);
      this.cache.set(taskId, value);
      return value;
    }
    let pending = this.inFlight.get(taskId);
    if (!pending) {
      pending = this.client.workflow
        .getHandle(taskId)
        .query(getTaskContextQuery)
        .then((value) => value ?? undefined);
      this.inFlight.set(taskId, pending);
    }
    try {
      const value = await pending;
      this.cache.set(taskId, value);
      while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
      return value;
    } finally {
      this.inFlight.delete(taskId);
    }
  }

  /** Entries currently cached (for tests and metrics). */
  size(): number {
    return this.cache.size;
  }
}
