import type { Client } from '@temporalio/client';
import type { ChatMessage } from '../core/messages';
import { getMessagesQuery } from '../workflows/definitions';

/** Default number of task runs whose conversation a worker keeps in memory. */
export const DEFAULT_CONVERSATION_CACHE_SIZE = 500;

/**
 * Gives the model activity the conversation it must answer without putting the conversation in
 * activity inputs (which would store it again in history at every call). The workflow is the
 * source of truth; this worker keeps what it has already read or produced, per task run, and
 * queries only the messages it is missing. Messages are append-only, so the first N never change.
 */
export class ConversationReader {
  private readonly cache = new Map<string, ChatMessage[]>();

  constructor(
    private readonly client: Client,
    private readonly maxEntries: number = DEFAULT_CONVERSATION_CACHE_SIZE,
  ) {}

  /** The first `count` messages of the run's conversation. */
  async read(workflowId: string, runId: string, count: number): Promise<ChatMessage[]> {
    const key = cacheKey(workflowId, runId);
    const known = this.cache.get(key) ?? [];
    const handle = this.client.workflow.getHandle(workflowId, runId);
    while (known.length < count) {
      const page = await handle.query(getMessagesQuery, { from: known.length, to: count });
      if (page.length === 0) throw new Error(`The workflow returned no messages from ${known.length}.`);
      known.push(...page);
    }
    this.store(key, known);
    return known.slice(0, count);
  }

  /** Records a message this worker produced at position `index` (the model's answer). */
  remember(workflowId: string, runId: string, index: number, message: ChatMessage): void {
    const key = cacheKey(workflowId, runId);
    const known = this.cache.get(key);
    if (known && known.length === index) {
      known.push(message);
      this.store(key, known);
    }
  }

  /** Entries currently cached (for tests and metrics). */
  size(): number {
    return this.cache.size;
  }

  private store(key: string, messages: ChatMessage[]): void {
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
