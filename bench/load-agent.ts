import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import { Zap, ZapAgent, tool } from 'zap-agents';
import { BENCH_MODEL, BENCH_SYSTEM_PROMPT } from './bench-task';
import { echoTool } from './echo-tool';

/**
 * The agents of the load benchmarks, built alike in the client process and in the worker process
 * (`load-worker.ts`): the worker needs their tools, the client their limits (timeouts and retry
 * policies travel in the workflow input, so the client's definition is the one in force).
 */

/** `echo` only: the same tool list as the bare workflow, so both sides send identical model requests. */
export const LOAD_AGENT = 'Load';
/** `slow_step` and `transfer_funds`: the recovery and approval scenarios. */
export const OPERATOR_AGENT = 'Operator';
export const SLOW_STEP_TOOL = 'slow_step';
export const TRANSFER_TOOL = 'transfer_funds';

/**
 * Idempotent, and blocks on its first attempt until the attempt is abandoned (its worker is killed,
 * or it times out); later attempts return at once. So a worker killed under it leaves a call that
 * only a retry on another worker can finish.
 */
const slowStepTool = tool({
  name: SLOW_STEP_TOOL,
  description: 'Runs a slow, idempotent step.',
  parameters: z.object({ step: z.string() }),
  idempotent: true,
  execute: async ({ step }, context) => {
    if (Context.current().info.attempt === 1) {
      await sleep(10 * 60 * 1000, undefined, { signal: context.signal }).catch(() => undefined);
    }
    return `step ${step} done`;
  },
});

/** Gated by the approval rules of the memory benchmark; returns at once when approved. */
const transferTool = tool({
  name: TRANSFER_TOOL,
  description: 'Transfers money.',
  parameters: z.object({ amount: z.number(), to: z.string() }),
  execute: ({ amount, to }) => `transferred ${amount} to ${to}`,
});

/** What {@link createLoadZap} needs. */
export interface LoadZapOptions {
  taskQueue: string;
  temporalAddress: string;
  /** A pre-built client (the benchmark's own connection) instead of connecting. @default undefined */
  temporalClient?: Client;
  /** The model endpoint (worker side). @default $OPENAI_BASE_URL / $OPENAI_API_KEY */
  llm?: { baseURL: string; apiKey: string };
  /** @default '1 hour' */
  idleTimeout?: Duration;
  /** Heartbeat timeout of both agents' calls. @default the zap-agents default (20 seconds) */
  heartbeat?: Duration;
  /** First retry interval of tool calls. @default the zap-agents default (1 second) */
  toolRetryInitialInterval?: Duration;
  /** @default the zap-agents default (4096) */
  inlineMessageBytes?: number;
}

/** A `Zap` with both load agents. */
export function createLoadZap(options: LoadZapOptions): Zap {
  const limits = {
    ...(options.heartbeat === undefined ? {} : { timeouts: { heartbeat: options.heartbeat } }),
    ...(options.toolRetryInitialInterval === undefined ? {} : { retry: { tool: { initialInterval: options.toolRetryInitialInterval } } }),
  };
  const agent = (name: string, tools: ConstructorParameters<typeof ZapAgent>[0]['tools']): ZapAgent =>
    new ZapAgent({ name, prompt: BENCH_SYSTEM_PROMPT, model: BENCH_MODEL, tools, ...limits });
  return new Zap({
    agents: [agent(LOAD_AGENT, [echoTool]), agent(OPERATOR_AGENT, [slowStepTool, transferTool])],
    taskQueue: options.taskQueue,
    temporal: { address: options.temporalAddress },
    ...(options.temporalClient ? { temporalClient: options.temporalClient } : {}),
    ...(options.llm ? { llm: options.llm } : {}),
    idleTimeout: options.idleTimeout ?? '1 hour',
    ...(options.inlineMessageBytes === undefined ? {} : { inlineMessageBytes: options.inlineMessageBytes }),
    // Approval patterns are checked against the tools at each start; nothing to warn about here.
    logger: { warn: () => undefined },
  });
}
