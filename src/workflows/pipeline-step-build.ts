import { ActivityFailure, isCancellation } from '@temporalio/workflow';
import type { PipelineStepBuild } from '../core/pipeline-state';
import { describeFailure } from './describe-failure';
import { pipelineActivities } from './pipeline-activities';
import type { PipelineExecution } from './pipeline-execution';

/**
 * Builds step `stepName` of a run on a worker (its `input` or gate `message` function: user
 * code, which cannot run in the workflow) and checks that the worker knows it as the same kind
 * of step. A build that fails, or a worker with another definition, fails the step.
 */
export async function buildPlannedStep<TKind extends PipelineStepBuild['kind']>(
  run: PipelineExecution,
  index: number,
  stepName: string,
  kind: TKind,
): Promise<Extract<PipelineStepBuild, { kind: TKind }>> {
  let build: PipelineStepBuild;
  try {
    build = await pipelineActivities.buildPipelineStep(run.buildInput(stepName));
  } catch (error) {
    if (error instanceof ActivityFailure && !isCancellation(error)) {
      const what = kind === 'agent' ? 'its input' : 'its message';
      throw run.failStep(index, { status: 'error', error: `${what} could not be built: ${describeFailure(error)}` });
    }
    throw error;
  }
  if (build.kind !== kind) {
    const known = build.kind === 'gate' ? 'a gate' : 'an agent step';
    throw run.failStep(index, { status: 'error', error: `the worker knows this step as ${known}; deploy one definition of the pipeline` });
  }
  return build as Extract<PipelineStepBuild, { kind: TKind }>;
}
