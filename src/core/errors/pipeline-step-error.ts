import { FailureType } from '../failure-types';
import type { PipelineStepStatus } from '../pipeline-state';
import type { OutputIssue } from '../structured-output';
import { ZapError } from './zap-error';

const CODE = FailureType.PipelineStep;

/** Options of {@link PipelineStepError}. */
export interface PipelineStepErrorOptions {
  /** The run (its workflow id). */
  runId: string;
  pipelineName: string;
  stepName: string;
  /** How the step ended: `max-iterations`, `stuck`, `error`; for gates `rejected` or `timed-out`. */
  status: PipelineStepStatus;
  /** The step's answer as the model gave it, when it gave one (the raw JSON of an output that failed its schema). @default undefined */
  response?: string;
  /** An output that failed its schema (after repair): what is wrong with it. @default [] */
  issues?: readonly OutputIssue[];
  /** Why the step failed. @default "Step '<stepName>' of pipeline run '<runId>' ended <status>." */
  message?: string;
  cause?: unknown;
}

/**
 * A step of a pipeline run failed and ended the run: its agent task hit `maxIterations`, was
 * stuck, failed, or gave an output that does not match the step's schema after repair (`response`
 * holds the raw answer, `issues` what is wrong with it); or a gate was rejected or timed out.
 * `PipelineRun.error` holds it; `zap.retryPipeline(runId, { fromStep })` takes the run up again.
 *
 * @example
 * ```ts
 * const run = await zap.getPipelineRun(runId);
 * if (run.error) console.log(run.error.stepName, run.error.status, run.error.issues, run.error.response);
 * ```
 */
export class PipelineStepError extends ZapError {
  readonly runId: string;
  readonly pipelineName: string;
  readonly stepName: string;
  readonly status: PipelineStepStatus;
  /** The step's raw answer, when it gave one. */
  readonly response: string | undefined;
  /** What is wrong with an output that failed its schema. */
  readonly issues: readonly OutputIssue[];

  constructor({ runId, pipelineName, stepName, status, response, issues = [], message, cause }: PipelineStepErrorOptions) {
    super({ code: CODE, message: message ?? `Step '${stepName}' of pipeline run '${runId}' ended ${status}.`, cause });
    this.runId = runId;
    this.pipelineName = pipelineName;
    this.stepName = stepName;
    this.status = status;
    this.response = response;
    this.issues = issues;
  }

  static override isInstance(error: unknown): error is PipelineStepError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
