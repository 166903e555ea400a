/**
 * Pipelines (`zap-agents/pipelines`): a fixed sequence of agent steps and approval gates, run as
 * one durable workflow whose steps' outputs are typed. Define one with {@link pipeline}, register
 * it with `new Zap({ agents, pipelines: [definition] })`, and start runs with
 * `zap.startPipeline(name, input)`.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { pipeline } from 'zap-agents/pipelines';
 *
 * const Research = z.object({ title: z.string(), summary: z.string() });
 * const Draft = z.object({ title: z.string(), body: z.string() });
 * export const publishPost = pipeline('publish-post', { input: z.object({ topic: z.string() }) })
 *   .step('research', { agent: 'Researcher', input: (ctx) => `Research ${ctx.workflow.input.topic}`, output: Research })
 *   .step('write', { agent: 'Writer', input: (ctx) => `Write about: ${ctx.prev.research.summary}`, output: Draft })
 *   .gate('approve', { approval: { message: (ctx) => `Publish "${ctx.prev.write.title}"?`, timeout: '2 days' } })
 *   .step('publish', { agent: 'Publisher', input: (ctx) => ctx.prev.write.body });
 * ```
 * @module
 */
export { pipeline, PipelineDefinition, PIPELINE_NAME_PATTERN } from './pipeline-definition';
export type {
  AnyPipelineDefinition,
  PipelineInput,
  PipelineNamed,
  PipelineOptions,
  PipelineHooks,
  PipelineOutputs,
} from './pipeline-definition';
export type {
  AgentPipelineStep,
  AgentStepOptions,
  GateMessage,
  GatePipelineStep,
  GateStepOptions,
  PipelineContext,
  PipelineStep,
  StepInputFunction,
  StepOutput,
  StepRequest,
} from './pipeline-step';
export { PipelineRun } from '../client/pipeline-run';
export type { PipelineRunSnapshot } from '../client/pipeline-run';
export type { StartPipelineOptions } from '../client/pipeline-start';
export type { RetryPipelineOptions } from '../client/pipeline-client';
export type {
  PipelineGateRecord,
  PipelineRunStatus,
  PipelineSnapshot,
  PipelineStepResult,
  PipelineStepStatus,
} from '../core/pipeline-state';
export {
  PipelineDefinitionError,
  PipelineNotFoundError,
  PipelineStepError,
  UnknownStepError,
} from '../core/errors';
export type {
  PipelineDefinitionErrorOptions,
  PipelineNotFoundErrorOptions,
  PipelineStepErrorOptions,
  UnknownStepErrorOptions,
} from '../core/errors';
