import type { ScriptedRequest } from './scripted-response';

interface RequestWaiter {
  count: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The chat completion requests a `ScriptedLlmServer` received, in order, and the tests waiting
 * for a number of them (`waitForRequests`).
 */
export class RequestLog {
  private recorded: ScriptedRequest[] = [];
  private readonly waiters = new Set<RequestWaiter>();
  private closed = false;

  /** A copy of the recorded requests. */
  get requests(): readonly ScriptedRequest[] {
    return [...this.recorded];
  }

  /** Number of requests recorded since the last {@link clear}; the index of the next one. */
  get count(): number {
    return this.recorded.length;
  }

  /** Records a request and resolves the waits it completes. */
  add(record: ScriptedRequest): void {
    this.recorded.push(record);
    for (const waiter of [...this.waiters]) {
      if (this.recorded.length >= waiter.count) waiter.resolve();
    }
  }

  /**
   * Resolves once `count` requests have been recorded. Rejects with a message saying how many
   * arrived when `timeoutMs` passes first, or when the log is closed.
   */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.recorded.length >= count) return Promise.resolve();
    if (this.closed) {
      return Promise.reject(new Error(`ScriptedLlmServer is closed: waitForRequests(${count}) cannot succeed`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter.reject(
          new Error(
            `ScriptedLlmServer.waitForRequests(${count}) timed out after ${timeoutMs}ms: ` +
              `${this.recorded.length} request(s) received`,
          ),
        );
      }, timeoutMs);
      const waiter: RequestWaiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Forgets the recorded requests (pending waits keep counting from zero). */
  clear(): void {
    this.recorded = [];
  }

  /** Rejects every pending wait, and every later one that is not already satisfied: the server closed. */
  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) {
      waiter.reject(new Error(`ScriptedLlmServer closed before ${waiter.count} request(s) arrived`));
    }
  }
}
