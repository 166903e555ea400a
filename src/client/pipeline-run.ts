import type { BudgetSnapshot } from '../core/budget';
import type { ApprovalRequest } from '../core/approval-request';
import { PipelineStepError } from '../core/errors';
import type { TokenUsage } from '../core/messages';
import type { PipelineRunStatus, PipelineSnapshot, PipelineStepResult } from '../core/pipeline-state';
import type { TaskStatusSnapshot } from '../core/task-snapshot';

/** A run's status as its workflow reports it: the task protocol's status with its `pipeline` field. */
export type PipelineRunSnapshot = TaskStatusSnapshot & { pipeline: PipelineSnapshot };

/**
 * A snapshot of a pipeline run, as read from its workflow (`zap.startPipeline`,
 * `zap.getPipelineRun`, `zap.retryPipeline`). Fields do not update by themselves: read the run
 * again for fresh state. `TOutputs` is the output of each step by name, typed from the steps'
 * output schemas when the run was read through its pipeline (`zap.startPipeline('publish-post',
 * …)` on a `Zap` that registers it).
 *
 * A run is also a task in the task protocol: `zap.getTaskStatus(run.id)`, `zap.streamTask({
 * taskId: run.id })`, `zap.getPendingApprovals(run.id)`, `zap.approve(run.id, approvalId)` and
 * `zap.cancelTask(run.id)` work on it, and so do the operations surface, the HTTP API and the CLI.
 */
export class PipelineRun<TOutputs extends object = Record<string, unknown>> {
  /** The run's id (its workflow id). */
  readonly id: string;
  readonly pipelineName: string;
  readonly status: PipelineRunStatus;
  /** The step that runs or waits now. */
  readonly currentStep: string | undefined;
  /** Steps finished successfully (reused ones included). */
  readonly stepsCompleted: number;
  readonly stepCount: number;
  /** Every step in order, with its status, response, iterations, output, error. */
  readonly steps: readonly PipelineStepResult[];
  /** The output of each finished step, by name (a structured step's parsed JSON, else its answer text). */
  readonly outputs: Partial<TOutputs>;
  /** The step that ended the run with an error. */
  readonly failedStep: string | undefined;
  /** The gate that waits for a decision. */
  readonly pendingStep: string | undefined;
  /** The pending gate's message. */
  readonly approvalMessage: string | undefined;
  /** The pending gate's approval: decide it with `zap.approve(run.id, run.pendingApproval.id)` or `zap.reject`. */
  readonly pendingApproval: ApprovalRequest | undefined;
  /** Why the run failed: the failed step, its status, raw response and issues. */
  readonly error: PipelineStepError | undefined;
  /** Why the run was cancelled, once it is. */
  readonly cancelReason: string | undefined;
  /** The validated pipeline input. */
  readonly input: unknown;
  /** Runs of this id so far: 1, then one more per `retryPipeline`. */
  readonly attempt: number;
  /** Tokens of every step's task. */
  readonly usage: TokenUsage;
  /** The run's budget (limits, spent by its steps, left), when it was started with one. */
  readonly budget: BudgetSnapshot | undefined;
  readonly tenantId: string | undefined;
  readonly userId: string | undefined;
  /** `seq` of the run's newest event: pass it as `since` to stream only what comes next. */
  readonly lastEventSeq: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;

  constructor(snapshot: PipelineRunSnapshot) {
    const { pipeline } = snapshot;
    this.id = snapshot.taskId;
    this.pipelineName = pipeline.name;
    this.status = pipeline.status;
    this.currentStep = pipeline.currentStep;
    this.stepsCompleted = pipeline.stepsCompleted;
    this.stepCount = pipeline.stepCount;
    this.steps = pipeline.steps;
    this.outputs = pipeline.outputs as Partial<TOutputs>;
    this.failedStep = pipeline.failedStep;
    this.pendingStep = pipeline.pendingStep;
    this.approvalMessage = pipeline.approvalMessage;
    this.pendingApproval = snapshot.pendingApprovals.find((approval) => approval.kind === 'gate');
    this.error = stepError(snapshot.taskId, pipeline);
    this.cancelReason = snapshot.cancelReason;
    this.input = pipeline.input;
    this.attempt = pipeline.attempt;
    this.usage = snapshot.usage;
    this.budget = snapshot.budget;
    this.tenantId = snapshot.tenantId;
    this.userId = snapshot.userId;
    this.lastEventSeq = snapshot.lastEventSeq;
    this.createdAt = new Date(snapshot.createdAt);
    this.updatedAt = new Date(snapshot.updatedAt);
  }

  /** True once the run has an outcome: `complete`, `error` or `cancelled`. */
  isComplete(): boolean {
    return this.status === 'complete' || this.status === 'error' || this.status === 'cancelled';
  }

  /** True when every step is done (status `complete`). */
  isSuccessful(): boolean {
    return this.status === 'complete';
  }

  /** The result of step `name`, or undefined when the pipeline has no such step. */
  step(name: string): PipelineStepResult | undefined {
    return this.steps.find((step) => step.name === name);
  }
}

function stepError(runId: string, pipeline: PipelineSnapshot): PipelineStepError | undefined {
  if (pipeline.status !== 'error' || pipeline.failedStep === undefined) return undefined;
  const failed = pipeline.steps.find((step) => step.name === pipeline.failedStep);
  return new PipelineStepError({
    runId,
    pipelineName: pipeline.name,
    stepName: pipeline.failedStep,
    status: failed?.status ?? 'error',
    ...(failed?.response !== undefined ? { response: failed.response } : {}),
    issues: failed?.issues ?? [],
    message: pipeline.error ?? `Step '${pipeline.failedStep}' of pipeline run '${runId}' failed.`,
  });
}
