import { randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

import { readRequestText, sendJson } from '../../openai-wire/json-http';
import { formatEvent, startEventStream } from '../../openai-wire/server-sent-events';

/**
 * One HTTP request/response pair of the scripted server, with the waits it is running. When the client
 * goes away (or the server closes) every wait resolves `false` at once and its timer is cleared, so the
 * server stops writing and leaves no timers behind.
 */
export class HttpExchange {
  private open = true;
  private readonly pendingWaits = new Map<NodeJS.Timeout, (stillOpen: boolean) => void>();
  private readonly endListeners: Array<() => void> = [];

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
  ) {
    response.setHeader('x-request-id', `req_${randomBytes(12).toString('hex')}`);
    response.on('close', () => this.finish());
  }

  /** Whether an answer can still be written. */
  get isOpen(): boolean {
    return this.open && !this.response.destroyed;
  }

  /** Calls `listener` once, when the exchange is over (answered, aborted by the client, or destroyed). */
  onEnd(listener: () => void): void {
    if (this.open) this.endListeners.push(listener);
    else listener();
  }

  /** Waits `ms` milliseconds; resolves whether the exchange is still open afterwards. */
  wait(ms: number): Promise<boolean> {
    if (!this.isOpen) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingWaits.delete(timer);
        resolve(this.isOpen);
      }, ms);
      this.pendingWaits.set(timer, resolve);
    });
  }

  /** The whole request body as UTF-8 text; undefined when the client went away before sending it all. */
  async readBody(): Promise<string | undefined> {
    try {
      return await readRequestText(this.request);
    } catch {
      return undefined;
    }
  }

  /** Answers with a JSON body. Does nothing when the exchange is no longer open. */
  sendJson(status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    if (this.isOpen) sendJson(this.response, status, body, headers);
  }

  /** Sends the headers of a server-sent-events answer. */
  startEventStream(): void {
    if (this.isOpen && !this.response.headersSent) startEventStream(this.response);
  }

  /** Writes one `data: ...` event. */
  writeEvent(data: string): void {
    if (this.isOpen) this.response.write(formatEvent(data));
  }

  /** Ends the answer normally. */
  endResponse(): void {
    if (this.isOpen) this.response.end();
  }

  /** Destroys the connection at once, without answering. */
  destroy(): void {
    this.request.socket.destroy();
    this.finish();
  }

  /** Closes the connection once what was written so far has been sent: a stream cut short. */
  destroyAfterFlush(): void {
    const socket = this.request.socket;
    this.finish();
    socket.end(() => socket.destroy());
  }

  /** Stops every wait (they resolve `false`) and clears their timers. The socket is left alone. */
  finish(): void {
    if (!this.open) return;
    this.open = false;
    for (const [timer, resolve] of this.pendingWaits) {
      clearTimeout(timer);
      resolve(false);
    }
    this.pendingWaits.clear();
    for (const listener of this.endListeners.splice(0)) listener();
  }
}
