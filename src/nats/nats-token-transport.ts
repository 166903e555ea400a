import type { NatsConnection } from '@nats-io/transport-node';
import { ZapConfigurationError } from '../core/errors';
import type { TokenChunk, TokenSubscription, TokenTransport } from '../streaming/token-transport';

/** Subject prefix of token chunks; the task id follows, base64url-encoded (ids may contain dots). */
export const DEFAULT_TOKEN_SUBJECT_PREFIX = 'zap.tokens';

/** Options of {@link NatsTokenTransport}. */
export interface NatsTokenTransportOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** @default 'zap.tokens' */
  subjectPrefix?: string;
  /** Extra connection options passed to `@nats-io/transport-node`'s `connect`. @default {} */
  connectionOptions?: Record<string, unknown>;
}

/**
 * Token transport through a NATS server, for clients and workers in separate processes. Uses
 * core NATS publish/subscribe (at most once, no persistence), which fits best-effort tokens:
 * the durable events stay the source of truth. Requires the optional package
 * `@nats-io/transport-node`. Give both the client's and the worker's `Zap` the same servers.
 */
export class NatsTokenTransport implements TokenTransport {
  private connection: Promise<NatsConnection> | undefined;
  private readonly subjectPrefix: string;

  constructor(private readonly options: NatsTokenTransportOptions) {
    if (!options || (typeof options.servers !== 'string' && !Array.isArray(options.servers))) {
      throw new ZapConfigurationError({ message: 'NatsTokenTransport needs `servers`.' });
    }
    this.subjectPrefix = options.subjectPrefix ?? DEFAULT_TOKEN_SUBJECT_PREFIX;
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
    // Make sure the server knows the subscription before the caller relies on it.
    await connection.flush();
    return {
      unsubscribe: async () => {
        subscription.unsubscribe();
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
