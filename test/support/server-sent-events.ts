/**
 * A small server-sent-events client over `fetch`, as a browser's EventSource reads a stream
 * (fields `id`, `event`, `data`; comment lines), for the HTTP API's tests and benchmark.
 */

/** One dispatched event, or a comment line (a heartbeat). */
export type ServerSentItem =
  | { kind: 'event'; id: string | undefined; event: string; data: string }
  | { kind: 'comment'; text: string };

/** Parses an event stream body into events and comments, as they arrive. */
export async function* parseServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentItem, void, undefined> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let id: string | undefined;
  let event: string | undefined;
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (line === '') {
          if (data.length > 0 || event !== undefined) yield { kind: 'event', id, event: event ?? 'message', data: data.join('\n') };
          id = undefined;
          event = undefined;
          data = [];
        } else if (line.startsWith(':')) {
          yield { kind: 'comment', text: line.slice(1).trim() };
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') data.push(fieldValue);
          else if (field === 'event') event = fieldValue;
          else if (field === 'id') id = fieldValue;
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** An open event stream: its response, its items, and a way to disconnect. */
export interface EventStreamConnection {
  response: Response;
  items: AsyncGenerator<ServerSentItem, void, undefined>;
  /** Drops the connection, as a client going away does. */
  disconnect(): void;
}

/** GETs an event stream; the caller reads `items` (a non-2xx answer has no items to read). */
export async function connectEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStreamConnection> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const items = response.ok && response.body ? parseServerSentEvents(response.body) : (async function* () {})();
  return { response, items, disconnect: () => controller.abort() };
}
