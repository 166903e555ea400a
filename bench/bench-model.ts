import { performance } from 'node:perf_hooks';
import { ScriptedLlmServer, scripted, type ScriptedRequest, type ScriptedResponse } from 'zap-agents/testing';
import { ECHO_ARGUMENT_TEXT, FINAL_ANSWER, parseTaskMessage } from './bench-task';
import { echoTool } from './echo-tool';

interface RequestWaiter {
  count: number;
  resolve: () => void;
}

interface RequestMessage {
  role?: unknown;
  content?: unknown;
}

/**
 * The scripted model of the benchmark, on a zero-latency `ScriptedLlmServer`. A task with K tool
 * rounds gets one `echo` call for each of its first K requests (the round is the number of tool
 * messages already in the conversation), then the final answer. It records when each request of a
 * task arrived, on the benchmark's own clock, so a task's latency can be split into phases.
 */
export class BenchModel {
  private readonly arrivalsByTask = new Map<string, number[]>();
  private readonly waiters = new Map<string, RequestWaiter[]>();

  private constructor(private readonly server: ScriptedLlmServer) {}

  /** Starts the server on a free port of 127.0.0.1. */
  static async start(): Promise<BenchModel> {
    const server = await ScriptedLlmServer.start();
    const model = new BenchModel(server);
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

  /** Stops the server. */
  close(): Promise<void> {
    return this.server.close();
  }

  private answer(request: ScriptedRequest): ScriptedResponse {
    const arrivedAt = performance.now();
    const messages = (request.body as { messages?: RequestMessage[] }).messages ?? [];
    const userMessage = messages.find((message) => message.role === 'user');
    const key = typeof userMessage?.content === 'string' ? parseTaskMessage(userMessage.content) : undefined;
    if (!key) return scripted.error(400, 'Not a benchmark task: the user message carries no task key.');
    const arrivals = this.arrivalsByTask.get(key.taskKey) ?? [];
    arrivals.push(arrivedAt);
    this.arrivalsByTask.set(key.taskKey, arrivals);
    this.notifyWaiters(key.taskKey, arrivals.length);
    const round = messages.filter((message) => message.role === 'tool').length;
    if (round < key.rounds) {
      return scripted.toolCalls([{ name: echoTool.name, arguments: { text: ECHO_ARGUMENT_TEXT } }]);
    }
    return scripted.text(FINAL_ANSWER);
  }

  private notifyWaiters(taskKey: string, arrived: number): void {
    const waiters = this.waiters.get(taskKey) ?? [];
    const pending = waiters.filter((waiter) => waiter.count > arrived);
    for (const waiter of waiters) if (waiter.count <= arrived) waiter.resolve();
    if (pending.length > 0) this.waiters.set(taskKey, pending);
    else this.waiters.delete(taskKey);
  }
}
