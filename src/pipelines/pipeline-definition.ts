import type { z } from 'zod';
import { MAX_PIPELINE_NAME_LENGTH, MAX_PIPELINE_STEPS } from '../core/defaults';
import { compileHooks } from '../agent/agent-hooks';
import { PipelineDefinitionError } from '../core/errors';
import type { LifecycleHooks } from '../hooks/lifecycle-hooks';
import {
  compileStep,
  type AgentStepOptions,
  type GateStepOptions,
  type PipelineStep,
  type StepOutput,
} from './pipeline-step';

/** What pipeline and step names look like: lower-case letters, digits and dashes, starting with a letter. */
export const PIPELINE_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;

/** Flattens an intersection so editors show `{ research: …; write: … }`. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** `TStep` when it is a new step name; `never` (a compile error) when a step of the pipeline already has it. */
type NewStepName<TStep extends string, TStepNames extends string> = [TStep] extends [TStepNames] ? never : unknown;

/** Options of {@link pipeline}. */
export interface PipelineOptions<TInputSchema extends z.ZodType> {
  /**
   * Zod schema of the pipeline input: `zap.startPipeline` validates the input with it (a mismatch
   * is a `ZapValidationError`), and steps see the parsed value as `ctx.workflow.input`. The parsed
   * value travels as JSON, so use JSON types (no dates or transforms to class instances).
   */
  input: TInputSchema;
  /**
   * Lifecycle hooks of every run: `onStart` (the run started), `onApprovalRequested` (a gate
   * waits for a decision), `onComplete` (every step is done) and `onFailed` (a step failed, or a
   * gate was rejected or timed out). Each runs on a worker as a `runHook` activity with the run's
   * status snapshot (`agentName` is `pipeline:<name>`): durable, retried, at least once; the run
   * goes on meanwhile and waits for them before it ends. `onStuck` is an agent hook: give it to
   * the steps' agents.
   * @default {} (no hooks)
   */
  hooks?: PipelineHooks;
}

/** The lifecycle hooks a pipeline run has (see {@link PipelineOptions.hooks}). */
export type PipelineHooks = Omit<LifecycleHooks, 'onStuck'>;

/**
 * A pipeline: a fixed sequence of agent steps and approval gates, run as one durable workflow.
 * Built with {@link pipeline} and `.step()` / `.gate()`; each call returns a new, frozen
 * definition that knows the output type of every step so far, so `ctx.prev.<step>` is typed in
 * later steps without a cast. Register the last one with `new Zap({ pipelines: [definition] })`.
 *
 * `TName` is the pipeline's name, `TInputSchema` its input schema, `TOutputs` the output of each
 * step by name, `TStepNames` every step name (gates included).
 */
export class PipelineDefinition<
  TName extends string = string,
  TInputSchema extends z.ZodType = z.ZodType,
  TOutputs extends object = {},
  TStepNames extends string = never,
> {
  /** The pipeline's name (`^[a-z][a-z0-9-]*$`). */
  readonly name: TName;
  /** The input schema. */
  readonly inputSchema: TInputSchema;
  /** The steps, in order, validated and frozen. */
  readonly steps: readonly PipelineStep[];
  /** The run's lifecycle hooks, validated and frozen. */
  readonly hooks: Readonly<PipelineHooks>;
  /** Carries the types only (never set at run time). */
  declare readonly '~types'?: { readonly input: z.input<TInputSchema>; readonly outputs: TOutputs; readonly stepNames: TStepNames };

  /** @internal Use {@link pipeline}. */
  constructor(name: TName, inputSchema: TInputSchema, steps: readonly PipelineStep[], hooks: Readonly<PipelineHooks> = Object.freeze({})) {
    this.name = name;
    this.inputSchema = inputSchema;
    this.steps = Object.freeze([...steps]);
    this.hooks = hooks;
    Object.freeze(this);
  }

  /**
   * Adds an agent step: `agent` runs it as a child task with the request `input` computes (on a
   * worker, when the run gets there), answering in JSON matching `output` when given. Later
   * steps see its output as `ctx.prev.<name>`. A step with `approval` and no `agent` is a gate
   * (see {@link gate}).
   *
   * @example
   * ```ts
   * pipeline('publish-post', { input: z.object({ topic: z.string() }) })
   *   .step('research', { agent: 'Researcher', input: (ctx) => `Research ${ctx.workflow.input.topic}`, output: Research })
   *   .step('write', { agent: 'Writer', input: (ctx) => ctx.prev.research.summary, output: Draft });
   * ```
   */
  step<const TStep extends string, TSchema extends z.ZodType | undefined = undefined>(
    name: TStep & NewStepName<TStep, TStepNames>,
    options: AgentStepOptions<z.output<TInputSchema>, TOutputs, TSchema>,
  ): PipelineDefinition<TName, TInputSchema, Simplify<TOutputs & { [K in TStep]: StepOutput<TSchema> }>, TStepNames | TStep>;
  step<const TStep extends string>(
    name: TStep & NewStepName<TStep, TStepNames>,
    options: GateStepOptions<z.output<TInputSchema>, TOutputs>,
  ): PipelineDefinition<TName, TInputSchema, TOutputs, TStepNames | TStep>;
  step(name: string, options: unknown): PipelineDefinition<TName, TInputSchema, any, any> {
    return this.withStep(name, options);
  }

  /**
   * Adds a gate: the run waits (durably, for days if need be) until a person approves it
   * (`zap.approve(runId, approvalId)`), with `approval.message` as what they are shown. A
   * rejected or timed-out gate ends the run with that reason.
   *
   * @example
   * ```ts
   * .gate('review', { approval: { message: (ctx) => `Publish "${ctx.prev.write.title}"?`, timeout: '2 days' } })
   * ```
   */
  gate<const TStep extends string>(
    name: TStep & NewStepName<TStep, TStepNames>,
    options: GateStepOptions<z.output<TInputSchema>, TOutputs>,
  ): PipelineDefinition<TName, TInputSchema, TOutputs, TStepNames | TStep> {
    if (typeof options !== 'object' || options === null || (options as { approval?: unknown }).approval === undefined) {
      throw new PipelineDefinitionError({ pipelineName: this.name, stepName: String(name), problem: 'a gate needs `approval: { message, timeout? }`.' });
    }
    return this.withStep(name, options);
  }

  private withStep(name: unknown, options: unknown): PipelineDefinition<TName, TInputSchema, any, any> {
    validatePipelineName(name, (problem) => new PipelineDefinitionError({ pipelineName: this.name, stepName: String(name), problem }), 'step');
    if (this.steps.some((step) => step.name === name)) {
      throw new PipelineDefinitionError({ pipelineName: this.name, stepName: name, problem: 'two steps have this name; step names must be unique.' });
    }
    if (this.steps.length >= MAX_PIPELINE_STEPS) {
      throw new PipelineDefinitionError({ pipelineName: this.name, stepName: name, problem: `a pipeline has at most ${MAX_PIPELINE_STEPS} steps.` });
    }
    return new PipelineDefinition(this.name, this.inputSchema, [...this.steps, compileStep(this.name, name, options)], this.hooks);
  }
}

/** Any pipeline definition, whatever its name, input and outputs. */
export type AnyPipelineDefinition = PipelineDefinition<string, z.ZodType, any, any>;

/** The input type `zap.startPipeline` takes for a pipeline (its input schema's input side). */
export type PipelineInput<TPipeline> = TPipeline extends PipelineDefinition<any, infer TInputSchema, any, any> ? z.input<TInputSchema> : never;

/** The output of each step of a pipeline, by step name. */
export type PipelineOutputs<TPipeline> = TPipeline extends PipelineDefinition<any, any, infer TOutputs, any> ? TOutputs : never;

/**
 * The pipeline named `TName` among `TPipeline` (the pipelines a `Zap` registers); an untyped
 * pipeline (input `unknown`, outputs `Record<string, unknown>`) when their names are not known
 * to the type system (a `Zap` typed without its pipelines).
 */
export type PipelineNamed<TPipeline extends AnyPipelineDefinition, TName extends string> = string extends TPipeline['name']
  ? PipelineDefinition<string, z.ZodType, Record<string, unknown>, string>
  : Extract<TPipeline, { readonly name: TName }>;

/**
 * Starts the definition of a pipeline: a name (`^[a-z][a-z0-9-]*$`) and the input schema. Add
 * steps with `.step()` and gates with `.gate()`; each returns a new frozen definition.
 * `PipelineDefinitionError` (naming the step) for an invalid name, a duplicate step or invalid
 * step options.
 *
 * Why a builder and not `steps: [...]`: TypeScript infers array elements independently, so the
 * type of `ctx.prev` in one element cannot come from the output schemas of the elements before
 * it; each `.step()` call carries the outputs so far instead.
 *
 * @example
 * ```ts
 * const publishPost = pipeline('publish-post', { input: z.object({ topic: z.string() }) })
 *   .step('research', { agent: 'Researcher', input: (ctx) => `Research ${ctx.workflow.input.topic}`, output: Research })
 *   .gate('review', { approval: { message: (ctx) => `Write about "${ctx.prev.research.title}"?`, timeout: '2 days' } })
 *   .step('write', { agent: 'Writer', input: (ctx) => ctx.prev.research.summary, output: Draft });
 * const zap = new Zap({ agents: [researcher, writer], pipelines: [publishPost] });
 * const run = await zap.startPipeline('publish-post', { topic: 'durable agents' });
 * ```
 */
export function pipeline<const TName extends string, TInputSchema extends z.ZodType>(
  name: TName,
  options: PipelineOptions<TInputSchema>,
): PipelineDefinition<TName, TInputSchema, {}, never> {
  validatePipelineName(name, (problem) => new PipelineDefinitionError({ pipelineName: String(name), problem }), 'pipeline');
  const schema = (options as Partial<PipelineOptions<TInputSchema>> | undefined)?.input;
  if (typeof (schema as { safeParse?: unknown } | undefined)?.safeParse !== 'function') {
    throw new PipelineDefinitionError({ pipelineName: name, problem: '`input` must be a zod schema of the pipeline input (z.object({ … })).' });
  }
  const hooks = (options as Partial<PipelineOptions<TInputSchema>>).hooks;
  if (hooks !== undefined && typeof hooks === 'object' && hooks !== null && 'onStuck' in hooks) {
    throw new PipelineDefinitionError({ pipelineName: name, problem: '`hooks.onStuck` is an agent hook; give it to the agents of the steps.' });
  }
  return new PipelineDefinition(name, schema as TInputSchema, [], compileHooks(hooks, `pipeline '${name}'`));
}

function validatePipelineName(name: unknown, error: (problem: string) => Error, what: 'pipeline' | 'step'): asserts name is string {
  if (typeof name !== 'string' || !PIPELINE_NAME_PATTERN.test(name) || name.length > MAX_PIPELINE_NAME_LENGTH) {
    throw error(
      `${what} name ${JSON.stringify(name)} is invalid; names match ${PIPELINE_NAME_PATTERN.source} ` +
        `(lower-case letters, digits and '-', starting with a letter) and have at most ${MAX_PIPELINE_NAME_LENGTH} characters.`,
    );
  }
}
