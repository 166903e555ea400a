import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Zap, type ZapAgent } from 'zap-agents';
import { getMessagesQuery } from 'zap-agents/workflows';
import { formatTaskMessage } from './bench-task';

/** What {@link probeConversationQuery} needs. */
export interface QueryProbeOptions {
  agent: ZapAgent;
  temporalAddress: string;
  /** The task queue of a running zap-agents worker. */
  taskQueue: string;
  llmBaseURL: string;
  samples: number;
}

/** Latencies of the probe's calls, in milliseconds, in order. */
export interface QueryProbeResult {
  /** `getMessages` for one message of an open task: what `invokeModel` does before each model call. */
  conversationQueryMs: number[];
  /** A plain gRPC call to the frontend (`GetSystemInfo`): the network and server floor of any call. */
  frontendCallMs: number[];
}

const ANSWER_TIMEOUT_MS = 30_000;
const ANSWER_POLL_INTERVAL_MS = 10;

/**
 * Times the conversation query directly. A client-only `Zap` on the worker's task queue, with a
 * long idle timeout, starts a task that stays open after answering (as every task is while its
 * model is called); then the same query `invokeModel`'s conversation reader makes is repeated.
 */
export async function probeConversationQuery(options: QueryProbeOptions): Promise<QueryProbeResult> {
  const zap = new Zap({
    agents: [options.agent],
    taskQueue: options.taskQueue,
    temporal: { address: options.temporalAddress },
    llm: { baseURL: options.llmBaseURL, apiKey: 'bench' },
    idleTimeout: '5 minutes',
  });
  await zap.start();
  try {
    const task = await zap.executeTask({
      agentName: options.agent.name,
      task: formatTaskMessage({ taskKey: 'query-probe', rounds: 0 }),
    });
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    while ((await zap.getTask(task.id)).status !== 'completed') {
      if (Date.now() > deadline) throw new Error(`The query probe task ${task.id} did not answer.`);
      await sleep(ANSWER_POLL_INTERVAL_MS);
    }
    const handle = zap.client.workflow.getHandle(task.id);
    const conversationQueryMs = await timeRepeatedly(options.samples, () =>
      handle.query(getMessagesQuery, { from: 2, to: 3 }),
    );
    const frontendCallMs = await timeRepeatedly(options.samples, () =>
      zap.client.workflowService.getSystemInfo({}),
    );
    await zap.cancelTask(task.id, 'query probe done');
    return { conversationQueryMs, frontendCallMs };
  } finally {
    await zap.stop();
  }
}

async function timeRepeatedly(count: number, call: () => Promise<unknown>): Promise<number[]> {
  const durations: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const startedAt = performance.now();
    await call();
    durations.push(performance.now() - startedAt);
  }
  return durations;
}
