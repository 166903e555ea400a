import type { Duration } from '@temporalio/common';
import type { z } from 'zod';
import { compileOutputSchema, type CompiledOutputSchema } from '../agent/agent-output';
import { parseDuration } from '../agent/zap-agent';
import { DEFAULT_PIPELINE_GATE_TIMEOUT } from '../core/defaults';
import { PipelineDefinitionError, ZapConfigurationError } from '../core/errors';
import type { JsonValue } from '../core/json';
import type { MessageContent } from '../core/messages';

/**
 * What a step's `input` function and a gate's `message` function get: the run and its validated
 * input, and the outputs of the steps before this one, typed by their output schemas.
 */
export interface PipelineContext<TInput = unknown, TPrev = Record<string, unknown>> {
  /** The run: its pipeline, id, owner and validated input (the input schema's output). */
  workflow: {
    /** The pipeline's name. */
    name: string;
    /** The run's id (its workflow id). */
    runId: string;
    /** The pipeline input, as the input schema parsed it. */
    input: TInput;
    tenantId?: string;
    userId?: string;
  };
  /** The outputs of the steps before this one, by step name (a structured step's parsed JSON, else its answer text). */
  prev: TPrev;
  /** The step being built. */
  step: { name: string };
}

/** What a step's `input` function may return instead of a plain string. */
export interface StepRequest {
  /** The request sent to the step's agent: text, or content parts (text and images). */
  message: MessageContent;
  /** JSON context of the step's task (the agent's prompt function and tools get it). @default undefined */
  context?: JsonValue;
}

/** A step's `input` function: the request of its agent task, from the run's input and earlier outputs. */
export type StepInputFunction<TInput, TPrev> = (
  ctx: PipelineContext<TInput, TPrev>,
) => string | StepRequest | Promise<string | StepRequest>;

/** A gate's message: text, or a function of the run's input and earlier outputs. */
export type GateMessage<TInput, TPrev> = string | ((ctx: PipelineContext<TInput, TPrev>) => string | Promise<string>);

/** Options of an agent step (`.step(name, { agent, input, output })`). */
export interface AgentStepOptions<TInput, TPrev, TSchema extends z.ZodType | undefined = undefined> {
  /** Name of the agent (registered on the `Zap`) that runs the step as a child task. */
  agent: string;
  /**
   * The step's request, computed on a worker when the run reaches the step.
   * @default a message naming the pipeline and the step, with the pipeline input and the earlier outputs as JSON
   */
  input?: StepInputFunction<TInput, TPrev>;
  /**
   * Zod schema of the step's output: the step's task answers in JSON matching it (structured
   * output, with repair turns), and later steps get the parsed value as `ctx.prev.<step>`, typed.
   * @default undefined (the output is the answer text, a `string`)
   */
  output?: TSchema;
  /** An agent step is not a gate. @default undefined */
  approval?: undefined;
}

/** Options of a gate (`.gate(name, { approval })`, or `.step(name, { approval })` without an agent). */
export interface GateStepOptions<TInput, TPrev> {
  approval: {
    /** What the person deciding is shown (the pending approval's `message`). */
    message: GateMessage<TInput, TPrev>;
    /**
     * How long the gate waits for a decision; then it counts as rejected (`timed-out`) and the run ends.
     * @default '7 days'
     */
    timeout?: Duration;
  };
  /** A gate runs no agent. @default undefined */
  agent?: undefined;
}

/** The output type of a step with output schema `TSchema` (`string` without one). */
export type StepOutput<TSchema> = TSchema extends z.ZodType ? z.output<TSchema> : string;

/** An agent step, validated. */
export interface AgentPipelineStep {
  readonly kind: 'agent';
  readonly name: string;
  readonly agent: string;
  readonly input: StepInputFunction<any, any> | undefined;
  /** The output schema, compiled (JSON Schema); undefined for a text step. */
  readonly output: CompiledOutputSchema | undefined;
}

/** A gate, validated. */
export interface GatePipelineStep {
  readonly kind: 'gate';
  readonly name: string;
  readonly message: GateMessage<any, any>;
  readonly timeoutMs: number;
}

/** A step of a pipeline, validated and frozen. */
export type PipelineStep = AgentPipelineStep | GatePipelineStep;

/** Validates the options of one step (agent step or gate) and freezes them. */
export function compileStep(pipelineName: string, stepName: string, options: unknown): PipelineStep {
  const fail = (problem: string, cause?: unknown): never => {
    throw new PipelineDefinitionError({ pipelineName, stepName, problem, cause });
  };
  if (typeof options !== 'object' || options === null) return fail('needs options: { agent, input?, output? } or { approval }.');
  const { agent, approval, input, output } = options as Record<string, unknown>;
  if (approval !== undefined) {
    if (agent !== undefined) return fail('has both `agent` and `approval`: a step runs an agent, a gate (no agent) waits for approval.');
    if (input !== undefined || output !== undefined) return fail('a gate takes only `approval` (no `input` or `output`).');
    if (typeof approval !== 'object' || approval === null) return fail('`approval` must be { message, timeout? }.');
    const { message, timeout } = approval as Record<string, unknown>;
    if (!(typeof message === 'string' && message.trim() !== '') && typeof message !== 'function') {
      return fail('`approval.message` must be a non-empty string or a function of the context.');
    }
    let timeoutMs = 0;
    try {
      timeoutMs = parseDuration((timeout ?? DEFAULT_PIPELINE_GATE_TIMEOUT) as Duration, 'approval.timeout');
    } catch (error) {
      fail(ZapConfigurationError.isInstance(error) ? error.message : 'approval.timeout must be a positive duration.', error);
    }
    return Object.freeze({ kind: 'gate', name: stepName, message: message as GateMessage<any, any>, timeoutMs });
  }
  if (typeof agent !== 'string' || agent.trim() === '') return fail('needs `agent` (the name of the agent that runs it), or `approval` for a gate.');
  if (input !== undefined && typeof input !== 'function') return fail('`input` must be a function of the context.');
  let compiled: CompiledOutputSchema | undefined;
  if (output !== undefined) {
    try {
      compiled = compileOutputSchema(output, 'output', 'configuration');
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error), error);
    }
  }
  return Object.freeze({ kind: 'agent', name: stepName, agent, input: input as StepInputFunction<any, any> | undefined, output: compiled });
}
