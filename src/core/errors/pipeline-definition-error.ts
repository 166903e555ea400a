import { FailureType } from '../failure-types';
import { ZapError } from './zap-error';

const CODE = FailureType.PipelineDefinition;

/** Options of {@link PipelineDefinitionError}. */
export interface PipelineDefinitionErrorOptions {
  /** The pipeline being defined (as given, even when it is the invalid part). */
  pipelineName: string;
  /** The step at fault, when the problem is with one step. @default undefined */
  stepName?: string;
  /** What is wrong, without the pipeline and step: "step names must match ^[a-z][a-z0-9-]*$". */
  problem: string;
  /** @default "Pipeline '<pipelineName>', step '<stepName>': <problem>" (or without the step) */
  message?: string;
  cause?: unknown;
}

/**
 * A pipeline definition is invalid: its name or a step name does not match `^[a-z][a-z0-9-]*$`,
 * two steps share a name, the pipeline has no step, or a step's options are wrong (an agent step
 * without `agent`, a gate without `approval.message`, an output schema JSON Schema cannot express,
 * …). Thrown when the pipeline is defined (`pipeline()`, `.step()`, `.gate()`) or registered.
 *
 * @example
 * ```ts
 * try { pipeline('Publish Post', { input }); } catch (error) {
 *   if (PipelineDefinitionError.isInstance(error)) console.log(error.pipelineName, error.stepName, error.problem);
 * }
 * ```
 */
export class PipelineDefinitionError extends ZapError {
  readonly pipelineName: string;
  readonly stepName: string | undefined;
  /** What is wrong, without the pipeline and step. */
  readonly problem: string;

  constructor({ pipelineName, stepName, problem, message, cause }: PipelineDefinitionErrorOptions) {
    const where = stepName === undefined ? `Pipeline '${pipelineName}'` : `Pipeline '${pipelineName}', step '${stepName}'`;
    super({ code: CODE, message: message ?? `${where}: ${problem}`, cause });
    this.pipelineName = pipelineName;
    this.stepName = stepName;
    this.problem = problem;
  }

  static override isInstance(error: unknown): error is PipelineDefinitionError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
