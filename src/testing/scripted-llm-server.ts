import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { CHAT_COMPLETIONS_PATHS, HEALTH_PATH, MODELS_PATHS, normalizeRequestPath } from '../openai-wire/endpoint-paths';
import { buildErrorBody } from '../openai-wire/error-body';
import { formatServerUrl, listenHttp } from '../openai-wire/http-listener';
import { buildModelListBody } from '../openai-wire/model-list-body';
import { HttpExchange } from './scripted-llm/http-exchange';
import { RequestLog } from './scripted-llm/request-log';
import {
  isMessageResponse,
  unauthorizedError,
  writeScriptedError,
  writeScriptedResponse,
} from './scripted-llm/response-writer';
import type { ScriptedRequest, ScriptedResponse, ScriptedResponseFormat, ScriptHandler } from './scripted-llm/scripted-response';

export { scripted, type ScriptedErrorOptions, type ScriptedToolCallsOptions } from './scripted-llm/scripted-builders';
export type {
  ScriptedDisconnect,
  ScriptedError,
  ScriptedHang,
  ScriptedMessageOptions,
  ScriptedRequest,
  ScriptedResponse,
  ScriptedResponseFormat,
  ScriptedTextMessage,
  ScriptedToolCall,
  ScriptedToolCallMessage,
  ScriptedUsage,
  ScriptHandler,
} from './scripted-llm/scripted-response';

/** Host the scripted server binds to unless told otherwise. */
export const DEFAULT_SCRIPTED_LLM_HOST = '127.0.0.1';
/** Port the scripted server binds to unless told otherwise: any free port. */
export const DEFAULT_SCRIPTED_LLM_PORT = 0;
/** Model id echoed when a request names none, and the one model listed by `GET /v1/models`. */
export const DEFAULT_SCRIPTED_MODEL = 'scripted-model';
/** Milliseconds `waitForRequests` waits unless told otherwise. */
export const DEFAULT_WAIT_FOR_REQUESTS_TIMEOUT_MS = 10_000;
const DEFAULT_CHUNK_DELAY_MS = 0;

/** Options of `ScriptedLlmServer.start`. */
export interface ScriptedLlmServerOptions {
  /**
   * Responses served in order, one per chat completion request.
   * @default []
   */
  script?: ScriptedResponse[];
  /**
   * Decides the answer when the script queue is empty (or instead of a script); may inspect the request,
   * e.g. route on the model name or the last message. A handler that throws answers 500.
   * @default undefined
   */
  handler?: ScriptHandler;
  /**
   * Answer when both the script and the handler are exhausted.
   * @default an `error` with status 500 and a message starting with "script exhausted"
   */
  fallback?: ScriptedResponse;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /**
   * When set, `/v1/*` requests must carry `Authorization: Bearer <apiKey>`, else they get a 401.
   * @default undefined (no check)
   */
  apiKey?: string;
  /**
   * Milliseconds between server-sent-event chunks in streaming mode, unless a response sets its own.
   * @default 0
   */
  chunkDelayMs?: number;
}

/**
 * A scripted OpenAI-compatible chat-completions server on `node:http`, for tests and benchmarks. Point an
 * OpenAI client at `baseURL`; each `POST /v1/chat/completions` is answered by the next scripted response
 * (then the handler, then the fallback), as a JSON completion or, with `stream: true`, as server-sent
 * events. Every chat completion request is recorded in `requests`.
 *
 * @example
 * const server = await ScriptedLlmServer.start({ script: [scripted.text('Hello!')] });
 * const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'test' });
 * // ...
 * await server.close();
 */
export class ScriptedLlmServer {
  private readonly server: Server;
  private readonly script: ScriptedResponse[];
  private handler: ScriptHandler | undefined;
  private readonly fallback: ScriptedResponse | undefined;
  private readonly apiKey: string | undefined;
  private readonly chunkDelayMs: number;
  private readonly log = new RequestLog();
  private readonly exchanges = new Set<HttpExchange>();
  /** Open sockets, each with a promise that resolves once its handle is closed. */
  private readonly sockets = new Map<Socket, Promise<void>>();
  private toolCallCount = 0;
  private address: AddressInfo | undefined;
  private closing: Promise<void> | undefined;

  private constructor(options: ScriptedLlmServerOptions) {
    this.script = [...(options.script ?? [])];
    this.handler = options.handler;
    this.fallback = options.fallback;
    this.apiKey = options.apiKey;
    this.chunkDelayMs = options.chunkDelayMs ?? DEFAULT_CHUNK_DELAY_MS;
    this.server = createServer((request, response) => {
      const exchange = new HttpExchange(request, response);
      this.exchanges.add(exchange);
      exchange.onEnd(() => this.exchanges.delete(exchange));
      this.route(exchange).catch((error: unknown) => this.failExchange(exchange, error));
    });
    this.server.on('connection', (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.sockets.set(
        socket,
        new Promise((resolve) => {
          socket.once('close', () => {
            this.sockets.delete(socket);
            resolve();
          });
        }),
      );
    });
  }

  /** Starts a server and resolves once it listens. */
  static async start(options: ScriptedLlmServerOptions = {}): Promise<ScriptedLlmServer> {
    const instance = new ScriptedLlmServer(options);
    await instance.listen(options.host ?? DEFAULT_SCRIPTED_LLM_HOST, options.port ?? DEFAULT_SCRIPTED_LLM_PORT);
    return instance;
  }

  /** Root URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    if (!this.address) throw new Error('ScriptedLlmServer is not listening');
    return formatServerUrl(this.address);
  }

  /** `url` + `/v1`: what the OpenAI client takes as `baseURL`. */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** Every chat completion request received, in order, including those answered with errors. */
  get requests(): readonly ScriptedRequest[] {
    return this.log.requests;
  }

  /** Appends responses to the script. */
  enqueue(...responses: ScriptedResponse[]): void {
    this.script.push(...responses);
  }

  /** Replaces (or, with undefined, removes) the handler used once the script is empty. */
  setHandler(handler: ScriptHandler | undefined): void {
    this.handler = handler;
  }

  /** Number of chat completion requests received so far. */
  requestCount(): number {
    return this.log.count;
  }

  /**
   * Resolves once `count` chat completion requests have arrived (counted since the last `reset`).
   * Rejects with a message saying how many arrived when `timeoutMs` passes first, or when the server closes.
   * @param timeoutMs @default 10000
   */
  waitForRequests(count: number, timeoutMs: number = DEFAULT_WAIT_FOR_REQUESTS_TIMEOUT_MS): Promise<void> {
    return this.log.waitFor(count, timeoutMs);
  }

  /** Clears the script, the handler and the recorded requests. The fallback and options stay. */
  reset(): void {
    this.script.length = 0;
    this.handler = undefined;
    this.log.clear();
  }

  /**
   * Stops the server: pending waits are cancelled, hanging and streaming answers are cut, every socket
   * (keep-alive ones included) is destroyed, and pending `waitForRequests` calls reject. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.log.close();
    for (const exchange of [...this.exchanges]) exchange.finish();
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    const socketsClosed = [...this.sockets.values()];
    for (const socket of this.sockets.keys()) socket.destroy();
    await Promise.all([serverClosed, ...socketsClosed]);
    // The listening handle is released in the event loop's close phase, after the 'close' event: let it run.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  private async listen(host: string, port: number): Promise<void> {
    this.address = await listenHttp(this.server, host, port);
  }

  private async route(exchange: HttpExchange): Promise<void> {
    const method = exchange.request.method ?? 'GET';
    const path = normalizeRequestPath(exchange.request.url);
    if (CHAT_COMPLETIONS_PATHS.has(path) && method === 'POST') {
      await this.handleChatCompletion(exchange, method, path);
      return;
    }
    exchange.request.resume();
    if (path === HEALTH_PATH && method === 'GET') {
      exchange.sendJson(200, { status: 'ok' });
    } else if (MODELS_PATHS.has(path) && method === 'GET') {
      if (!this.isAuthorized(exchange.request.headers)) {
        writeScriptedError(exchange, unauthorizedError());
        return;
      }
      exchange.sendJson(200, buildModelListBody(DEFAULT_SCRIPTED_MODEL));
    } else {
      exchange.sendJson(404, buildErrorBody(404, `Not found: ${method} ${path}`));
    }
  }

  private async handleChatCompletion(exchange: HttpExchange, method: string, path: string): Promise<void> {
    const rawBody = await exchange.readBody();
    if (rawBody === undefined) return;
    const parsedBody = parseJsonObject(rawBody);
    const record: ScriptedRequest = {
      index: this.log.count,
      receivedAt: Date.now(),
      method,
      path,
      headers: flattenHeaders(exchange.request.headers),
      body: parsedBody ?? rawBody,
      responseFormat: readResponseFormat(parsedBody),
      response: undefined,
    };
    this.log.add(record);

    let response: ScriptedResponse;
    if (!this.isAuthorized(exchange.request.headers)) {
      response = unauthorizedError();
    } else if (parsedBody === undefined) {
      response = { kind: 'error', status: 400, message: 'Request body must be a JSON object' };
    } else {
      response = this.withToolCallIds(await this.chooseResponse(record));
    }
    record.response = response;
    await writeScriptedResponse(exchange, record, response, {
      defaultModel: DEFAULT_SCRIPTED_MODEL,
      chunkDelayMs: this.chunkDelayMs,
      nextToolCallId: () => this.nextToolCallId(),
    });
  }

  /** The next scripted response, else the handler's, else the fallback. Takes from the script synchronously. */
  private async chooseResponse(record: ScriptedRequest): Promise<ScriptedResponse> {
    const next = this.script.shift();
    if (next) return next;
    if (this.handler) {
      try {
        const handled = await this.handler(record);
        if (handled) return handled;
        return { kind: 'error', status: 500, message: 'ScriptedLlmServer handler returned no response' };
      } catch (error) {
        return { kind: 'error', status: 500, message: `ScriptedLlmServer handler threw: ${describeError(error)}` };
      }
    }
    return (
      this.fallback ?? {
        kind: 'error',
        status: 500,
        message: `script exhausted: no scripted response left for request #${record.index} and no handler`,
      }
    );
  }

  /** Answers 500 (or drops the connection if the answer had started) when serving itself failed. */
  private failExchange(exchange: HttpExchange, error: unknown): void {
    if (!exchange.isOpen) return;
    if (exchange.response.headersSent) {
      exchange.destroy();
      return;
    }
    writeScriptedError(exchange, {
      kind: 'error',
      status: 500,
      message: `ScriptedLlmServer internal error: ${describeError(error)}`,
    });
  }

  private isAuthorized(headers: IncomingHttpHeaders): boolean {
    return this.apiKey === undefined || headers.authorization === `Bearer ${this.apiKey}`;
  }

  /** A copy of `response` where every tool call has an id, so the recorded response is what was sent. */
  private withToolCallIds(response: ScriptedResponse): ScriptedResponse {
    if (!isMessageResponse(response) || !response.toolCalls) return response;
    return {
      ...response,
      toolCalls: response.toolCalls.map((toolCall) => ({ ...toolCall, id: toolCall.id ?? this.nextToolCallId() })),
    };
  }

  private nextToolCallId(): string {
    this.toolCallCount += 1;
    return `call_${this.toolCallCount}`;
  }
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function readResponseFormat(body: Record<string, unknown> | undefined): ScriptedResponseFormat | undefined {
  const format = body?.response_format;
  return typeof format === 'object' && format !== null && typeof (format as { type?: unknown }).type === 'string'
    ? (format as ScriptedResponseFormat)
    : undefined;
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
