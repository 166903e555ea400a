import type { Client } from '@temporalio/client';
import type { ChatMessage } from '../core/messages';
import { getMessagesQuery } from '../workflows/definitions';

/** Default number of task runs whose conversation a worker keeps in memory. */
export const DEFAULT_CONVERSATION_CACHE_SIZE = 500;

/**
 * Gives the model activity the conversation it must answer without putting the conversation in
 * activity inputs (which would store it again in history at every call). The workflow is the
 * source of truth; this worker keeps what it has already read, per task run, and queries only
 * the messages it is missing. Messages are append-only, so the first N never change.
 *
 * Only messages read from the workflow are cached, never the model's own answer: an attempt
 * whose result Temporal discarded (it finished after its timeout) must not leave an answer the
 * workflow never recorded.
 */
export class ConversationReader {
  private readonly cache = new Map<string, readonly ChatMessage[]>();
  /** One query at a time per run: concurrent reads (a retry racing a slow attempt) share it. */
  private readonly inFlight = new Map<string, Promise<readonly ChatMessage[]>>();

  constructor(
    private readonly client: Client,
    private readonly maxEntries: number = DEFAULT_CONVERSATION_CACHE_SIZE,
  ) {}

  /** The first `count` messages of the run's conversation. */
  async read(workflowId: string, runId: string, count: number): Promise<ChatMessage[]> {
    const key = cacheKey(workflowId, runId);
    for (;;) {
      const known = this.cache.get(key) ?? [];
      if (known.length >= count) {
        this.store(key, known);
        return known.slice(0, count);
      }
      const pending = this.inFlight.get(key);
      if (pending) {
        await pending.catch(() => undefined);
        continue;
      }
      const fetching = this.fetchMissing(workflowId, runId, known, count);
      this.inFlight.set(key, fetching);
      try {
        this.store(key, await fetching);
      } finally {
        this.inFlight.delete(key);
      }
    }
  }

  /**
   * The first `from + tail.length` messages, given the tail inline by the workflow: only the
   * first `from` may need a query (none when this worker served the previous call).
   */
  async readWithTail(workflowId: string, runId: string, from: number, tail: readonly ChatMessage[]): Promise<ChatMessage[]> {
    const prefix = await this.read(workflowId, runId, from);
    const messages = [...prefix, ...tail];
    // Both parts come from the workflow, so the combination is safe to cache.
    this.store(cacheKey(workflowId, runId), messages);
    return messages;
  }

  /** Entries currently cached (for tests and metrics). */
  size(): number {
    return this.cache.size;
  }

  private async fetchMissing(
    workflowId: string,
    runId: string,
    known: readonly ChatMessage[],
    count: number,
  ): Promise<readonly ChatMessage[]> {
    const handle = this.client.workflow.getHandle(workflowId, runId);
    const messages = [...known];
    while (messages.length < count) {
      const page = await handle.query(getMessagesQuery, { from: messages.length, to: count });
      if (page.length === 0) throw new Error(`The workflow returned no messages from ${messages.length}.`);
      messages.push(...page);
    }
    return messages;
  }

  private store(key: string, messages: readonly ChatMessage[]): void {
    // Map iteration order is insertion order: re-inserting makes this the most recent entry.
    this.cache.delete(key);
    this.cache.set(key, messages);
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

function cacheKey(workflowId: string, runId: string): string {
  return `${workflowId}\u0000${runId}`;
}
