/**
 * A piece of model output published while a model call runs. Best effort: chunks are not
 * recorded anywhere, and a subscriber that was not listening never sees them.
 */
export interface TokenChunk {
  taskId: string;
  /** Which model call of the task (1, 2, …; never restarts, continue-as-new included). */
  callIndex: number;
  /** Temporal attempt of that call: a retry publishes under a new attempt. */
  attempt: number;
  /** Position of the chunk within its attempt, from 0. */
  index: number;
  delta: string;
}

/** A live subscription; `unsubscribe()` releases it. */
export interface TokenSubscription {
  unsubscribe(): Promise<void>;
}

/**
 * Carries token chunks from the worker running a model call to the clients streaming its task.
 * `InProcessTokenTransport` serves client and worker in one process; `NatsTokenTransport` serves
 * separate processes through a NATS server.
 */
export interface TokenTransport {
  /** Publishes a chunk; never throws and never waits (tokens are best effort). */
  publish(chunk: TokenChunk): void;
  /**
   * Whether anyone subscribes to the task's tokens now. A streaming model call asks at its start
   * and again every 250 ms while it runs, and publishes only while the answer is yes, so tokens
   * nobody watches cost nothing to send; a subscriber attaching mid-call gets the tokens from then
   * on. May answer later (a promise); deltas are held until the first answer. Should not throw
   * (a rejection counts as "someone listens").
   * @default undefined: assumed listening (every delta is published)
   */
  hasSubscribers?(taskId: string): boolean | Promise<boolean>;
  /**
   * Deltas of one model call produced within this many milliseconds are published as one chunk
   * (their text joined), which saves a message per token on a network transport.
   * @default 0 (one chunk per delta); `NatsTokenTransport`: 16
   */
  readonly publishBatchMs?: number;
  /** Calls `listener` for every chunk of the task published from now on. */
  subscribe(taskId: string, listener: (chunk: TokenChunk) => void): Promise<TokenSubscription>;
  /** Releases the transport's connections. */
  close(): Promise<void>;
}
