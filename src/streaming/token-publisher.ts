import { DEFAULT_TOKEN_SUBSCRIBER_CHECK_INTERVAL_MS } from '../core/defaults';
import type { TokenChunk, TokenTransport } from './token-transport';

/** Deltas held while the first "anyone listening?" answer is pending, at most (the rest are dropped). */
const MAX_HELD_DELTAS = 10_000;

/** Which model call's deltas a {@link TokenPublisher} publishes. */
export type TokenCall = Pick<TokenChunk, 'taskId' | 'callIndex' | 'attempt'>;

/** Options of {@link TokenPublisher}. */
export interface TokenPublisherOptions {
  /** How often to ask the transport again whether anyone listens. @default 250 */
  checkIntervalMs?: number;
}

/**
 * Publishes the text deltas of one model call attempt through a token transport, only while
 * someone listens to the task: it asks `hasSubscribers` when created (deltas wait for that first
 * answer) and again at the first delta and at most every `checkIntervalMs` after, so a subscriber that attaches
 * mid-call gets the deltas from then on. Deltas within the transport's `publishBatchMs` travel as
 * one chunk. Call {@link finish} when the call ends (answered or failed): it sends what is held.
 */
export class TokenPublisher {
  /** Chunks published so far (for tests and benchmarks). */
  published = 0;
  private readonly checkIntervalMs: number;
  private readonly batchMs: number;
  /** undefined while the first answer is pending. */
  private listening: boolean | undefined;
  private checking = false;
  private lastCheckAt = 0;
  private held: string[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private index = 0;
  /** Deltas seen so far: the first one always asks again (subscribers attach while the model thinks). */
  private deltasSeen = 0;
  private readonly firstAnswer: Promise<boolean>;
  private answerFirst: ((listening: boolean) => void) | undefined;

  constructor(
    private readonly transport: TokenTransport,
    private readonly call: TokenCall,
    options: TokenPublisherOptions = {},
  ) {
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_TOKEN_SUBSCRIBER_CHECK_INTERVAL_MS;
    this.batchMs = transport.publishBatchMs ?? 0;
    this.firstAnswer = new Promise((resolve) => (this.answerFirst = resolve));
    if (transport.hasSubscribers) this.check();
    else this.setListening(true);
  }

  /** Whether someone listened when the call started (the first answer of `hasSubscribers`; true without it). */
  listeningAtStart(): Promise<boolean> {
    return this.firstAnswer;
  }

  /** One text delta of the model's answer. */
  delta(text: string): void {
    if (this.finished) return;
    const firstDelta = this.deltasSeen++ === 0;
    if (this.listening !== undefined && this.transport.hasSubscribers && (firstDelta || Date.now() - this.lastCheckAt >= this.checkIntervalMs)) this.check();
    // While a second answer is pending, deltas are held: a subscriber that just attached gets them.
    if (this.listening === false && !this.checking) return;
    if (this.listening === true && this.batchMs === 0) {
      this.send(text);
      return;
    }
    if (this.held.length < MAX_HELD_DELTAS) this.held.push(text);
    if (this.listening === true) this.batchTimer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  /**
   * The call ended: publishes what is held when someone listens (or once the first answer says
   * so, if it is still pending) and ignores later deltas.
   */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.flush();
  }

  private check(): void {
    if (this.checking || this.finished) return;
    this.lastCheckAt = Date.now();
    let answer: boolean | Promise<boolean>;
    try {
      answer = this.transport.hasSubscribers!(this.call.taskId);
    } catch {
      answer = true;
    }
    if (typeof answer === 'boolean') {
      this.setListening(answer);
      return;
    }
    this.checking = true;
    answer.then(
      (listening) => this.setListening(listening),
      () => this.setListening(true),
    ).finally(() => {
      this.checking = false;
    });
  }

  private setListening(listening: boolean): void {
    this.listening = listening;
    this.answerFirst?.(listening);
    this.answerFirst = undefined;
    if (!listening) {
      this.held = [];
      this.clearBatchTimer();
    } else if (this.held.length > 0 && (this.batchMs === 0 || this.finished)) {
      this.flush();
    } else if (this.held.length > 0) {
      this.batchTimer ??= setTimeout(() => this.flush(), this.batchMs);
    }
  }

  private flush(): void {
    this.clearBatchTimer();
    if (this.listening === false) this.held = [];
    if (this.listening !== true || this.held.length === 0) return;
    const text = this.held.join('');
    this.held = [];
    this.send(text);
  }

  private clearBatchTimer(): void {
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
  }

  private send(text: string): void {
    this.published += 1;
    this.transport.publish({ ...this.call, index: this.index++, delta: text });
  }
}
