/**
 * Live model tokens across processes over core NATS publish/subscribe (`zap-agents/nats`). Needs
 * the optional peer dependency `@nats-io/transport-node`.
 *
 * @module
 * @example
 * ```ts
 * import { NatsTokenTransport } from 'zap-agents/nats';
 * const tokens = new NatsTokenTransport({ servers: 'nats://127.0.0.1:4222' });
 * const zap = new Zap({ agents, tokens }); // the same in client and worker processes
 * ```
 */
export { NatsTokenTransport } from './nats-token-transport';
export type { NatsTokenTransportOptions } from './nats-token-transport';
export type { TokenTransport, TokenChunk, TokenSubscription } from '../streaming/token-transport';
