import { performance } from 'node:perf_hooks';
import { ScriptedLlmServer, scripted, type ScriptedRequest, type ScriptedResponse } from 'zap-agents/testing';
import { ECHO_ARGUMENT_TEXT, FINAL_ANSWER } from './bench-task';
import { echoTool } from './echo-tool';
import { SLOW_STEP_TOOL, TRANSFER_TOOL } from './load-agent';
import { padText, parseLoadMessage } from './load-task';

interface RequestWaiter {
  count: number;
  resolve: () => void;
}

interface RequestMessage {
  role?: unknown;
  content?: unknown;
}

/**
 * The scripted model of the load benchmarks, on a zero-latency `ScriptedLlmServer`: it answers
 * each task by its scenario (see `load-task.ts`) and notes when each request of a task arrived,
 * so a benchmark can wait for "the task's Nth model request" without asking the worker anything.
 */
export class LoadModel {
  private readonly arrivalsByTask = new Map<string, number[]>();
  private readonly waiters = new Map<string, RequestWaiter[]>();

  private constructor(private readonly server: ScriptedLlmServer) {}

  /** Starts the server on a free port of 127.0.0.1. */
  static async start(): Promise<LoadModel> {
    const server = await ScriptedLlmServer.start();
    const model = new LoadModel(server);
    server.setHandler((request) => model.answer(request));
    return model;
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
      const waiters = this.waiters.get(taskKey) ?? [];
      waiters.push({ count, resolve });
      this.waiters.set(taskKey, waiters);
    });
  }

  /** Drops what is kept about a finished task. */
  forget(taskKey: string): void {
    this.arrivalsByTask.delete(taskKey);
    this.waiters.delete(taskKey);
  }

  /**
   * Drops the request bodies the scripted server records (a long conversation sends all of it in
   * every request, which would otherwise pile up in this process).
   */
  forgetRequestBodies(): void {
    this.server.reset();
    this.server.setHandler((request) => this.answer(request));
  }

  /** Stops the server. */
  close(): Promise<void> {
    return this.server.close();
  }

  private answer(request: ScriptedRequest): ScriptedResponse {
    const arrivedAt = performance.now();
    const messages = (request.body as { messages?: RequestMessage[] }).messages ?? [];
    const firstUser = messages.find((message) => message.role === 'user');
    const key = typeof firstUser?.content === 'string' ? parseLoadMessage(firstUser.content) : undefined;
    if (!key) return scripted.error(400, 'Not a load benchmark task: the first user message carries no key.');
    const arrivals = this.arrivalsByTask.get(key.taskKey) ?? [];
    arrivals.push(arrivedAt);
    this.arrivalsByTask.set(key.taskKey, arrivals);
    this.notifyWaiters(key.taskKey, arrivals.length);

    // A tool result after the newest user message means this request's tool round is done.
    const last = messages.at(-1);
    const toolRoundDone = last?.role === 'tool';
    switch (key.scenario) {
      case 'echo':
        return toolRoundDone ? scripted.text(FINAL_ANSWER) : scripted.toolCalls([{ name: echoTool.name, arguments: { text: ECHO_ARGUMENT_TEXT } }]);
      case 'approval':
        return toolRoundDone ? scripted.text(FINAL_ANSWER) : scripted.toolCalls([{ name: TRANSFER_TOOL, arguments: { amount: 75, to: 'ACME' } }]);
      case 'slow':
        return toolRoundDone ? scripted.text(FINAL_ANSWER) : scripted.toolCalls([{ name: SLOW_STEP_TOOL, arguments: { step: 'import' } }]);
      case 'chat':
        return scripted.text(padText(`answer ${arrivals.length}: `, key.bytes ?? 0));
      case 'answer':
        return scripted.text(FINAL_ANSWER);
    }
  }

  private notifyWaiters(taskKey: string, arrived: number): void {
    const waiters = this.waiters.get(taskKey) ?? [];
    const pending = waiters.filter((waiter) => waiter.count > arrived);
    for (const waiter of waiters) if (waiter.count <= arrived) waiter.resolve();
    if (pending.length > 0) this.waiters.set(taskKey, pending);
    else this.waiters.delete(taskKey);
  }
}
