import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { DEFAULT_HTTP_HOSTNAME } from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';
import { buildHttpApi, type CreateHttpApiOptions } from './create-http-api';

/** Options of {@link serveHttpApi}: those of `createHttpApi`, and where to listen. */
export type ServeHttpApiOptions = CreateHttpApiOptions & {
  /** TCP port; 0 picks a free one (read it from `url`). */
  port: number;
  /**
   * Interface to listen on: this machine only unless you say otherwise (`0.0.0.0` for every interface).
   * @default DEFAULT_HTTP_HOSTNAME ('127.0.0.1')
   */
  hostname?: string;
};

/** A running HTTP API server. */
export interface HttpApiServer {
  /** Its base URL, e.g. `http://127.0.0.1:8080` (with the `basePath`, when there is one). */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Stops listening, ends open connections (event streams and waits included) and MCP sessions; the Zap stays started. */
  close(): Promise<void>;
}

/**
 * Serves the HTTP API (`createHttpApi`) on Node's HTTP server, through `@hono/node-server`,
 * without replacing the process' global `Request`/`Response`.
 *
 * @example
 * ```ts
 * const server = await serveHttpApi({ zap, port: 8080, authenticate: bearerTokenAuthenticator({ tokens }) });
 * console.log(`HTTP API on ${server.url}`);
 * process.once('SIGTERM', () => void server.close());
 * ```
 */
export async function serveHttpApi(options: ServeHttpApiOptions): Promise<HttpApiServer> {
  const { port, hostname = DEFAULT_HTTP_HOSTNAME, ...apiOptions } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ZapConfigurationError({ message: `port must be an integer from 0 to 65535, not ${String(port)}.` });
  }
  const { app, close: closeApi } = buildHttpApi(apiOptions as CreateHttpApiOptions);
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}${apiOptions.basePath ?? ''}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Event streams and waits would hold `close` open for as long as they last.
        server.closeAllConnections();
      }).then(() => closeApi());
      return closing;
    },
  };
}
