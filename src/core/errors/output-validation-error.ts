import { FailureType } from '../failure-types';
import type { OutputIssue } from '../structured-output';
import { ZapError } from './zap-error';

const CODE = FailureType.OutputValidation;

/** Options of {@link OutputValidationError}. */
export interface OutputValidationErrorOptions {
  /** The answer that failed the schema (cut at 64 KiB characters). */
  rawAnswer: string;
  /** What is wrong with it: zod issues, or one `invalid_json` issue. @default [] */
  issues?: readonly OutputIssue[];
  /** The task whose answer it was, when known. @default undefined */
  taskId?: string;
  /** @default "The answer of task '<taskId>' does not match its output schema: <first issue>" */
  message?: string;
  cause?: unknown;
}

/**
 * The model's final answer is not JSON matching the task's output schema (`outputSchema` or the
 * agent's `output`), after the repair turns it was given; or, on the client, the task's output
 * fails the zod schema it is read with (a refinement the worker could not check). Carries the
 * raw answer and the validation issues.
 *
 * @example
 * ```ts
 * const task = await zap.getTask(id, { outputSchema: Invoice });
 * if (task.outputError) console.log(task.outputError.issues, task.outputError.rawAnswer);
 * ```
 */
export class OutputValidationError extends ZapError {
  /** The answer that failed the schema (cut at 64 KiB characters). */
  readonly rawAnswer: string;
  /** What is wrong with the answer. */
  readonly issues: readonly OutputIssue[];
  readonly taskId: string | undefined;

  constructor({ rawAnswer, issues = [], taskId, message, cause }: OutputValidationErrorOptions) {
    const subject = taskId === undefined ? 'The answer' : `The answer of task '${taskId}'`;
    const first = issues[0];
    super({
      code: CODE,
      message:
        message ??
        `${subject} does not match its output schema` +
          (first ? `: ${first.path.length > 0 ? `${first.path.join('.')}: ` : ''}${first.message}` : '.'),
      cause,
    });
    this.rawAnswer = rawAnswer;
    this.issues = issues;
    this.taskId = taskId;
  }

  static override isInstance(error: unknown): error is OutputValidationError {
    return ZapError.isInstance(error) && error.code === CODE;
  }
}
