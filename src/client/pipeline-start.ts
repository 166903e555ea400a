import type { SearchAttributePair } from '@temporalio/common';
import { z } from 'zod';
import { hookNames } from '../agent/agent-hooks';
import { compileBudget, type BudgetSpec, type TaskBudget } from '../core/budget';
import { ModelPriceUnknownError, PipelineNotFoundError, ZapValidationError } from '../core/errors';
import { findNonJsonValue, type JsonValue } from '../core/json';
import {
  PIPELINE_STATE_SCHEMA_VERSION,
  pipelineAgentName,
  type PipelineStepPlan,
  type PipelineStepResult,
  type PipelineWorkflowInput,
} from '../core/pipeline-state';
import { taskMemo, taskSearchAttributes } from '../core/search-attributes';
import { TaskStatus } from '../core/task-status';
import type { AnyPipelineDefinition } from '../pipelines/pipeline-definition';
import type { PipelineRunSnapshot } from './pipeline-run';
import type { TaskScope } from './task-scope';
import type { CompiledZapOptions } from './zap-options';

/** Longest run id, as for task ids. */
const MAX_RUN_ID_LENGTH = 200;

/** Options of `zap.startPipeline`. */
export interface StartPipelineOptions extends TaskScope {
  /**
   * Your own run id (its workflow id): makes the call idempotent, the same id returns the same run.
   * @default `<pipeline name>-<16 hex digits>`
   */
  runId?: string;
  /**
   * The run's budget (`{ maxUsd, maxTokens, maxModelCalls, maxToolCalls }`): each agent step's task
   * gets what is left as its own budget (and fails on it), and the run adds what the step spent.
   * @default undefined (no budget)
   */
  budget?: TaskBudget;
}

/** The pipeline registered under `name`, or `PipelineNotFoundError`. */
export function findPipeline(pipelines: ReadonlyMap<string, AnyPipelineDefinition>, name: unknown): AnyPipelineDefinition {
  const definition = typeof name === 'string' ? pipelines.get(name) : undefined;
  if (!definition) throw new PipelineNotFoundError({ pipelineName: String(name), knownPipelines: [...pipelines.keys()] });
  return definition;
}

/** `runId` checked: a non-empty string of at most 200 characters (undefined stays undefined). */
export function validateRunId(runId: unknown): string | undefined {
  if (runId === undefined) return undefined;
  if (typeof runId !== 'string' || runId.trim() === '' || runId.length > MAX_RUN_ID_LENGTH) {
    throw new ZapValidationError({ message: `runId must be a non-empty string of at most ${MAX_RUN_ID_LENGTH} characters.` });
  }
  return runId;
}

/**
 * The pipeline input, parsed by the pipeline's input schema (defaults filled, unknown keys
 * stripped as the schema says). A mismatch is a `ZapValidationError` listing the issues; a parsed
 * value that is not plain JSON (a date, a class instance) too, since it must cross Temporal.
 */
export function parsePipelineInput(definition: AnyPipelineDefinition, input: unknown): JsonValue {
  const parsed = definition.inputSchema.safeParse(input);
  if (!parsed.success) {
    throw new ZapValidationError({
      message: `Invalid input for pipeline '${definition.name}':\n${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const problem = findNonJsonValue(parsed.data);
  if (problem) {
    throw new ZapValidationError({
      message: `The input of pipeline '${definition.name}' must parse to plain JSON, but ${problem}; use JSON types in its input schema.`,
    });
  }
  return parsed.data as JsonValue;
}

/** The steps of a definition as a run carries them (names, kinds, agents, gate timeouts). */
export function stepPlans(definition: AnyPipelineDefinition): PipelineStepPlan[] {
  return definition.steps.map((step) =>
    step.kind === 'gate'
      ? { name: step.name, kind: 'gate', timeoutMs: step.timeoutMs }
      : { name: step.name, kind: 'agent', agentName: step.agent, structured: step.output !== undefined },
  );
}

/** What a run's workflow input is made of. */
export interface PipelineInputParts {
  options: CompiledZapOptions<unknown>;
  definition: AnyPipelineDefinition;
  runId: string;
  input: JsonValue;
  tenantId: string | undefined;
  userId: string | undefined;
  searchAttributes: boolean;
  /** The run's budget, compiled. @default none */
  budget?: BudgetSpec;
  /** Retries: where the run starts, the reused results before it, the run's number and its event numbering. */
  retry?: { fromStep: string; reusedSteps: PipelineStepResult[]; attempt: number; lastEventSeq: number; createdAt: string };
}

/** The workflow input of a run (a first run, or a retry of a failed one). */
export function buildPipelineInput(parts: PipelineInputParts): PipelineWorkflowInput {
  const { options, definition, runId, input, tenantId, userId, searchAttributes, retry } = parts;
  return {
    schemaVersion: PIPELINE_STATE_SCHEMA_VERSION,
    runId,
    pipelineName: definition.name,
    steps: stepPlans(definition),
    input,
    ...(retry ? { fromStep: retry.fromStep, reusedSteps: retry.reusedSteps, attempt: retry.attempt, lastEventSeq: retry.lastEventSeq } : {}),
    eventLogLimit: options.eventLogLimit,
    inlineMessageBytes: options.inlineMessageBytes,
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(userId === undefined ? {} : { userId }),
    searchAttributes,
    createdAt: retry?.createdAt ?? new Date().toISOString(),
    ...(hookNames(definition.hooks).length > 0 ? { hooks: hookNames(definition.hooks) } : {}),
    ...(parts.budget ? { budget: parts.budget } : {}),
  };
}

/**
 * A run's budget, compiled; a USD budget needs the price of every agent step's model
 * (`ModelPriceUnknownError` before anything starts).
 */
export function compilePipelineBudget(
  budget: TaskBudget | undefined,
  definition: AnyPipelineDefinition,
  options: CompiledZapOptions<unknown>,
): BudgetSpec | undefined {
  if (budget === undefined) return undefined;
  const spec = compileBudget(budget, 'budget');
  if (spec.limits.nanoUsd !== undefined) {
    for (const step of definition.steps) {
      const agent = step.kind === 'agent' ? options.agents.get(step.agent) : undefined;
      if (agent && !options.prices.resolve(agent.model)) throw new ModelPriceUnknownError({ model: agent.model, agentName: agent.name });
    }
  }
  return spec;
}

/**
 * The memo and search attributes a run starts with, as a task's: `agentName` (and `ZapAgent`) is
 * `pipeline:<name>`, so `listTasks({ agentName: 'pipeline:publish-post' })` lists its runs; the
 * memo also names the pipeline.
 */
export function pipelineStartAttributes(
  input: PipelineWorkflowInput,
  status: TaskStatus,
): { memo: Record<string, string>; typedSearchAttributes?: SearchAttributePair[] } {
  const agentName = pipelineAgentName(input.pipelineName);
  const { tenantId, userId, createdAt } = input;
  const memo = { ...taskMemo({ agentName, tenantId, userId, createdAt }), pipelineName: input.pipelineName };
  if (!input.searchAttributes) return { memo };
  return { memo, typedSearchAttributes: taskSearchAttributes({ agentName, status, tenantId, userId }) };
}

/** What a run looks like the moment it is started, before its workflow has run. */
export function startedPipelineSnapshot(input: PipelineWorkflowInput): PipelineRunSnapshot {
  const reused = new Map((input.reusedSteps ?? []).map((step) => [step.name, step]));
  const steps = input.steps.map((plan): PipelineStepResult => {
    const earlier = reused.get(plan.name);
    if (earlier) return { ...earlier, reused: true };
    return { name: plan.name, kind: plan.kind, status: 'not-started', ...(plan.agentName !== undefined ? { agentName: plan.agentName } : {}) };
  });
  const outputs = Object.fromEntries(steps.flatMap((step) => (step.output !== undefined ? [[step.name, step.output]] : [])));
  return {
    taskId: input.runId,
    agentName: pipelineAgentName(input.pipelineName),
    status: TaskStatus.Pending,
    output: outputs,
    messageCount: 0,
    subTasks: [],
    usage: { promptTokens: 0, completionTokens: 0 },
    pendingApprovals: [],
    approvals: [],
    waitingFor: { events: [], approvals: [], subTasks: [], eventWaits: [] },
    ...(input.tenantId === undefined ? {} : { tenantId: input.tenantId }),
    ...(input.userId === undefined ? {} : { userId: input.userId }),
    lastEventSeq: input.lastEventSeq ?? 0,
    pipeline: {
      name: input.pipelineName,
      status: 'running',
      stepsCompleted: steps.filter((step) => step.status === 'complete').length,
      stepCount: steps.length,
      steps,
      input: input.input,
      outputs,
      attempt: input.attempt ?? 1,
    },
    createdAt: input.createdAt,
    updatedAt: new Date().toISOString(),
  };
}
