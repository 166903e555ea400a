/**
 * What the scripted LLM server answers, and what it records about each request.
 */

/** A tool call the scripted model makes. */
export interface ScriptedToolCall {
  /**
   * Tool call id sent to the client.
   * @default `call_<n>`, with `n` unique per server
   */
  id?: string;
  /** Name of the function the model calls. */
  name: string;
  /** Arguments: a JSON string sent as is, or an object serialized with `JSON.stringify`. */
  arguments: string | Record<string, unknown>;
}

/** Token usage to report instead of the server's rough estimate. */
export interface ScriptedUsage {
  /** Reported as `usage.prompt_tokens`. */
  promptTokens: number;
  /** Reported as `usage.completion_tokens`; `total_tokens` is the sum. */
  completionTokens: number;
}

/** Timing and usage options shared by both kinds of assistant message. */
export interface ScriptedMessageOptions {
  /**
   * Reported token usage.
   * @default an estimate: characters / 4, rounded up, at least 1 (prompt: request messages; completion: the output)
   */
  usage?: ScriptedUsage;
  /**
   * Milliseconds to wait before answering.
   * @default 0
   */
  delayMs?: number;
  /**
   * Milliseconds between server-sent-event chunks when the request streams.
   * @default the server's `chunkDelayMs`
   */
  chunkDelayMs?: number;
  /**
   * Destroy the connection after writing this many stream chunks (the role chunk counts), to simulate a
   * stream dying half-way. A non-streaming request is disconnected without an answer.
   * @default undefined (the answer is complete)
   */
  disconnectAfterChunks?: number;
}

/** An assistant message with text only; `finish_reason` is `stop`. */
export interface ScriptedTextMessage extends ScriptedMessageOptions {
  kind?: 'message';
  content: string;
  toolCalls?: undefined;
}

/** An assistant message with tool calls (and optional text); `finish_reason` is `tool_calls`. */
export interface ScriptedToolCallMessage extends ScriptedMessageOptions {
  kind?: 'message';
  /** @default null */
  content?: string | null;
  toolCalls: ScriptedToolCall[];
}

/** An HTTP error with an OpenAI-style body `{ error: { message, type, code, param } }`. */
export interface ScriptedError {
  kind: 'error';
  /** HTTP status code. */
  status: number;
  /** @default `Scripted error (HTTP <status>)` */
  message?: string;
  /** Sent as the `retry-after` header (and `retry-after-ms`) when given. */
  retryAfterSeconds?: number;
  /**
   * `error.type` in the body.
   * @default `rate_limit_exceeded` for 429, `invalid_request_error` for other 4xx, `server_error` otherwise
   */
  type?: string;
  /**
   * `error.code` in the body, e.g. `context_length_exceeded`.
   * @default null
   */
  code?: string | null;
  /**
   * Milliseconds to wait before answering.
   * @default 0
   */
  delayMs?: number;
}

/** Never answers, until the client aborts or the server closes: for timeouts. */
export interface ScriptedHang {
  kind: 'hang';
}

/** Destroys the socket without answering: a network error on the client side. */
export interface ScriptedDisconnect {
  kind: 'disconnect';
  /**
   * Milliseconds to wait before destroying the socket.
   * @default 0
   */
  delayMs?: number;
}

/** One answer of the scripted server. */
export type ScriptedResponse =
  | ScriptedTextMessage
  | ScriptedToolCallMessage
  | ScriptedError
  | ScriptedHang
  | ScriptedDisconnect;

/** A chat completion request the server received. */
export interface ScriptedRequest {
  /** Position in `ScriptedLlmServer.requests`, from 0. */
  index: number;
  /** `Date.now()` when the request body had been received. */
  receivedAt: number;
  method: string;
  /** Request path, without the query string. */
  path: string;
  /** Request headers with lower-case names; repeated headers are joined with `, `. */
  headers: Record<string, string>;
  /**
   * Parsed JSON chat completion request (`model`, `messages`, `tools`, `stream`, ...); the raw text when
   * the body is not valid JSON.
   */
  body: any;
  /**
   * The request's `response_format` (`{ type: 'json_schema', json_schema: { name, schema, strict } }`
   * when the client asks for structured output); undefined when it has none.
   */
  responseFormat: ScriptedResponseFormat | undefined;
  /**
   * The response served, with generated tool call ids filled in; undefined while the handler is still
   * deciding.
   */
  response: ScriptedResponse | undefined;
}

/** A `response_format` of a request, as sent. */
export interface ScriptedResponseFormat {
  type: 'text' | 'json_object' | 'json_schema' | string;
  json_schema?: { name: string; schema?: Record<string, unknown>; strict?: boolean | null; description?: string };
}

/** Decides the answer to a request (route on `request.body.model`, the last message, ...). */
export type ScriptHandler = (request: ScriptedRequest) => ScriptedResponse | Promise<ScriptedResponse>;
