import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../core/approval-rules';
import { pipelineAgentName, type PipelineStepPlan } from '../core/pipeline-state';
import type { PipelineExecution } from './pipeline-execution';
import { buildPlannedStep } from './pipeline-step-build';

/**
 * Runs gate `index` of a run: its message is computed on a worker (the gate's `message` function),
 * then the run waits durably for a decision (`zap.approve` / `zap.reject`, an update with a
 * validator, as tool approvals) until the gate's timeout. Approved: the run goes on. Rejected or
 * timed out: the run ends with that reason.
 */
export async function runGate(run: PipelineExecution, index: number): Promise<void> {
  const plan = run.input.steps[index] as PipelineStepPlan;
  const step = run.beginStep(index);
  const build = await buildPlannedStep(run, index, plan.name, 'gate');
  const message = build.message;
  step.status = 'pending';
  run.status = 'pending';
  run.emit({ type: 'step_started', step: plan.name, kind: 'gate', index: index + 1 });
  const { request, decision } = await run.approvals.waitForDecision(
    {
      kind: 'gate',
      message,
      toolName: plan.name,
      toolArgs: {},
      agentName: pipelineAgentName(run.input.pipelineName),
      taskId: run.input.runId,
    },
    plan.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
    (requested) => {
      step.gate = { approvalId: requested.id, message, timeoutAt: requested.timeoutAt };
      run.emit({ type: 'approval_requested', approval: requested });
    },
  );
  step.gate = {
    approvalId: request.id,
    message,
    timeoutAt: request.timeoutAt,
    decision: decision.decision,
    ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
    ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
  };
  run.emit({
    type: 'approval_resolved',
    approvalId: request.id,
    decision: decision.decision,
    ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
    ...(decision.decidedBy !== undefined ? { decidedBy: decision.decidedBy } : {}),
  });
  if (decision.decision === 'approved') {
    run.completeStep(index, undefined);
    return;
  }
  const by = decision.decidedBy !== undefined ? ` by ${decision.decidedBy}` : '';
  const why = decision.reason ? `: ${decision.reason}` : '';
  throw run.failStep(
    index,
    decision.decision === 'rejected'
      ? { status: 'rejected', error: `the gate was rejected${by}${why}` }
      : { status: 'timed-out', error: `the gate timed out (${decision.reason ?? 'no decision in time'})` },
  );
}
