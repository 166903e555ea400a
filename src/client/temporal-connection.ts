import { Client, Connection } from '@temporalio/client';
import { ZapConnectionError, ZapError } from '../core/errors';
import type { CompiledZapOptions } from './zap-options';

/**
 * Connects to the Temporal server of a Zap's options and builds its client (with the payload
 * codec, when there is one). An unreachable server is a `ZapConnectionError` naming the address
 * and how to start one.
 */
export async function connectToTemporal(options: CompiledZapOptions<unknown>): Promise<{ connection: Connection; client: Client }> {
  const { address, namespace, tls, apiKey, connectTimeoutMs } = options.temporal;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, tls, apiKey, connectTimeout: connectTimeoutMs });
  } catch (error) {
    throw new ZapConnectionError({
      message: `Could not connect to Temporal at ${address} (namespace '${namespace}'): ${describeError(error)}. ` +
        'Is the server running? Start one with `npx zap-dev` (./temporal-dev.sh in a checkout), or set TEMPORAL_ADDRESS.',
      cause: error,
    });
  }
  const { payloadCodec } = options;
  const client = new Client({
    connection,
    namespace,
    ...(payloadCodec ? { dataConverter: { payloadCodecs: [payloadCodec] } } : {}),
  });
  return { connection, client };
}

function describeError(error: unknown): string {
  if (ZapError.isInstance(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
