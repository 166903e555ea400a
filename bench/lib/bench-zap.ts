/**
 * The agents of every benchmark, built alike in the benchmark process and in the worker processes
 * it starts (`worker-module.ts`): the worker needs their tools, the client their limits (timeouts
 * and retry policies travel in the workflow input, so the client's definition is the one in force).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import { tool, Zap, ZapAgent, type ZapAgentOptions } from 'zap-agents';
import { TOOL_NAMES } from './scripted-model';

/** `echo` only: the same tool list as the bare workflow, so both sides send identical model requests. */
export const BENCH_AGENT = 'Bench';
/** `Bench` with its `echo` declared idempotent and run as a local activity (`tool({ localActivity: true })`). */
export const BENCH_LOCAL_AGENT = 'BenchLocal';
/** `Bench` with `echo` served by the benchmark's MCP server (`mcpUrl`) instead of a local tool. */
export const BENCH_MCP_AGENT = 'BenchMcp';
/** Name of the benchmark's MCP server in agents' `mcpClients` and in the bare side's pool. */
export const BENCH_MCP_SERVER = 'bench';
/** `slow_step`, `unsafe_step`, `long_step` and `transfer_funds`: the recovery and approval scenarios. */
export const OPERATOR_AGENT = 'Operator';
/** `wait_step`: tool rounds that take a visible while, for the streaming benchmark. */
export const STREAMING_AGENT = 'Streaming';
/** Model id sent to the scripted server. */
export const BENCH_MODEL = 'scripted-model';
/** The system prompt of every agent and of the bare workflow. */
export const BENCH_SYSTEM_PROMPT = 'You are a benchmark agent. Call the tool you are asked to call, then give a short final answer.';
/**
 * How long a task waits after its answer before it ends, where a benchmark compares it with the
 * bare workflow: zap-agents' idle timeout, and a sleep as long at the end of the bare workflow.
 */
export const FINAL_WAIT_MS = 10;
/** How long `wait_step` sleeps unless told otherwise. */
export const DEFAULT_WAIT_STEP_MS = 150;

/**
 * Cheap and deterministic, so a tool round measures the orchestration around a tool call, not the
 * tool. The bare activities run this same definition, so the model sees identical tool lists.
 */
export const echoTool = tool({
  name: TOOL_NAMES.echo,
  description: 'Returns the text it is given.',
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => `echo: ${text}`,
});

/** {@link echoTool} as a local activity: the zap side that compares with the bare workflow's `localTools`. */
export const localEchoTool = tool({
  name: TOOL_NAMES.echo,
  description: 'Returns the text it is given.',
  parameters: z.object({ text: z.string() }),
  idempotent: true,
  localActivity: true,
  execute: ({ text }) => `echo: ${text}`,
});

/**
 * Idempotent, and blocks on its first attempt until the attempt is abandoned (its worker is killed,
 * or it times out); later attempts return at once. So a worker killed under it leaves a call that
 * only a retry on another worker can finish.
 */
const slowStepTool = tool({
  name: TOOL_NAMES.slow,
  description: 'Runs a slow, idempotent step.',
  parameters: z.object({ step: z.string() }),
  idempotent: true,
  execute: async ({ step }, context) => {
    if (Context.current().info.attempt === 1) await sleep(10 * 60 * 1000, undefined, { signal: context.signal }).catch(() => undefined);
    return `step ${step} done`;
  },
});

/**
 * Not idempotent, and blocks until its worker is killed: a call the workflow must not run again,
 * which ends in a heartbeat timeout the workflow handles (the model is told the outcome is unknown).
 */
const unsafeStepTool = tool({
  name: TOOL_NAMES.unsafe,
  description: 'Runs a step that must not be repeated.',
  parameters: z.object({ step: z.string() }),
  execute: async ({ step }, context) => {
    await sleep(10 * 60 * 1000, undefined, { signal: context.signal }).catch(() => undefined);
    return `step ${step} done`;
  },
});

/** Idempotent and healthy: waits `ms` (asynchronously, so its heartbeats go on), then answers. */
const longStepTool = tool({
  name: TOOL_NAMES.long,
  description: 'Runs a long, healthy step.',
  parameters: z.object({ ms: z.number().int() }),
  idempotent: true,
  execute: async ({ ms }, context) => {
    await sleep(ms, undefined, { signal: context.signal });
    return `waited ${ms} ms`;
  },
});

/** Gated by the approval rules of the memory benchmark; returns at once when approved. */
const transferTool = tool({
  name: TOOL_NAMES.approval,
  description: 'Transfers money.',
  parameters: z.object({ amount: z.number(), to: z.string() }),
  execute: ({ amount, to }) => `transferred ${amount} to ${to}`,
});

/** What {@link createBenchZap} needs. */
export interface BenchZapOptions {
  taskQueue: string;
  temporalAddress: string;
  /** A client to use instead of connecting (the benchmark's own connection, or one whose RPCs it counts). @default undefined */
  temporalClient?: Client;
  /** The model endpoint (worker side). @default $OPENAI_BASE_URL / $OPENAI_API_KEY */
  llm?: { baseURL: string; apiKey: string };
  /** @default '1 hour' */
  idleTimeout?: Duration;
  /** SSE streaming of the `Bench` agent's model calls. @default the zap-agents default (on) */
  streaming?: boolean;
  /** Heartbeat timeout of every agent's calls (model, MCP and local tools). @default the zap-agents defaults (4 seconds) */
  heartbeat?: Duration;
  /** First retry interval of tool calls. @default the zap-agents default (1 second) */
  toolRetryInitialInterval?: Duration;
  /** @default the zap-agents default (4096) */
  inlineMessageBytes?: number;
  /** @default DEFAULT_WAIT_STEP_MS */
  waitStepMs?: number;
  /** Whether tasks start with the zap-agents search attributes. @default the zap-agents default ('auto') */
  searchAttributes?: 'auto' | 'off';
  /** The benchmark MCP server's url: adds the {@link BENCH_MCP_AGENT} agent. @default undefined */
  mcpUrl?: string;
  /** @default the zap-agents default (true) */
  eagerStart?: boolean;
}

/** The `Bench` agent, which the bare workflow copies: its prompt, model, sampling settings, limits and tool. */
export function createBenchAgent(options: AgentLimits & Pick<BenchZapOptions, 'streaming'> = {}): ZapAgent {
  return createAgent(BENCH_AGENT, [echoTool], options, definedOnly({ streaming: options.streaming }));
}

/** A `Zap` with the benchmark agents. */
export function createBenchZap(options: BenchZapOptions): Zap {
  const waitStepMs = options.waitStepMs ?? DEFAULT_WAIT_STEP_MS;
  const waitStepTool = tool({
    name: TOOL_NAMES.steps,
    description: 'Waits a moment, then says so.',
    parameters: z.object({ step: z.number().int() }),
    idempotent: true,
    execute: async ({ step }) => {
      await sleep(waitStepMs);
      return `step ${step} done`;
    },
  });
  return new Zap({
    agents: [
      createBenchAgent(options),
      createAgent(BENCH_LOCAL_AGENT, [localEchoTool], options, definedOnly({ streaming: options.streaming })),
      createAgent(OPERATOR_AGENT, [slowStepTool, unsafeStepTool, longStepTool, transferTool], options),
      createAgent(STREAMING_AGENT, [waitStepTool], options),
      ...(options.mcpUrl
        ? [createAgent(BENCH_MCP_AGENT, [], options, { mcpClients: [{ name: BENCH_MCP_SERVER, url: options.mcpUrl }], ...definedOnly({ streaming: options.streaming }) })]
        : []),
    ],
    taskQueue: options.taskQueue,
    temporal: { address: options.temporalAddress },
    idleTimeout: options.idleTimeout ?? '1 hour',
    // Approval patterns are checked against the tools at each start; nothing to warn about here.
    logger: { warn: () => undefined },
    ...definedOnly({
      temporalClient: options.temporalClient,
      llm: options.llm,
      inlineMessageBytes: options.inlineMessageBytes,
      searchAttributes: options.searchAttributes,
      eagerStart: options.eagerStart,
    }),
  });
}

type AgentLimits = Pick<BenchZapOptions, 'heartbeat' | 'toolRetryInitialInterval'>;

function createAgent(name: string, tools: ZapAgentOptions['tools'], limits: AgentLimits, extra: Partial<ZapAgentOptions> = {}): ZapAgent {
  return new ZapAgent({
    name,
    prompt: BENCH_SYSTEM_PROMPT,
    model: BENCH_MODEL,
    tools,
    // The echo scenario repeats one call on purpose; stuck detection would stop it.
    stuck: false,
    ...(limits.heartbeat === undefined ? {} : { timeouts: { heartbeat: limits.heartbeat, toolHeartbeat: limits.heartbeat } }),
    ...(limits.toolRetryInitialInterval === undefined ? {} : { retry: { tool: { initialInterval: limits.toolRetryInitialInterval } } }),
    ...extra,
  });
}

/** The fields whose value is not undefined (options that must be absent rather than undefined). */
function definedOnly<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
