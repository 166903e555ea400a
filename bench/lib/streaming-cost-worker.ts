/**
 * What `workers/zap-worker.ts` loads in the streaming benchmark's cost phase: a `Zap` with the
 * `Bench` agent only, with BENCH_STREAMING (`1` / `0` / `when-watched`) and a token transport from BENCH_TOKENS:
 * `in-process` (the default transport; nobody in the worker process listens), `watch-all` (a
 * listener in the worker process takes every token of every task, as an in-process
 * `zap.streamTask` would) or `nats` (a `NatsTokenTransport` on BENCH_NATS_URL; the benchmark
 * process subscribes, or not). It uses only what zap-agents 0.2.0 already had, so the same file
 * runs a worker of the committed code (the "before" side) from a copy of the repository.
 */
import { Zap, ZapAgent, type TokenChunk, type TokenTransport } from 'zap-agents';
import { NatsTokenTransport } from 'zap-agents/nats';
import { BENCH_AGENT, BENCH_MODEL, BENCH_SYSTEM_PROMPT, echoTool } from './bench-zap';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the streaming benchmark starts this worker with it.`);
  return value;
}

/** Every task's tokens go to one listener in this process, which keeps what a stream would (the text). */
function watchAllTransport(): TokenTransport {
  let received = 0;
  const listener = (chunk: TokenChunk): void => {
    received += chunk.delta.length;
  };
  return {
    publish: (chunk) => listener(chunk),
    hasSubscribers: () => true,
    subscribe: async () => ({ unsubscribe: async () => undefined }),
    close: async () => undefined,
  } as TokenTransport;
}

function tokenTransport(): TokenTransport | undefined {
  switch (process.env.BENCH_TOKENS ?? 'in-process') {
    case 'in-process':
      return undefined;
    case 'watch-all':
      return watchAllTransport();
    case 'nats':
      return new NatsTokenTransport({ servers: required('BENCH_NATS_URL') });
    default:
      throw new Error(`BENCH_TOKENS must be in-process, watch-all or nats, not ${process.env.BENCH_TOKENS}.`);
  }
}

const tokens = tokenTransport();

/** The worker's Zap. */
export const zap = new Zap({
  agents: [
    new ZapAgent({
      name: BENCH_AGENT,
      prompt: BENCH_SYSTEM_PROMPT,
      model: BENCH_MODEL,
      tools: [echoTool],
      stuck: false,
      streaming: process.env.BENCH_STREAMING === 'when-watched' ? 'when-watched' : process.env.BENCH_STREAMING !== '0',
    }),
  ],
  taskQueue: required('ZAP_TASK_QUEUE'),
  temporal: { address: required('TEMPORAL_ADDRESS') },
  llm: { baseURL: required('OPENAI_BASE_URL'), apiKey: required('OPENAI_API_KEY') },
  logger: { warn: () => undefined },
  ...(tokens ? { tokens } : {}),
});
