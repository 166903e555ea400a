import type { Client } from '@temporalio/client';
import type { BudgetSpec } from '../core/budget';
import { TaskClosedError, UnknownStepError, ZapValidationError } from '../core/errors';
import type { PipelineStepResult, PipelineWorkflowInput } from '../core/pipeline-state';
import { TaskStatus } from '../core/task-status';
import type { AnyPipelineDefinition } from '../pipelines/pipeline-definition';
import type { pipelineWorkflow } from '../workflows/pipeline-workflow';
import { PIPELINE_WORKFLOW_TYPE } from '../workflows/pipeline-definitions';
import type { PipelineRunSnapshot } from './pipeline-run';
import { buildPipelineInput, pipelineStartAttributes } from './pipeline-start';
import type { CompiledZapOptions } from './zap-options';

/** Temporal close statuses after which a run may be started again under its id. */
const RETRYABLE_CLOSE_STATUSES = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT']);

/** What {@link retryPipelineRun} needs. */
export interface RetryPipelineRunInput {
  client: Client;
  options: CompiledZapOptions<unknown>;
  /** The pipeline as this client defines it now (the new run follows it). */
  definition: AnyPipelineDefinition;
  /** The failed run's status, its steps and outputs included. */
  snapshot: PipelineRunSnapshot;
  /** @default the step that failed */
  fromStep?: string;
  searchAttributes: boolean;
  /** The new run's budget, compiled. @default none */
  budget?: BudgetSpec;
}

/**
 * Takes a failed run up again: a new run of the same workflow id (Temporal's id reuse policy
 * `ALLOW_DUPLICATE_FAILED_ONLY`) that starts at `fromStep` and carries the recorded results of
 * the steps before it, outputs included, so those steps do not run again. `UnknownStepError` for
 * a step the pipeline does not have; `ZapValidationError` when a step before `fromStep` has no
 * recorded output, or the run has not failed (`TaskClosedError` for a completed or cancelled one).
 */
export async function retryPipelineRun(input: RetryPipelineRunInput): Promise<PipelineWorkflowInput> {
  const { client, definition, snapshot } = input;
  const runId = snapshot.taskId;
  const { pipeline } = snapshot;
  const names = definition.steps.map((step) => step.name);
  const fromStep = input.fromStep ?? pipeline.failedStep ?? pipeline.steps.find((step) => step.status !== 'complete')?.name ?? names[0]!;
  const fromIndex = names.indexOf(fromStep);
  if (fromIndex < 0) throw new UnknownStepError({ pipelineName: definition.name, stepName: fromStep, knownSteps: names });

  const handle = client.workflow.getHandle(runId);
  const description = await handle.describe();
  const closeStatus = description.status.name;
  if (!RETRYABLE_CLOSE_STATUSES.has(closeStatus)) {
    if (closeStatus === 'RUNNING') {
      throw new ZapValidationError({ message: `Pipeline run '${runId}' has not failed (it is ${pipeline.status}); only a failed run can be retried.` });
    }
    throw new TaskClosedError({ taskId: runId, reason: `its workflow is ${closeStatus.toLowerCase()}, not failed; start a new run` });
  }

  const recorded = new Map(pipeline.steps.map((step) => [step.name, step]));
  const reusedSteps: PipelineStepResult[] = names.slice(0, fromIndex).map((name) => {
    const step = recorded.get(name);
    if (step?.status !== 'complete') {
      throw new ZapValidationError({
        message:
          `Pipeline run '${runId}' cannot be retried from step '${fromStep}': step '${name}' before it has no recorded ` +
          `output (${step ? step.status : 'not in the run'}). Retry from '${name}' or an earlier step.`,
      });
    }
    const { reused: _reused, ...result } = step;
    return result;
  });
  const next = buildPipelineInput({
    options: input.options,
    definition,
    runId,
    input: pipeline.input,
    tenantId: snapshot.tenantId,
    userId: snapshot.userId,
    searchAttributes: input.searchAttributes,
    ...(input.budget ? { budget: input.budget } : {}),
    retry: { fromStep, reusedSteps, attempt: pipeline.attempt + 1, lastEventSeq: snapshot.lastEventSeq, createdAt: snapshot.createdAt },
  });
  await client.workflow.start<typeof pipelineWorkflow>(PIPELINE_WORKFLOW_TYPE, {
    taskQueue: description.taskQueue,
    workflowId: runId,
    args: [next],
    // Only a failed run may be followed by a new one under the same id.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    ...pipelineStartAttributes(next, TaskStatus.Thinking),
  });
  return next;
}
