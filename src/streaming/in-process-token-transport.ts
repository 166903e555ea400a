import type { TokenChunk, TokenSubscription, TokenTransport } from './token-transport';

/**
 * Token transport for a client and a worker in the same process (the default). Chunks go
 * straight from the model activity to the stream's listeners.
 */
export class InProcessTokenTransport implements TokenTransport {
  private readonly listeners = new Map<string, Set<(chunk: TokenChunk) => void>>();

  publish(chunk: TokenChunk): void {
    for (const listener of this.listeners.get(chunk.taskId) ?? []) {
      try {
        listener(chunk);
      } catch {
        // A failing listener must not break the model call that publishes.
      }
    }
  }

  /** Whether the task has a listener in this process now. */
  hasSubscribers(taskId: string): boolean {
    return this.listeners.has(taskId);
  }

  async subscribe(taskId: string, listener: (chunk: TokenChunk) => void): Promise<TokenSubscription> {
    const listeners = this.listeners.get(taskId) ?? new Set();
    listeners.add(listener);
    this.listeners.set(taskId, listeners);
    return {
      unsubscribe: async () => {
        listeners.delete(listener);
        if (listeners.size === 0) this.listeners.delete(taskId);
      },
    };
  }

  /** Number of tasks with at least one listener (for tests). */
  subscribedTaskCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
