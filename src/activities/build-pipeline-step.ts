import { ApplicationFailure } from '@temporalio/common';
import { toOutputIssue } from '../agent/agent-output';
import type { ZapAgent } from '../agent/zap-agent';
import { FailureType } from '../core/activity-contracts';
import { validateContentParts } from '../core/content';
import { findNonJsonValue, type JsonValue } from '../core/json';
import type { MessageContent } from '../core/messages';
import type { BuildPipelineStepInput, CheckPipelineOutputInput, PipelineStepBuild } from '../core/pipeline-state';
import { boundIssues, type OutputCheck } from '../core/structured-output';
import type { AnyPipelineDefinition } from '../pipelines/pipeline-definition';
import type { PipelineContext, PipelineStep, StepRequest } from '../pipelines/pipeline-step';
import { permanentFailure } from './to-application-failure';
import { limitFailureMessage } from './result-size-limits';

/** What the pipeline step activities need: the worker's agents and pipeline definitions. */
export interface PipelineStepDependencies {
  agents: ReadonlyMap<string, ZapAgent<any>>;
  /** @default none registered */
  pipelines?: ReadonlyMap<string, AnyPipelineDefinition>;
}

/**
 * Builds the pipeline step activities: a step's `input` function, a gate's `message` function and
 * an output's real zod schema are user code, so they run here, on the worker, never in the
 * workflow sandbox. Inputs and results are plain JSON.
 * - `buildPipelineStep`: the request and the task settings of an agent step (its agent's, with
 *   the step's output schema), or the message of a gate;
 * - `checkPipelineOutput`: parses a step's output with the step's zod schema, so refinements the
 *   step's task could not check (it validates with the schema rebuilt from JSON Schema) hold.
 * A function that throws fails the attempt (retried by the workflow's policy); a missing pipeline,
 * step or agent, or a function that returns something unusable, fails for good.
 */
export function createPipelineStepActivities(dependencies: PipelineStepDependencies) {
  const stepOf = (pipelineName: string, stepName: string): { definition: AnyPipelineDefinition; step: PipelineStep } => {
    const definition = dependencies.pipelines?.get(pipelineName);
    if (!definition) {
      throw permanentFailure(FailureType.PipelineNotFound, `Pipeline '${pipelineName}' is not registered on this worker.`);
    }
    const step = definition.steps.find((candidate) => candidate.name === stepName);
    if (!step) {
      throw permanentFailure(
        FailureType.UnknownStep,
        `Pipeline '${pipelineName}' on this worker has no step '${stepName}' (its steps: ${definition.steps.map((s) => s.name).join(', ')}).`,
      );
    }
    return { definition, step };
  };

  return {
    async buildPipelineStep(input: BuildPipelineStepInput): Promise<PipelineStepBuild> {
      const { step } = stepOf(input.pipelineName, input.stepName);
      const where = `Step '${step.name}' of pipeline '${input.pipelineName}'`;
      const ctx: PipelineContext<JsonValue, Record<string, JsonValue>> = {
        workflow: {
          name: input.pipelineName,
          runId: input.runId,
          input: input.input,
          ...(input.tenantId !== undefined ? { tenantId: input.tenantId } : {}),
          ...(input.userId !== undefined ? { userId: input.userId } : {}),
        },
        prev: input.prev,
        step: { name: step.name },
      };
      if (step.kind === 'gate') {
        const gateMessage = step.message;
        const message = typeof gateMessage === 'string' ? gateMessage : await runUserFunction(where, 'approval.message', () => gateMessage(ctx));
        if (typeof message !== 'string' || message.trim() === '') {
          throw permanentFailure(FailureType.PipelineStep, `${where}: its approval.message function returned ${describeValue(message)}, not a non-empty string.`);
        }
        return { kind: 'gate', message };
      }
      const agent = dependencies.agents.get(step.agent);
      if (!agent) {
        throw permanentFailure(FailureType.AgentNotFound, `${where}: agent '${step.agent}' is not registered on this worker.`);
      }
      const request = step.input ? await runUserFunction(where, 'input', () => step.input!(ctx)) : defaultRequest(input);
      const { message, context } = normalizeRequest(where, request);
      try {
        return { kind: 'agent', message, ...(context !== undefined ? { context } : {}), agent: agent.taskSettings(context, step.output) };
      } catch (error) {
        throw permanentFailure(FailureType.PipelineStep, `${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },

    async checkPipelineOutput(input: CheckPipelineOutputInput): Promise<OutputCheck> {
      const { step } = stepOf(input.pipelineName, input.stepName);
      if (step.kind !== 'agent' || !step.output) return { valid: true, value: input.output };
      const parsed = step.output.schema.safeParse(input.output);
      if (!parsed.success) return { valid: false, issues: boundIssues(parsed.error.issues.map(toOutputIssue)) };
      const problem = findNonJsonValue(parsed.data);
      if (problem) {
        return { valid: false, issues: [{ code: 'custom', path: [], message: `The parsed output is not JSON (${problem}); use JSON types in the output schema.` }] };
      }
      return { valid: true, value: parsed.data as JsonValue };
    },
  };
}

/** The request of a step without an `input` function: it names the step, with the input and earlier outputs as JSON. */
export function defaultStepMessage(pipelineName: string, stepName: string, input: JsonValue, prev: Record<string, JsonValue>): string {
  const lines = [`You are step '${stepName}' of the pipeline '${pipelineName}'.`, `Pipeline input (JSON): ${JSON.stringify(input)}`];
  if (Object.keys(prev).length > 0) lines.push(`Outputs of the earlier steps, by step (JSON): ${JSON.stringify(prev)}`);
  return lines.join('\n');
}

function defaultRequest(input: BuildPipelineStepInput): string {
  return defaultStepMessage(input.pipelineName, input.stepName, input.input, input.prev);
}

/** Runs a user function; what it throws fails this attempt (the workflow's retry policy decides). */
async function runUserFunction<T>(where: string, name: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw ApplicationFailure.create({ type: FailureType.PipelineStep, message: limitFailureMessage(`${where}: its ${name} function threw: ${reason}`).message });
  }
}

function normalizeRequest(where: string, request: unknown): { message: MessageContent; context: JsonValue | undefined } {
  const fail = (problem: string): never => {
    throw permanentFailure(FailureType.PipelineStep, `${where}: its input function ${problem}`);
  };
  if (typeof request === 'string') {
    if (request.trim() === '') fail('returned an empty string.');
    return { message: request, context: undefined };
  }
  if (typeof request !== 'object' || request === null) return fail(`returned ${describeValue(request)}, not a string or { message, context? }.`);
  const { message, context } = request as StepRequest;
  if (typeof message === 'string') {
    if (message.trim() === '') fail('returned an empty message.');
  } else if (Array.isArray(message) && message.length > 0) {
    try {
      validateContentParts(message);
    } catch (error) {
      fail(`returned invalid content parts: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    fail('returned an object whose `message` is neither a non-empty string nor content parts.');
  }
  if (context !== undefined) {
    const problem = findNonJsonValue(context);
    if (problem) fail(`returned a context that is not plain JSON: ${problem}.`);
  }
  return { message, context };
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value;
}
