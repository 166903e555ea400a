import type { ServerResponse } from 'node:http';

/** The `data` of the event that ends a stream of chunks. */
export const DONE_EVENT_DATA = '[DONE]';

/** Sends the headers of a server-sent-events answer at once, so the client sees the stream start. */
export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  response.flushHeaders();
}

/** One `data: …` event, with the blank line that ends it. */
export function formatEvent(data: string): string {
  return `data: ${data}\n\n`;
}
