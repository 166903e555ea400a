import type { TaskEvent } from '../core/events';
import type { StreamEventsInput } from '../operations/operation-schemas';
import type { Principal } from '../operations/principal';
import type { ZapOperations } from '../operations/zap-operations';
import { problemFromError } from './problem-from-error';

/** Media type of the event stream. */
export const EVENT_STREAM_CONTENT_TYPE = 'text/event-stream; charset=utf-8';
/** The SSE event name of an error that ends a stream after it started (its data is a problem). */
export const PROBLEM_EVENT_NAME = 'problem';

/** What {@link createTaskEventStreamResponse} streams. */
export interface TaskEventStreamResponseOptions {
  operations: ZapOperations;
  principal: Principal;
  /** Validated already (the route answers 4xx before the stream starts). */
  input: StreamEventsInput;
  /** The request's signal: aborted when the client disconnects. */
  signal: AbortSignal;
  heartbeatIntervalMs: number;
  /** The request path, the `instance` of a problem event. */
  instance: string;
}

/**
 * A `text/event-stream` answer of a task's events from `operations.streamEvents`: each durable
 * event as `id: <seq>`, `event: <type>`, `data: <json>` (so `Last-Event-ID` resumes after it),
 * live tokens without an `id` (not resumable), a comment heartbeat while idle. The stream ends
 * with the operation's stream; a client that disconnects aborts the operation. An error after
 * the stream started is sent as a `problem` event, then the stream ends.
 */
export function createTaskEventStreamResponse(options: TaskEventStreamResponseOptions): Response {
  const { operations, principal, input, signal, heartbeatIntervalMs, instance } = options;
  const encoder = new TextEncoder();
  const abort = new AbortController();
  const abortOperation = (): void => abort.abort();
  let closed = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const finish = (): void => {
    closed = true;
    clearInterval(heartbeat);
    signal.removeEventListener('abort', abortOperation);
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string): void => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      if (signal.aborted) abort.abort();
      signal.addEventListener('abort', abortOperation, { once: true });
      // A first comment sends the headers through any buffering proxy at once.
      write(': stream started\n\n');
      heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatIntervalMs);
      void (async () => {
        try {
          for await (const event of operations.streamEvents(principal, input, abort.signal)) write(formatTaskEvent(event));
        } catch (error) {
          if (!abort.signal.aborted) write(formatServerSentEvent(PROBLEM_EVENT_NAME, JSON.stringify(problemFromError(error, instance))));
        } finally {
          const wasClosed = closed;
          finish();
          if (!wasClosed) controller.close();
        }
      })();
    },
    cancel() {
      finish();
      abort.abort();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': EVENT_STREAM_CONTENT_TYPE,
      'cache-control': 'no-cache',
      // Tells nginx not to buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}

/** One task event as an SSE event: durable events carry their `seq` as `id`, tokens none. */
export function formatTaskEvent(event: TaskEvent): string {
  return formatServerSentEvent(event.type, JSON.stringify(event), event.type === 'token' ? undefined : event.seq);
}

/** An SSE event; `data` must be one line (JSON is). */
export function formatServerSentEvent(name: string, data: string, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${name}\ndata: ${data}\n\n`;
}
