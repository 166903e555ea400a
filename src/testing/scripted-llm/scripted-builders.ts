import type {
  ScriptedError,
  ScriptedMessageOptions,
  ScriptedResponse,
  ScriptedToolCall,
} from './scripted-response';

/** Options of `scripted.toolCalls`: the message options plus accompanying text. */
export interface ScriptedToolCallsOptions extends ScriptedMessageOptions {
  /** @default null */
  content?: string | null;
}

/** Options of `scripted.error` besides status and message. */
export type ScriptedErrorOptions = Pick<ScriptedError, 'retryAfterSeconds' | 'type' | 'code' | 'delayMs'>;

/** Small builders that make scripts readable: `scripted.text('hi')`, `scripted.error(429, ...)`. */
export const scripted = {
  /** An assistant text reply (`finish_reason: 'stop'`). */
  text(content: string, extra?: ScriptedMessageOptions): ScriptedResponse {
    return { ...extra, kind: 'message', content };
  },
  /**
   * An assistant reply whose text is `value` as JSON (`JSON.stringify`): the answer of a model
   * asked for structured output (`response_format: json_schema`, or a schema in the prompt).
   */
  json(value: unknown, extra?: ScriptedMessageOptions): ScriptedResponse {
    return { ...extra, kind: 'message', content: JSON.stringify(value) };
  },
  /** An assistant reply calling tools (`finish_reason: 'tool_calls'`). */
  toolCalls(calls: ScriptedToolCall[], extra?: ScriptedToolCallsOptions): ScriptedResponse {
    return { ...extra, kind: 'message', toolCalls: calls };
  },
  /** An HTTP error with an OpenAI-style error body. */
  error(status: number, message?: string, extra?: ScriptedErrorOptions): ScriptedResponse {
    return {
      ...extra,
      kind: 'error',
      status,
      ...(message === undefined ? {} : { message }),
    };
  },
  /** No answer at all, until the client gives up or the server closes. */
  hang(): ScriptedResponse {
    return { kind: 'hang' };
  },
  /** The socket is destroyed without an answer. */
  disconnect(extra?: { delayMs?: number }): ScriptedResponse {
    return { ...extra, kind: 'disconnect' };
  },
};
