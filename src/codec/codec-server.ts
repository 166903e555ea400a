import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { PayloadEncryptionError, ZapConfigurationError } from '../core/errors';

/** Host the codec server binds to unless told otherwise: loopback only. */
export const DEFAULT_CODEC_SERVER_HOST = '127.0.0.1';
/** Port the codec server listens on unless told otherwise. */
export const DEFAULT_CODEC_SERVER_PORT = 8888;
/** Browser origins allowed by default: the Web UI of `temporal server start-dev`. */
export const DEFAULT_CODEC_SERVER_ORIGINS: readonly string[] = ['http://localhost:8233', 'http://127.0.0.1:8233'];
/** Largest request body accepted. */
export const DEFAULT_CODEC_SERVER_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  /** The codec of your clients and workers, e.g. `AesGcmPayloadCodec.fromEnvironment()`. */
  codec: PayloadCodec;
  /** @default 8888 (0 picks a free port) */
  port?: number;
  /**
   * Interface to bind. Anyone who can reach the server can decrypt payloads with it: keep it on
   * loopback, or put authentication in front of it.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Browser origins allowed to call the server (the Web UI's origin, e.g. `https://cloud.temporal.io`).
   * Requests from other origins get 403. Requests without an `Origin` header (the `temporal` CLI,
   * scripts) are allowed. `'*'` allows any origin.
   * @default ['http://localhost:8233', 'http://127.0.0.1:8233']
   */
  allowedOrigins?: readonly string[];
  /** @default 16 MiB */
  maxBodyBytes?: number;
}

/** A running codec server. */
export interface CodecServer {
  /** `http://<host>:<port>`: the "remote codec endpoint" to give the Web UI. */
  url: string;
  /** The address bound. */
  host: string;
  /** The port bound (the real one when 0 was asked for). */
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** A payload in the codec server's JSON: metadata values and data in base64 (proto JSON). */
const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
/** Body of `POST /encode` and `POST /decode`, and of their answers. */
const codecRequestSchema = z.object({ payloads: z.array(jsonPayloadSchema) });
type JsonPayload = z.infer<typeof jsonPayloadSchema>;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves the Temporal Web UI's "remote codec endpoint" protocol with your codec, so the UI (and
 * `temporal workflow show --codec-endpoint`) can show decrypted payloads: `POST /decode` and
 * `POST /encode` with `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`. Paths may carry
 * a prefix (`/default/decode`). CORS answers only `allowedOrigins`.
 *
 * @example
 * ```ts
 * const server = await startCodecServer({ codec: AesGcmPayloadCodec.fromEnvironment(), port: 8888 });
 * // temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888
 * ```
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const codec = options?.codec;
  if (!codec || typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new ZapConfigurationError({ message: 'startCodecServer needs a `codec` with encode() and decode().' });
  }
  const host = options.host ?? DEFAULT_CODEC_SERVER_HOST;
  const allowedOrigins = new Set(options.allowedOrigins ?? DEFAULT_CODEC_SERVER_ORIGINS);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_CODEC_SERVER_MAX_BODY_BYTES;
  const isAllowed = (origin: string): boolean => allowedOrigins.has('*') || allowedOrigins.has(origin);

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpProblem ? error.status : PayloadEncryptionError.isInstance(error) ? 422 : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) sendJson(response, status, { error: message });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (!isAllowed(origin)) throw new HttpProblem(403, `Origin '${origin}' is not allowed to use this codec server.`);
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      response.setHeader('Access-Control-Max-Age', '600');
      // Chrome asks before a public page calls a loopback address.
      if (request.headers['access-control-request-private-network'] === 'true') {
        response.setHeader('Access-Control-Allow-Private-Network', 'true');
      }
      response.writeHead(204).end();
      return;
    }
    const path = new URL(request.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    const operation = path.endsWith('/decode') ? 'decode' : path.endsWith('/encode') ? 'encode' : undefined;
    if (!operation) throw new HttpProblem(404, 'Not found: use POST /decode or POST /encode.');
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpProblem(405, `Use POST for /${operation}.`);
    }
    const body = await readJson(request, maxBodyBytes);
    const parsed = codecRequestSchema.safeParse(body);
    if (!parsed.success) {
      throw new HttpProblem(400, `Body must be { payloads: [{ metadata: { key: base64 }, data: base64 }] }: ${z.prettifyError(parsed.error)}`);
    }
    const payloads = parsed.data.payloads.map(fromJsonPayload);
    const result = operation === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
    sendJson(response, 200, { payloads: result.map(toJsonPayload) });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_CODEC_SERVER_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function readJson(request: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new HttpProblem(413, `Body is larger than ${maxBodyBytes} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'Body is not JSON.');
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function fromJsonPayload({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: data ? Buffer.from(data, 'base64') : undefined,
  };
}

function toJsonPayload({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: data ? Buffer.from(data).toString('base64') : undefined,
  };
}
