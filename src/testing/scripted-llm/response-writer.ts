/**
 * How the scripted server writes a scripted response onto an HTTP exchange: a JSON completion or
 * a server-sent-event stream (with chunk delays and an optional mid-stream disconnect), an
 * OpenAI-style error, a hang, or a dropped connection.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';

import { buildChatCompletionBody } from '../../openai-wire/chat-completion-body';
import { buildErrorBody } from '../../openai-wire/error-body';
import { DONE_EVENT_DATA } from '../../openai-wire/server-sent-events';
import type { HttpExchange } from './http-exchange';
import { buildMessageChunks } from './message-chunks';
import { resolveMessage } from './resolved-message';
import type {
  ScriptedError,
  ScriptedRequest,
  ScriptedResponse,
  ScriptedTextMessage,
  ScriptedToolCallMessage,
} from './scripted-response';

/** What writing a response needs from the server. */
export interface ResponseWriterOptions {
  /** Model id echoed when the request names none. */
  defaultModel: string;
  /** Milliseconds between stream chunks unless the response sets its own. */
  chunkDelayMs: number;
  /** The next generated tool call id. */
  nextToolCallId: () => string;
}

/** Writes `response` to the request recorded as `record`, waiting its delays. */
export async function writeScriptedResponse(
  exchange: HttpExchange,
  record: ScriptedRequest,
  response: ScriptedResponse,
  options: ResponseWriterOptions,
): Promise<void> {
  switch (response.kind) {
    case 'hang':
      return;
    case 'disconnect':
      if (await exchange.wait(response.delayMs ?? 0)) exchange.destroy();
      return;
    case 'error':
      if (await exchange.wait(response.delayMs ?? 0)) writeScriptedError(exchange, response);
      return;
    case undefined:
    case 'message':
      await writeMessage(exchange, record, response, options);
      return;
    default: {
      const kind = String((response as { kind: unknown }).kind);
      writeScriptedError(exchange, { kind: 'error', status: 500, message: `Unknown scripted response kind: ${kind}` });
    }
  }
}

/** Answers with an OpenAI-style error body, and `retry-after` headers when the error sets them. */
export function writeScriptedError(exchange: HttpExchange, error: ScriptedError): void {
  const headers: OutgoingHttpHeaders = {};
  if (error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(error.retryAfterSeconds);
    headers['retry-after-ms'] = String(Math.round(error.retryAfterSeconds * 1000));
  }
  const message = error.message ?? `Scripted error (HTTP ${error.status})`;
  exchange.sendJson(error.status, buildErrorBody(error.status, message, error.type, error.code), headers);
}

/** The 401 OpenAI answers to a wrong API key. */
export function unauthorizedError(): ScriptedError {
  return {
    kind: 'error',
    status: 401,
    message: 'Incorrect API key provided',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  };
}

/** True for the responses that answer with a message (text or tool calls). */
export function isMessageResponse(response: ScriptedResponse): response is ScriptedTextMessage | ScriptedToolCallMessage {
  return response.kind === undefined || response.kind === 'message';
}

async function writeMessage(
  exchange: HttpExchange,
  record: ScriptedRequest,
  message: ScriptedTextMessage | ScriptedToolCallMessage,
  options: ResponseWriterOptions,
): Promise<void> {
  if (!(await exchange.wait(message.delayMs ?? 0))) return;
  const body = record.body as Record<string, unknown>;
  const resolved = resolveMessage(message, body['messages'], options.nextToolCallId);
  const identity = {
    id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
    created: Math.floor(Date.now() / 1000),
    model: typeof body['model'] === 'string' ? body['model'] : options.defaultModel,
  };
  const disconnectAfterChunks = message.disconnectAfterChunks;

  if (body['stream'] !== true) {
    if (disconnectAfterChunks !== undefined) exchange.destroy();
    else exchange.sendJson(200, buildChatCompletionBody(resolved, identity));
    return;
  }

  const streamOptions = body['stream_options'];
  const includeUsage =
    typeof streamOptions === 'object' &&
    streamOptions !== null &&
    (streamOptions as Record<string, unknown>)['include_usage'] === true;
  const chunks = buildMessageChunks(resolved, identity, includeUsage);
  const chunkDelayMs = message.chunkDelayMs ?? options.chunkDelayMs;
  exchange.startEventStream();
  for (const [position, chunk] of chunks.entries()) {
    if (position > 0 && !(await exchange.wait(chunkDelayMs))) return;
    if (disconnectAfterChunks !== undefined && position >= disconnectAfterChunks) {
      exchange.destroyAfterFlush();
      return;
    }
    exchange.writeEvent(JSON.stringify(chunk));
  }
  if (!(await exchange.wait(chunkDelayMs))) return;
  exchange.writeEvent(DONE_EVENT_DATA);
  exchange.endResponse();
}
