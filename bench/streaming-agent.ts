/**
 * The agent of the streaming benchmark, shared by the benchmark process (client side) and the
 * worker process it spawns (`streaming-worker.ts`), and the scripted model's rule for it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { Zap, ZapAgent, tool } from 'zap-agents';
import { scripted, type ScriptedRequest, type ScriptedResponse } from 'zap-agents/testing';

/** Name of the benchmark agent. */
export const STREAMING_AGENT_NAME = 'StreamingBench';
/** Model id sent to the scripted server. */
export const STREAMING_MODEL = 'scripted-model';
/** How long `wait_step` sleeps unless BENCH_WAIT_STEP_MS says otherwise: spaces events apart. */
export const DEFAULT_WAIT_STEP_MS = 150;
/**
 * Answered tasks wait this long for a follow-up, so the idle phase's tasks stay open (and
 * queryable) for the whole window.
 */
export const STREAMING_IDLE_TIMEOUT = '10 minutes';
/**
 * The first model answer of a task waits this long, so that subscribers attached right after the
 * start have caught up before the first live event is recorded.
 */
export const FIRST_ANSWER_DELAY_MS = 300;
/** Name of the tool the scripted model calls at every round. */
export const WAIT_STEP_TOOL_NAME = 'wait_step';

const TASK_MESSAGE_PATTERN = /^\[streaming-bench rounds=(\d+)\]/;

/** Options of {@link createStreamingZap}. */
export interface StreamingZapOptions {
  taskQueue: string;
  temporalAddress: string;
  /** Milliseconds each `wait_step` call sleeps. */
  waitStepMs: number;
  /** Model endpoint (the worker side needs it; the client side never calls the model). */
  llm?: { baseURL: string; apiKey: string };
  /** A client to use instead of connecting (the benchmark counts its RPCs). */
  temporalClient?: Client;
}

/** A Zap with the benchmark agent: `wait_step` sleeps, so each tool round takes a visible while. */
export function createStreamingZap(options: StreamingZapOptions): Zap {
  const waitStep = tool({
    name: WAIT_STEP_TOOL_NAME,
    description: 'Waits a moment, then says so.',
    parameters: z.object({ step: z.number().int() }),
    idempotent: true,
    execute: async ({ step }) => {
      await sleep(options.waitStepMs);
      return `step ${step} done`;
    },
  });
  return new Zap({
    agents: [
      new ZapAgent({
        name: STREAMING_AGENT_NAME,
        prompt: 'You are a benchmark agent. Call wait_step as often as asked, then answer.',
        model: STREAMING_MODEL,
        tools: [waitStep],
      }),
    ],
    taskQueue: options.taskQueue,
    temporal: { address: options.temporalAddress },
    idleTimeout: STREAMING_IDLE_TIMEOUT,
    ...(options.llm ? { llm: options.llm } : {}),
    ...(options.temporalClient ? { temporalClient: options.temporalClient } : {}),
  });
}

/** The user message of a task that asks for `rounds` tool rounds; the model reads it back. */
export function formatStreamingTask(rounds: number): string {
  return `[streaming-bench rounds=${rounds}] Call wait_step ${rounds} time(s), then answer.`;
}

/**
 * The scripted model's answer: one `wait_step` call per round until the conversation holds as
 * many tool results as the task asked for, then a short text. Stateless, so tasks can overlap.
 */
export function answerStreamingRequest(request: ScriptedRequest): ScriptedResponse {
  const messages: Array<{ role: string; content: unknown }> = request.body?.messages ?? [];
  const firstUser = messages.find((message) => message.role === 'user');
  const match = typeof firstUser?.content === 'string' ? TASK_MESSAGE_PATTERN.exec(firstUser.content) : null;
  if (match === null || match[1] === undefined) return scripted.error(400, 'not a streaming benchmark task');
  const rounds = Number(match[1]);
  const done = messages.filter((message) => message.role === 'tool').length;
  const delay = done === 0 ? { delayMs: FIRST_ANSWER_DELAY_MS } : {};
  if (done < rounds) {
    return scripted.toolCalls([{ name: WAIT_STEP_TOOL_NAME, arguments: { step: done + 1 } }], delay);
  }
  return scripted.text(`All ${rounds} steps done.`, delay);
}
