import { ApplicationFailure, allHandlersFinished, condition, isCancellation } from '@temporalio/workflow';
import { FailureType } from '../core/activity-contracts';
import { upgradePipelineInput, type PipelineWorkflowInput, type PipelineWorkflowResult } from '../core/pipeline-state';
import { runAgentStep } from './pipeline-agent-step';
import { PipelineExecution } from './pipeline-execution';
import { runGate } from './pipeline-gate';
import { registerPipelineHandlers } from './pipeline-handlers';

/**
 * One pipeline run: its steps in order, each agent step a child agent task and each gate a
 * durable wait for a human decision. The outputs of finished steps are kept in workflow state and
 * handed to later steps. A step that fails, or a gate that is rejected or times out, ends the run
 * failed (`PIPELINE_STEP`), which `zap.retryPipeline` can take up again from any step (a new run
 * of the same id that reuses the recorded outputs of the steps before it).
 *
 * The parts: `pipeline-execution.ts` (state, snapshots), `pipeline-handlers.ts` (queries, the
 * decision update), `pipeline-agent-step.ts`, `pipeline-gate.ts`, `pipeline-activities.ts`.
 */
export async function pipelineWorkflow(rawInput: PipelineWorkflowInput): Promise<PipelineWorkflowResult> {
  const run = new PipelineExecution(upgradePipelineInput(rawInput));
  registerPipelineHandlers(run);
  // A retry (attempt 2 on) is the same run taken up again: it started once.
  if (run.input.attempt === 1) run.hooks.onTaskStarted();
  try {
    for (let index = run.firstStepIndex; index < run.steps.length; index += 1) {
      if (run.input.steps[index]?.kind === 'gate') await runGate(run, index);
      else await runAgentStep(run, index);
    }
    run.complete();
    run.statusAttribute.publishNow();
    await run.hooks.drain();
    await condition(allHandlersFinished);
    return run.result();
  } catch (error) {
    if (isCancellation(error)) {
      run.status = 'cancelled';
      run.cancelReason ??= 'Cancelled through Temporal';
      run.emit({ type: 'cancelled', reason: run.cancelReason });
      run.closed = true;
      run.statusAttribute.publishNow();
      await run.hooks.drain();
      throw error;
    }
    if (error instanceof ApplicationFailure && error.type === FailureType.PipelineStep) {
      run.emit({ type: 'error', error: error.message });
      run.closed = true;
      run.statusAttribute.publishNow();
      await run.hooks.drain();
      throw error;
    }
    // Anything else is a bug in this workflow: the workflow task fails and is retried after a fix.
    throw error;
  }
}
