import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { ZapValidationError } from '../core/errors';
import { FailureType } from '../core/failure-types';
import { PIPELINE_AGENT_PREFIX, type PipelineSnapshot, type PipelineWorkflowResult } from '../core/pipeline-state';
import type { TaskStatusSnapshot } from '../core/task-snapshot';
import { TaskStatus, isTerminalStatus } from '../core/task-status';
import type { PipelineRunSnapshot } from './pipeline-run';
import type { TaskReader } from './task-reader';

/** How deep `cause` chains are followed to the run's own failure. */
const MAX_CAUSE_DEPTH = 8;

/**
 * A run's status with its `pipeline` field: the run's status query (one small query, as for a
 * task), or, for a closed run no worker can replay, its workflow result or the details of its
 * failure, which carry the same snapshot. `ZapValidationError` when the task is not a pipeline run.
 */
export async function readPipelineRun(reader: TaskReader, client: Client, runId: string): Promise<PipelineRunSnapshot> {
  const status = await reader.status(runId);
  if (status.pipeline) return status as PipelineRunSnapshot;
  if (status.agentName.startsWith(PIPELINE_AGENT_PREFIX) && isTerminalStatus(status.status)) {
    return { ...status, pipeline: await closedRunPipeline(client, runId, status) };
  }
  throw new ZapValidationError({ message: `Task '${runId}' is not a pipeline run (its agent is '${status.agentName}').` });
}

/** The snapshot a closed run left in its result or failure (only what its status says, for a cancelled one). */
async function closedRunPipeline(client: Client, runId: string, status: TaskStatusSnapshot): Promise<PipelineSnapshot> {
  try {
    const result = (await client.workflow.getHandle(runId).result()) as PipelineWorkflowResult | undefined;
    if (result?.pipeline) return result.pipeline;
  } catch (error) {
    for (let current: unknown = error, depth = 0; current instanceof Error && depth < MAX_CAUSE_DEPTH; current = current.cause, depth += 1) {
      if (current instanceof ApplicationFailure && current.type === FailureType.PipelineStep) {
        const pipeline = (current.details?.[0] as { pipeline?: PipelineSnapshot } | undefined)?.pipeline;
        if (pipeline) return pipeline;
      }
    }
  }
  return {
    name: status.agentName.slice(PIPELINE_AGENT_PREFIX.length),
    status: status.status === TaskStatus.Cancelled ? 'cancelled' : status.status === TaskStatus.Completed ? 'complete' : 'error',
    stepsCompleted: 0,
    stepCount: 0,
    steps: [],
    input: null,
    outputs: (status.output ?? {}) as PipelineSnapshot['outputs'],
    ...(status.error !== undefined ? { error: status.error } : {}),
    attempt: 1,
  };
}
