import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import type { AddressInfo, Socket } from 'node:net';

import { ZapConfigurationError } from '../core/errors';
import { buildChatCompletionBody, type AssistantCompletion, type CompletionIdentity } from '../openai-wire/chat-completion-body';
import {
  buildChatCompletionChunk,
  buildRoleDelta,
  buildToolCallsDelta,
  buildUsageChunk,
} from '../openai-wire/chat-completion-chunks';
import { CHAT_COMPLETIONS_PATHS, HEALTH_PATH, MODELS_PATHS, normalizeRequestPath } from '../openai-wire/endpoint-paths';
import { buildErrorBody } from '../openai-wire/error-body';
import { formatServerUrl, listenHttp } from '../openai-wire/http-listener';
import { readRequestText, sendJson } from '../openai-wire/json-http';
import { buildModelListBody } from '../openai-wire/model-list-body';
import { DONE_EVENT_DATA, formatEvent, startEventStream } from '../openai-wire/server-sent-events';
import { parseChatCompletionRequest, type LocalChatRequest } from './chat-completion-request';
import { importNodeLlamaCpp, LocalModelEngine } from './local-model-engine';
import type { LocalModelStatistics } from './local-model-statistics';

export type { LocalModelStatistics } from './local-model-statistics';

/** Host the local model server binds to unless told otherwise: loopback only. */
export const DEFAULT_LOCAL_MODEL_HOST = '127.0.0.1';
/** Port the local model server binds to unless told otherwise: any free port. */
export const DEFAULT_LOCAL_MODEL_PORT = 0;
/** Tokens of context (prompt and answer) unless told otherwise. */
export const DEFAULT_LOCAL_MODEL_CONTEXT_SIZE = 4096;
/** Temperature of tool-call decisions unless told otherwise: greedy. */
export const DEFAULT_TOOL_CALL_TEMPERATURE = 0;
/** Tokens a tool-call decision may take unless told otherwise. */
export const DEFAULT_TOOL_CALL_MAX_TOKENS = 512;
/** Most tokens an answer may take (a request asking for more gets this many), unless told otherwise. */
export const DEFAULT_LOCAL_MODEL_MAX_TOKENS = 1024;
/** Largest request body accepted, in bytes. */
const MAX_REQUEST_BODY_BYTES = 32 * 1024 * 1024;

/** `GET`: the figures of {@link LocalModelServer.statistics}. */
const STATISTICS_PATH = '/statistics';

/** Options of {@link LocalModelServer.start}. */
export interface LocalModelServerOptions {
  /** Path of a GGUF model file (`scripts/ensure-local-model.sh` prints one). */
  modelPath: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /**
   * Tokens of context: the prompt (system prompt, tool list, conversation) and the answer. Longer
   * conversations drop their oldest turns.
   * @default 4096
   */
  contextSize?: number;
  /**
   * CPU threads llama.cpp computes with. Half the cores leaves the rest to Temporal, the worker and
   * the tools; a small model's generation gains little from more threads and collapses when they
   * compete for cores (on 2 busy cores: 60 tokens/s with 1 thread, 5 to 50 with 2).
   * @default half of os.availableParallelism(), at least 1
   */
  threads?: number;
  /**
   * Sampling temperature of answers, instead of each request's `temperature`. A 135M model sampled
   * at 0.7 (zap-agents' default) wanders off the tool results in about a third of its answers; 0
   * keeps it on them.
   * @default undefined (the request's temperature; greedy when it sets none)
   */
  temperature?: number;
  /**
   * Sampling temperature of the grammar-constrained decision between calling a tool and answering
   * (and of the call's arguments). The request's `temperature` applies to answers only.
   * @default 0 (greedy)
   */
  toolCallTemperature?: number;
  /**
   * Tokens a tool-call decision may take; a call cut short at this limit counts as no call.
   * @default 512
   */
  toolCallMaxTokens?: number;
  /**
   * Tokens an answer may take when the request sets no `max_tokens`.
   * @default 1024
   */
  maxTokens?: number;
}

/**
 * An OpenAI-compatible chat-completions endpoint on 127.0.0.1 that runs a small GGUF model on the
 * CPU with llama.cpp (the optional dependency `node-llama-cpp`, loaded when the server starts). It
 * lets zap-agents run an agent task end to end with no API key and no network.
 *
 * `POST /v1/chat/completions` takes `messages` (system, user, assistant with `tool_calls`, tool),
 * function `tools`, `tool_choice`, `temperature`, `max_tokens`, `seed` and `stream` (with
 * `stream_options.include_usage`), and answers as JSON or server-sent events. The tools are not run
 * here: a tool call comes back to the client with `finish_reason: "tool_calls"`. Tool calls are
 * decoded under a grammar made from the tools' JSON schemas, so they are always well formed, name an
 * offered tool and carry the tool's required arguments; one call per answer. A tiny model tends to
 * repeat a call after getting its result: with `tool_choice: "auto"`, a call identical to one already
 * answered since the last user message is taken as the decision to answer. Requests are served one
 * at a time. Also `GET /v1/models`, `GET /health` and `GET /statistics` (the figures of
 * {@link LocalModelServer.statistics}).
 *
 * @example
 * const localModel = await LocalModelServer.start({ modelPath: '.tools/models/SmolLM2-135M-Instruct.Q4_1.gguf' });
 * const zap = new Zap({ agents, llm: { baseURL: localModel.baseURL, apiKey: 'local' } });
 * // ...
 * await localModel.close();
 */
export class LocalModelServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<AbortController>();
  private address: AddressInfo | undefined;
  private closing: Promise<void> | undefined;

  private constructor(private readonly engine: LocalModelEngine) {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => this.failResponse(response, error));
    });
    this.server.on('connection', (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /**
   * Resolves when node-llama-cpp can be loaded here; otherwise rejects with the
   * `ZapConfigurationError` that `start()` would throw. Check it before fetching a model.
   */
  static async assertAvailable(): Promise<void> {
    await importNodeLlamaCpp();
  }

  /**
   * Loads the model and resolves once the server listens. Throws a `ZapConfigurationError` when
   * node-llama-cpp is not installed or the model cannot be loaded.
   */
  static async start(options: LocalModelServerOptions): Promise<LocalModelServer> {
    const engine = await LocalModelEngine.load({
      modelPath: options.modelPath,
      contextSize: positiveInteger(options.contextSize, DEFAULT_LOCAL_MODEL_CONTEXT_SIZE, 'contextSize'),
      threads: positiveInteger(options.threads, defaultThreads(), 'threads'),
      temperature: options.temperature === undefined ? undefined : validTemperature(options.temperature, 'temperature'),
      toolCallTemperature:
        options.toolCallTemperature === undefined ? DEFAULT_TOOL_CALL_TEMPERATURE : validTemperature(options.toolCallTemperature, 'toolCallTemperature'),
      toolCallMaxTokens: positiveInteger(options.toolCallMaxTokens, DEFAULT_TOOL_CALL_MAX_TOKENS, 'toolCallMaxTokens'),
      maxTokens: positiveInteger(options.maxTokens, DEFAULT_LOCAL_MODEL_MAX_TOKENS, 'maxTokens'),
    });
    const instance = new LocalModelServer(engine);
    try {
      await instance.listen(options.host ?? DEFAULT_LOCAL_MODEL_HOST, options.port ?? DEFAULT_LOCAL_MODEL_PORT);
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    return instance;
  }

  /** Root URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    if (!this.address) throw new Error('LocalModelServer is not listening');
    return formatServerUrl(this.address);
  }

  /** `url` + `/v1`: what the OpenAI client (and zap-agents' `llm.baseURL`) takes. */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** The served model's id (its file name without `.gguf`); any model name in a request is accepted. */
  get modelName(): string {
    return this.engine.modelName;
  }

  /** Load time, tokens and throughput so far. */
  statistics(): LocalModelStatistics {
    return this.engine.statistics();
  }

  /** Stops listening, cuts answers in progress, and releases the model. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const controller of this.inFlight) controller.abort(new Error('LocalModelServer closed'));
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await serverClosed;
    await this.engine.dispose();
  }

  private async listen(host: string, port: number): Promise<void> {
    this.address = await listenHttp(this.server, host, port);
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = normalizeRequestPath(request.url);
    if (CHAT_COMPLETIONS_PATHS.has(path) && method === 'POST') {
      await this.handleChatCompletion(request, response);
      return;
    }
    request.resume();
    if (path === HEALTH_PATH && method === 'GET') {
      sendJson(response, 200, { status: 'ok', model: this.modelName });
    } else if (path === STATISTICS_PATH && method === 'GET') {
      sendJson(response, 200, this.statistics());
    } else if (MODELS_PATHS.has(path) && method === 'GET') {
      sendJson(response, 200, buildModelListBody(this.modelName));
    } else {
      sendJson(response, 404, buildErrorBody(404, `Not found: ${method} ${path}`));
    }
  }

  private async handleChatCompletion(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJsonBody(request);
    if (!body.ok) {
      sendJson(response, body.status, buildErrorBody(body.status, body.message));
      return;
    }
    const parsed = parseChatCompletionRequest(body.value);
    if (!parsed.ok) {
      sendJson(response, 400, buildErrorBody(400, parsed.message));
      return;
    }
    const chatRequest = parsed.request;
    const identity: CompletionIdentity = {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      created: Math.floor(Date.now() / 1000),
      model: chatRequest.model ?? this.modelName,
    };
    const controller = new AbortController();
    this.inFlight.add(controller);
    // The client went away (or timed out): stop generating for it.
    response.once('close', () => {
      if (!response.writableFinished) controller.abort(new Error('the client closed the connection'));
    });
    try {
      if (chatRequest.stream) await this.streamCompletion(chatRequest, identity, controller.signal, response);
      else await this.answerCompletion(chatRequest, identity, controller.signal, response);
    } finally {
      this.inFlight.delete(controller);
    }
  }

  private async answerCompletion(
    request: LocalChatRequest,
    identity: CompletionIdentity,
    signal: AbortSignal,
    response: ServerResponse,
  ): Promise<void> {
    let completion: AssistantCompletion;
    try {
      completion = await this.engine.complete(request, { signal });
    } catch (error) {
      if (!signal.aborted) sendJson(response, 500, buildErrorBody(500, `Local model error: ${describeError(error)}`));
      return;
    }
    sendJson(response, 200, buildChatCompletionBody(completion, identity));
  }

  /**
   * Server-sent events: the headers at once, then the role chunk and content deltas as the answer is
   * generated (or the role chunk and one chunk with the whole tool call), the finish chunk, the usage
   * chunk when asked for, and `[DONE]`.
   */
  private async streamCompletion(
    request: LocalChatRequest,
    identity: CompletionIdentity,
    signal: AbortSignal,
    response: ServerResponse,
  ): Promise<void> {
    startEventStream(response);
    const write = (data: unknown) => {
      if (!response.destroyed && !response.writableEnded) response.write(formatEvent(JSON.stringify(data)));
    };
    let started = false;
    const startAnswer = (hasContent: boolean) => {
      if (started) return;
      started = true;
      write(buildChatCompletionChunk(identity, buildRoleDelta(hasContent), null, request.includeUsage));
    };
    try {
      const completion = await this.engine.complete(request, {
        signal,
        onText: (text) => {
          startAnswer(true);
          write(buildChatCompletionChunk(identity, { content: text }, null, request.includeUsage));
        },
      });
      startAnswer(completion.content !== null);
      if (completion.toolCalls.length > 0) {
        write(buildChatCompletionChunk(identity, buildToolCallsDelta(completion.toolCalls), null, request.includeUsage));
      }
      write(buildChatCompletionChunk(identity, {}, completion.finishReason, request.includeUsage));
      if (request.includeUsage) write(buildUsageChunk(identity, completion.usage));
      if (!response.destroyed) response.end(formatEvent(DONE_EVENT_DATA));
    } catch (error) {
      // Headers are sent: the OpenAI client turns an `error` event into an APIError.
      if (!signal.aborted) write(buildErrorBody(500, `Local model error: ${describeError(error)}`));
      if (!response.destroyed) response.end();
    }
  }

  private failResponse(response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    sendJson(response, 500, buildErrorBody(500, `LocalModelServer internal error: ${describeError(error)}`));
  }
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: number; message: string };

async function readJsonBody(request: IncomingMessage): Promise<JsonBody> {
  const text = await readRequestText(request, MAX_REQUEST_BODY_BYTES);
  if (text === undefined) {
    return { ok: false, status: 413, message: `Request body larger than ${MAX_REQUEST_BODY_BYTES} bytes` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, message: 'Request body must be JSON' };
  }
}

function defaultThreads(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ZapConfigurationError({ message: `LocalModelServer: ${name} must be a positive integer, got ${value}.` });
  }
  return value;
}

function validTemperature(value: number, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 2)) {
    throw new ZapConfigurationError({ message: `LocalModelServer: ${name} must be a number from 0 to 2, got ${value}.` });
  }
  return value;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
