import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.UnknownStep;

/** Options of {@link UnknownStepError}. */
export interface UnknownStepErrorOptions {
  pipelineName: string;
  stepName: string;
  /** The pipeline's steps, in order, listed in the default message. @default [] */
  knownSteps?: readonly string[];
  /** @default "Pipeline '<pipelineName>' has no step '<stepName>'. Its steps: <knownSteps>." */
  message?: string;
  cause?: unknown;
}

/**
 * A step name the pipeline does not have, e.g. the `fromStep` of `zap.retryPipeline`.
 *
 * @example
 * ```ts
 * await zap.retryPipeline(runId, { fromStep: 'wirte' }); // UnknownStepError: … Its steps: research, review, write.
 * ```
 */
export class UnknownStepError extends ZapError {
  readonly pipelineName: string;
  readonly stepName: string;
  /** The pipeline's steps, in order. */
  readonly knownSteps: readonly string[];

  constructor({ pipelineName, stepName, knownSteps = [], message, cause }: UnknownStepErrorOptions) {
    const known = knownSteps.length > 0 ? ` Its steps: ${knownSteps.join(', ')}.` : '';
    super({ code: CODE, message: message ?? `Pipeline '${pipelineName}' has no step '${stepName}'.${known}`, cause });
    this.pipelineName = pipelineName;
    this.stepName = stepName;
    this.knownSteps = knownSteps;
  }

  static override isInstance(error: unknown): error is UnknownStepError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
