import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.PipelineNotFound;

/** Options of {@link PipelineNotFoundError}. */
export interface PipelineNotFoundErrorOptions {
  pipelineName: string;
  /** Names of the pipelines that are registered, listed in the default message. @default [] */
  knownPipelines?: readonly string[];
  /** @default "Pipeline '<pipelineName>' is not registered. Known pipelines: <knownPipelines>." */
  message?: string;
  cause?: unknown;
}

/** No pipeline with this name is registered on the `Zap` (`new Zap({ pipelines })`), or on the worker that ran a step. */
export class PipelineNotFoundError extends ZapError {
  readonly pipelineName: string;
  /** The pipelines that are registered. */
  readonly knownPipelines: readonly string[];

  constructor({ pipelineName, knownPipelines = [], message, cause }: PipelineNotFoundErrorOptions) {
    const known = knownPipelines.length > 0 ? ` Known pipelines: ${knownPipelines.join(', ')}.` : ' No pipeline is registered.';
    super({ code: CODE, message: message ?? `Pipeline '${pipelineName}' is not registered.${known}`, cause });
    this.pipelineName = pipelineName;
    this.knownPipelines = knownPipelines;
  }

  static override isInstance(error: unknown): error is PipelineNotFoundError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
