/**
 * The scripted model of every benchmark, on the library's own zero-latency `ScriptedLlmServer`.
 * A task's first user message starts with a header naming the task and its scenario, so one
 * server answers every task of a run, on either side (zap-agents or the bare workflow), without
 * state: a request's tool rounds are the tool results after the newest user message.
 */
import { performance } from 'node:perf_hooks';
import { ScriptedLlmServer, scripted, type ScriptedRequest, type ScriptedResponse } from 'zap-agents/testing';

/** What the scripted model does with a task. */
export type Scenario =
  /** `rounds` calls of `echo` (default 1), then the final answer. */
  | 'echo'
  /** The final answer at once; the task then waits for a follow-up. */
  | 'answer'
  /** One `transfer_funds` call, which approval rules gate: the task waits for a human. */
  | 'approval'
  /** One `slow_step` call, which blocks on its first attempt: a worker can be killed under it. */
  | 'slow'
  /** One `unsafe_step` call (not idempotent), which blocks until its worker is killed. */
  | 'unsafe'
  /** The first model request hangs (a worker can be killed under it); later requests answer at once. */
  | 'hang'
  /** One healthy `long_step` call lasting `rounds` seconds, then the answer. */
  | 'long'
  /** A healthy model call whose answer takes `rounds` seconds. */
  | 'think'
  /** Every request (first message and each follow-up) answered with `bytes` bytes of text. */
  | 'chat'
  /** `rounds` calls of `wait_step`, the first answer after FIRST_ANSWER_DELAY_MS. */
  | 'steps';

/** Identifies a task to the scripted model. */
export interface TaskKey {
  taskKey: string;
  scenario: Scenario;
  /** Tool rounds of `echo` and `steps`. @default 1 */
  rounds?: number;
  /** Size of the answers of `chat`. @default 0 */
  bytes?: number;
  /**
   * Words of text in every answer of `echo`, tool-call answers included, streamed one chunk per
   * word (see {@link answerWords}); the final answer is that text instead of FINAL_ANSWER.
   * @default 0
   */
  words?: number;
}

/** Roughly the size of a typical short tool argument and a short answer. */
export const PAYLOAD_BYTES = 200;
/** The text the scripted model passes to `echo` at every tool round. */
export const ECHO_ARGUMENT_TEXT = padText('echo argument: ', PAYLOAD_BYTES);
/** The scripted model's final answer (but in `chat`). */
export const FINAL_ANSWER = padText('final answer: ', PAYLOAD_BYTES);
/** The first answer of a `steps` task waits this long, so subscribers attached at its start catch up first. */
export const FIRST_ANSWER_DELAY_MS = 300;
/** Tool names the scripted model calls; the agents in `bench-zap.ts` define them. */
export const TOOL_NAMES = { echo: 'echo', slow: 'slow_step', unsafe: 'unsafe_step', long: 'long_step', approval: 'transfer_funds', steps: 'wait_step' } as const;

const SCENARIOS: ReadonlySet<string> = new Set<Scenario>(['echo', 'answer', 'approval', 'slow', 'unsafe', 'hang', 'long', 'think', 'chat', 'steps']);
const HEADER_PATTERN = /^\[bench (\S+) (\w+) rounds=(\d+) bytes=(\d+)(?: words=(\d+))?\]/;

/** The first user message of a task: the header, padded with filler to `messageBytes` bytes when that is longer. */
export function formatTaskMessage(key: TaskKey, messageBytes = 0): string {
  const words = key.words ? ` words=${key.words}` : '';
  return padText(`[bench ${key.taskKey} ${key.scenario} rounds=${key.rounds ?? 1} bytes=${key.bytes ?? 0}${words}] `, messageBytes);
}

/** `count` short words separated by spaces: about `count` tokens, and `count` stream chunks from the scripted server. */
export function answerWords(count: number): string {
  return Array.from({ length: count }, (_, index) => `tok${index % 100}`).join(' ');
}

/** `prefix` followed by `x`s up to `bytes` bytes (ASCII, so characters are bytes); `prefix` alone if longer. */
export function padText(prefix: string, bytes: number): string {
  return prefix + 'x'.repeat(Math.max(0, bytes - prefix.length));
}

interface RequestMessage {
  role?: unknown;
  content?: unknown;
}

interface RequestWaiter {
  count: number;
  resolve: () => void;
}

/**
 * The server, and when each request of a task arrived on the benchmark's clock, so a benchmark
 * can wait for "the task's Nth model request" and split a latency into phases without asking
 * the worker anything.
 */
export class ScriptedModel {
  private readonly arrivalsByTask = new Map<string, number[]>();
  private readonly waiters = new Map<string, RequestWaiter[]>();
  private readonly answerRequest = (request: ScriptedRequest): ScriptedResponse => this.answer(request);

  private constructor(private readonly server: ScriptedLlmServer) {
    server.setHandler(this.answerRequest);
  }

  /** Starts the server on a free port of 127.0.0.1. */
  static async start(): Promise<ScriptedModel> {
    return new ScriptedModel(await ScriptedLlmServer.start());
  }

  /** What OpenAI clients take as `baseURL`. */
  get baseURL(): string {
    return this.server.baseURL;
  }

  /** `performance.now()` at the arrival of each model request of a task, in order. */
  arrivals(taskKey: string): readonly number[] {
    return this.arrivalsByTask.get(taskKey) ?? [];
  }

  /** Resolves once `count` model requests of the task have arrived (at once if they already have). */
  whenRequested(taskKey: string, count: number): Promise<void> {
    if (this.arrivals(taskKey).length >= count) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.set(taskKey, [...(this.waiters.get(taskKey) ?? []), { count, resolve }]);
    });
  }

  /**
   * Drops what is kept about a finished task, and the request bodies the server records (a long
   * conversation sends all of it in every request, which would otherwise pile up here).
   */
  forget(taskKey: string): void {
    this.arrivalsByTask.delete(taskKey);
    this.waiters.delete(taskKey);
    this.server.reset();
    this.server.setHandler(this.answerRequest);
  }

  /** Stops the server. */
  close(): Promise<void> {
    return this.server.close();
  }

  private answer(request: ScriptedRequest): ScriptedResponse {
    const arrivedAt = performance.now();
    const messages = (request.body as { messages?: RequestMessage[] }).messages ?? [];
    const firstUser = messages.find((message) => message.role === 'user');
    const key = typeof firstUser?.content === 'string' ? parseTaskMessage(firstUser.content) : undefined;
    if (!key) return scripted.error(400, 'Not a benchmark task: the first user message carries no header.');
    const arrivals = [...this.arrivals(key.taskKey), arrivedAt];
    this.arrivalsByTask.set(key.taskKey, arrivals);
    this.notifyWaiters(key.taskKey, arrivals.length);

    const lastUser = messages.findLastIndex((message) => message.role === 'user');
    const done = messages.slice(lastUser + 1).filter((message) => message.role === 'tool').length;
    const rounds = key.rounds ?? 1;
    const delay = key.scenario === 'steps' && done === 0 ? { delayMs: FIRST_ANSWER_DELAY_MS } : {};
    const text = key.words ? answerWords(key.words) : undefined;
    const call = (name: string, args: Record<string, unknown>): ScriptedResponse =>
      scripted.toolCalls([{ name, arguments: args }], { ...delay, ...(text && key.scenario === 'echo' ? { content: text } : {}) });
    switch (key.scenario) {
      case 'chat':
        return scripted.text(padText(`answer ${arrivals.length}: `, key.bytes ?? 0));
      case 'echo':
        if (done < rounds) return call(TOOL_NAMES.echo, { text: ECHO_ARGUMENT_TEXT });
        break;
      case 'steps':
        if (done < rounds) return call(TOOL_NAMES.steps, { step: done + 1 });
        break;
      case 'approval':
        if (done < 1) return call(TOOL_NAMES.approval, { amount: 75, to: 'ACME' });
        break;
      case 'slow':
        if (done < 1) return call(TOOL_NAMES.slow, { step: 'import' });
        break;
      case 'unsafe':
        if (done < 1) return call(TOOL_NAMES.unsafe, { step: 'payment' });
        break;
      case 'hang':
        if (arrivals.length === 1) return scripted.hang();
        break;
      case 'long':
        if (done < 1) return call(TOOL_NAMES.long, { ms: rounds * 1000 });
        break;
      case 'think':
        return scripted.text(FINAL_ANSWER, { delayMs: rounds * 1000 });
      case 'answer':
        break;
    }
    return scripted.text(text && key.scenario === 'echo' ? text : FINAL_ANSWER, delay);
  }

  private notifyWaiters(taskKey: string, arrived: number): void {
    const waiters = this.waiters.get(taskKey) ?? [];
    for (const waiter of waiters) if (waiter.count <= arrived) waiter.resolve();
    const pending = waiters.filter((waiter) => waiter.count > arrived);
    if (pending.length > 0) this.waiters.set(taskKey, pending);
    else this.waiters.delete(taskKey);
  }
}

function parseTaskMessage(text: string): TaskKey | undefined {
  const match = HEADER_PATTERN.exec(text);
  if (!match || !SCENARIOS.has(match[2]!)) return undefined;
  return { taskKey: match[1]!, scenario: match[2] as Scenario, rounds: Number(match[3]), bytes: Number(match[4]), ...(match[5] ? { words: Number(match[5]) } : {}) };
}
