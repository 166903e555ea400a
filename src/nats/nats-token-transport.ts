import type { NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_NATS_PRESENCE_TIMEOUT_MS, DEFAULT_NATS_TOKEN_BATCH_MS } from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';
import type { TokenChunk, TokenSubscription, TokenTransport } from '../streaming/token-transport';

/** Subject prefix of token chunks; the task id follows, base64url-encoded (ids may contain dots). */
export const DEFAULT_TOKEN_SUBJECT_PREFIX = 'zap.tokens';
/** Last token of the subject on which subscribers answer a worker's "anyone listening?" request. */
const PRESENCE_SUBJECT_SUFFIX = 'watchers';

/** Options of {@link NatsTokenTransport}. */
export interface NatsTokenTransportOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** @default 'zap.tokens' */
  subjectPrefix?: string;
  /** Extra connection options passed to `@nats-io/transport-node`'s `connect`. @default {} */
  connectionOptions?: Record<string, unknown>;
  /**
   * A model call's deltas produced within this many milliseconds travel as one message (one chunk
   * with their text joined). 0 sends a message per delta.
   * @default 16
   */
  batchMs?: number;
}

/**
 * Token transport through a NATS server, for clients and workers in separate processes. Uses
 * core NATS publish/subscribe (at most once, no persistence), which fits best-effort tokens:
 * the durable events stay the source of truth. Requires the optional package
 * `@nats-io/transport-node`. Give both the client's and the worker's `Zap` the same servers.
 *
 * A worker publishes only while someone listens: each subscription also answers requests on
 * `<prefix>.<task>.watchers`, which a streaming model call sends at its start and every 250 ms
 * (NATS answers "no responders" at once when nobody subscribes). So a subscriber of an older
 * zap-agents (which does not answer) gets no tokens from a newer worker: upgrade clients first.
 */
export class NatsTokenTransport implements TokenTransport {
  readonly publishBatchMs: number;
  private connection: Promise<NatsConnection> | undefined;
  private readonly subjectPrefix: string;

  constructor(private readonly options: NatsTokenTransportOptions) {
    if (!options || (typeof options.servers !== 'string' && !Array.isArray(options.servers))) {
      throw new ZapConfigurationError({ message: 'NatsTokenTransport needs `servers`.' });
    }
    this.subjectPrefix = options.subjectPrefix ?? DEFAULT_TOKEN_SUBJECT_PREFIX;
    const batchMs = options.batchMs ?? DEFAULT_NATS_TOKEN_BATCH_MS;
    if (!Number.isFinite(batchMs) || batchMs < 0) {
      throw new ZapConfigurationError({ message: `NatsTokenTransport: batchMs must be a number of milliseconds >= 0, not ${options.batchMs}.` });
    }
    this.publishBatchMs = batchMs;
  }

  /**
   * Asks the task's subscribers (in any process) whether one is there: true on the first answer,
   * false when NATS says there are no responders. A broker that cannot be reached or a late
   * answer counts as "someone listens" (the tokens are then published, best effort, as before).
   */
  async hasSubscribers(taskId: string): Promise<boolean> {
    const asked = (async () => {
      try {
        const connection = await this.connect();
        await connection.request(this.presenceSubject(taskId), undefined, { timeout: DEFAULT_NATS_PRESENCE_TIMEOUT_MS });
        return true;
      } catch (error) {
        return !isNoResponders(error);
      }
    })();
    // A connection still being made (or failing slowly) counts as an answer that came too late.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), DEFAULT_NATS_PRESENCE_TIMEOUT_MS)));
    try {
      return await Promise.race([asked, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  publish(chunk: TokenChunk): void {
    this.connect()
      .then((connection) => connection.publish(this.subject(chunk.taskId), JSON.stringify(chunk)))
      .catch(() => {
        // Best effort: a broker outage loses tokens, never the task.
      });
  }

  async subscribe(taskId: string, listener: (chunk: TokenChunk) => void): Promise<TokenSubscription> {
    const connection = await this.connect();
    const subscription = connection.subscribe(this.subject(taskId), {
      callback: (error, message) => {
        if (error) return;
        try {
          listener(message.json<TokenChunk>());
        } catch {
          // Ignore malformed chunks and listener errors.
        }
      },
    });
    // Tells workers that someone listens (see `hasSubscribers`).
    const presence = connection.subscribe(this.presenceSubject(taskId), {
      callback: (error, message) => {
        if (!error) message.respond();
      },
    });
    // Make sure the server knows the subscription before the caller relies on it.
    await connection.flush();
    return {
      unsubscribe: async () => {
        subscription.unsubscribe();
        presence.unsubscribe();
      },
    };
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    try {
      await (await connection).drain();
    } catch {
      // Already closed.
    }
  }

  private subject(taskId: string): string {
    return `${this.subjectPrefix}.${Buffer.from(taskId).toString('base64url')}`;
  }

  private presenceSubject(taskId: string): string {
    return `${this.subject(taskId)}.${PRESENCE_SUBJECT_SUFFIX}`;
  }

  private connect(): Promise<NatsConnection> {
    if (!this.connection) {
      this.connection = (async () => {
        let nats: typeof import('@nats-io/transport-node');
        try {
          nats = await import('@nats-io/transport-node');
        } catch (error) {
          throw new ZapConfigurationError({
            message: 'NatsTokenTransport needs the package @nats-io/transport-node: npm install @nats-io/transport-node',
            cause: error,
          });
        }
        return nats.connect({ servers: this.options.servers, ...this.options.connectionOptions });
      })();
      this.connection.catch(() => (this.connection = undefined));
    }
    return this.connection;
  }
}

/** NATS's "no responders" answer to a request (a `RequestError` caused by `NoRespondersError`). */
function isNoResponders(error: unknown): boolean {
  const candidate = error as { isNoResponders?: () => boolean; cause?: { name?: unknown } } | undefined;
  if (typeof candidate?.isNoResponders === 'function') return candidate.isNoResponders();
  return candidate?.cause?.name === 'NoRespondersError';
}
