/**
 * Turns a Temporal failure that reached the client back into the zap-agents error it stands for.
 * Errors cross process boundaries as `ApplicationFailure`s whose `type` is a {@link FailureType}
 * string (activities set it from `ZapError.code`, workflows and update validators throw it
 * directly); this is the way back, for callers that want `instanceof` and typed fields.
 * @module
 */
import { ApplicationFailure } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import {
  AgentNotFoundError,
  AgentStuckError,
  ApprovalTimedOutError,
  BudgetExceededError,
  ApprovalNotFoundError,
  EventBufferFullError,
  EventValidationError,
  LlmProviderError,
  NoWorkerError,
  OutputValidationError,
  PayloadEncryptionError,
  PayloadStoreError,
  TaskClosedError,
  TaskNotFoundError,
  ToolExecutionError,
  UnknownEventError,
  VisionNotSupportedError,
  ZapConfigurationError,
  ZapConnectionError,
  ZapNotStartedError,
  ZapValidationError,
  type PayloadStoreFailure,
  type ZapError,
} from '../core/errors';
import { FailureType } from '../core/failure-types';
import type { OutputIssue } from '../core/structured-output';

/** How deep `cause` chains are followed (client error → workflow failure → activity failure → …). */
const MAX_CAUSE_DEPTH = 8;

const PAYLOAD_STORE_FAILURES: readonly string[] = ['missing', 'corrupted', 'unavailable', 'invalid-reference'];

/**
 * What the caller knows that a failure does not carry: the update validator that refuses an
 * approval id, for one, names neither the task nor (in a field) the approval.
 */
export interface FailureContext {
  /** The task (workflow id) the failure came from. */
  taskId?: string;
  /** The approval a decision was about (not given for a batch: its refusal lists the unknown ids). */
  approvalId?: string;
  /** The named event a delivery was about. */
  eventName?: string;
  agentName?: string;
  toolName?: string;
  toolCallId?: string;
}

/** The failure that decides, and where typed fields are read from. */
interface FailureReading {
  /** The outermost typed `ApplicationFailure`: its type picks the class, its message is kept. */
  failure: ApplicationFailure;
  /** Every `ApplicationFailure` of the same type in the chain, outermost first. */
  sameType: ApplicationFailure[];
  /** A string field from the context, else from a failure's first `details` object. */
  text(name: string): string | undefined;
  /** What the mapped error gets as `cause`: the error given to {@link errorFromFailure}. */
  cause: unknown;
}

type ErrorBuilder = (reading: FailureReading, context: FailureContext) => ZapError | undefined;

const BUILDERS: Readonly<Record<string, ErrorBuilder>> = {
  [FailureType.ZapConfiguration]: ({ failure, cause }) => new ZapConfigurationError({ message: failure.message, cause }),
  [FailureType.ZapNotStarted]: ({ failure, cause }) => new ZapNotStartedError({ message: failure.message, cause }),
  [FailureType.ZapConnection]: ({ failure, cause }) => new ZapConnectionError({ message: failure.message, cause }),
  [FailureType.ZapValidation]: ({ failure, cause }) => new ZapValidationError({ message: failure.message, cause }),
  [FailureType.InvalidDecision]: ({ failure, cause }, { approvalId, taskId }) =>
    new ZapValidationError({
      message:
        approvalId !== undefined && taskId !== undefined
          ? `Invalid decision for approval '${approvalId}' of task '${taskId}': ${failure.message}`
          : taskId !== undefined
            ? `Invalid decisions for task '${taskId}': ${failure.message}`
            : failure.message,
      cause,
    }),
  [FailureType.AgentNotFound]: ({ text, cause }) => {
    const agentName = text('agentName');
    return agentName === undefined ? undefined : new AgentNotFoundError({ agentName, cause });
  },
  [FailureType.TaskNotFound]: ({ text, cause }) => {
    const taskId = text('taskId');
    return taskId === undefined ? undefined : new TaskNotFoundError({ taskId, cause });
  },
  [FailureType.TaskClosed]: ({ failure, text, cause }) => {
    const taskId = text('taskId');
    if (taskId === undefined) return undefined;
    return new TaskClosedError({ taskId, reason: text('reason') ?? failure.message, message: failure.message, cause });
  },
  [FailureType.ApprovalNotFound]: ({ failure, text, cause }) => {
    // A batch validator lists every unknown id in its details; a single decision's id is known to the caller.
    const listed = detailsField(failure, 'approvalIds');
    const unknown = Array.isArray(listed) ? listed.filter((id): id is string => typeof id === 'string') : [];
    const approvalId = text('approvalId') ?? unknown[0];
    const taskId = text('taskId');
    if (approvalId === undefined || taskId === undefined) return undefined;
    return new ApprovalNotFoundError({ approvalId, approvalIds: unknown.length > 0 ? unknown : [approvalId], taskId, cause });
  },
  [FailureType.VisionNotSupported]: ({ text, cause }) => {
    const agentName = text('agentName');
    const model = text('model');
    if (agentName === undefined || model === undefined) return undefined;
    return new VisionNotSupportedError({ agentName, model, cause });
  },
  [FailureType.LlmProvider]: ({ failure, sameType, cause }) => {
    // The activity's own failure (innermost) holds the provider's verdict; the workflow's
    // wrapper around it is always non-retryable.
    const original = sameType[sameType.length - 1] as ApplicationFailure;
    const status = numberField(original, 'status');
    const retryAfterMs = msOptionalToNumber(original.nextRetryDelay ?? undefined);
    return new LlmProviderError({
      message: failure.message,
      retryable: original.nonRetryable !== true,
      ...(status !== undefined ? { status } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      cause,
    });
  },
  [FailureType.ToolExecution]: (reading) => toolExecutionError(reading, false),
  [FailureType.ToolOutcomeUnknown]: (reading) => toolExecutionError(reading, true),
  [FailureType.PayloadEncryption]: ({ failure, text, cause }) =>
    new PayloadEncryptionError({ message: failure.message, keyId: text('keyId'), cause }),
  [FailureType.PayloadStore]: ({ failure, text, cause }) => {
    const kind = text('failure');
    if (kind === undefined || !PAYLOAD_STORE_FAILURES.includes(kind)) return undefined;
    return new PayloadStoreError({
      message: failure.message,
      failure: kind as PayloadStoreFailure,
      key: text('key'),
      location: text('location'),
      cause,
    });
  },
  [FailureType.UnknownEvent]: ({ failure, text, cause }) => {
    const taskId = text('taskId');
    const eventName = text('eventName');
    if (taskId === undefined || eventName === undefined) return undefined;
    const declared = detailsField(failure, 'declaredEvents');
    const declaredEvents = Array.isArray(declared) ? declared.filter((entry): entry is string => typeof entry === 'string') : [];
    return new UnknownEventError({ taskId, eventName, agentName: text('agentName'), declaredEvents, cause });
  },
  [FailureType.EventValidation]: ({ failure, text, cause }) => {
    const taskId = text('taskId');
    const eventName = text('eventName');
    if (taskId === undefined || eventName === undefined) return undefined;
    return new EventValidationError({
      taskId,
      eventName,
      issues: [{ code: 'custom', path: [], message: failure.message }],
      message: `Event '${eventName}' for task '${taskId}' was refused: ${failure.message}`,
      cause,
    });
  },
  [FailureType.EventBufferFull]: ({ failure, text, cause }) => {
    const taskId = text('taskId');
    const eventName = text('eventName');
    if (taskId === undefined || eventName === undefined) return undefined;
    return new EventBufferFullError({ taskId, eventName, limit: text('limit') ?? failure.message, cause });
  },
  [FailureType.OutputValidation]: ({ failure, text, cause }, { taskId }) => {
    const rawAnswer = text('rawAnswer');
    if (rawAnswer === undefined) return undefined;
    const issues = detailsField(failure, 'issues');
    return new OutputValidationError({
      rawAnswer,
      issues: Array.isArray(issues) ? issues.filter(isOutputIssue) : [],
      taskId,
      message: failure.message,
      cause,
    });
  },
  [FailureType.AgentStuck]: ({ failure, text, cause }) => {
    const reason = text('reason');
    const toolName = text('toolName');
    const repeats = detailsField(failure, 'repeats');
    if ((reason !== 'repeated_call' && reason !== 'no_progress') || toolName === undefined || typeof repeats !== 'number') return undefined;
    const escalation = detailsField(failure, 'escalation') as AgentStuckError['escalation'];
    return new AgentStuckError({
      reason,
      toolName,
      repeats,
      taskId: text('taskId'),
      agentName: text('agentName'),
      ...(escalation ? { escalation } : {}),
      message: failure.message,
      cause,
    });
  },
  [FailureType.BudgetExceeded]: ({ failure, text, cause }) => {
    const limit = text('limit');
    const max = detailsField(failure, 'max');
    const spent = detailsField(failure, 'spent');
    if ((limit !== 'usd' && limit !== 'tokens' && limit !== 'modelCalls' && limit !== 'toolCalls') || typeof max !== 'number' || typeof spent !== 'number') return undefined;
    const needed = detailsField(failure, 'needed');
    return new BudgetExceededError({ limit, max, spent, ...(typeof needed === 'number' ? { needed } : {}), taskId: text('taskId'), message: failure.message, cause });
  },
  [FailureType.ApprovalTimedOut]: ({ failure, text, cause }) => {
    const approvalId = text('approvalId');
    const toolName = text('toolName');
    const waitedMs = detailsField(failure, 'waitedMs');
    if (approvalId === undefined || toolName === undefined || typeof waitedMs !== 'number') return undefined;
    return new ApprovalTimedOutError({
      approvalId,
      toolName,
      waitedMs,
      taskId: text('taskId'),
      escalated: detailsField(failure, 'escalated') === true,
      message: failure.message,
      cause,
    });
  },
  [FailureType.NoWorker]: ({ text, cause }) => {
    const namespace = text('namespace');
    const taskQueue = text('taskQueue');
    if (namespace === undefined || taskQueue === undefined) return undefined;
    return new NoWorkerError({ namespace, taskQueue, action: text('action'), cause });
  },
};

/**
 * The zap-agents error a Temporal failure stands for, or undefined.
 *
 * Follows `cause` from `error` (a `WorkflowFailedError`, `WorkflowUpdateFailedError`,
 * `ActivityFailure`, `ChildWorkflowFailure` or `ApplicationFailure`) to the outermost
 * `ApplicationFailure` with a `type`; that type picks the class. Typed fields are read from
 * `context` and from the failures' first `details` object; classes that name their subject
 * (`TaskNotFoundError`, `ApprovalNotFoundError`, …) get their default message, the others keep
 * the failure's. The result's `cause` is `error` itself.
 *
 * @param error what a Temporal client call rejected with
 * @param context what the caller knows that the failure does not carry (task id, approval id, …)
 * @returns undefined when the chain holds no typed `ApplicationFailure`, when its type has no
 *   zap-agents class (`MAX_ITERATIONS_EXCEEDED`, a type of your own), or when a field the class
 *   requires cannot be recovered
 *
 * @example
 * ```ts
 * try {
 *   await handle.executeUpdate(decideApprovalUpdate, { args: [input] });
 * } catch (error) {
 *   throw errorFromFailure(error, { taskId, approvalId: input.approvalId }) ?? error;
 * }
 * ```
 */
export function errorFromFailure(error: unknown, context: FailureContext = {}): ZapError | undefined {
  const failures = applicationFailures(error);
  const failure = failures.find((candidate) => typeof candidate.type === 'string' && candidate.type !== '');
  if (!failure) return undefined;
  const build = BUILDERS[failure.type as string];
  if (!build) return undefined;
  const sameType = failures.filter((candidate) => candidate.type === failure.type);
  const text = (name: string): string | undefined => {
    const known = context[name as keyof FailureContext];
    if (known !== undefined) return known;
    for (const candidate of sameType) {
      const value = detailsField(candidate, name);
      if (typeof value === 'string') return value;
    }
    return undefined;
  };
  return build({ failure, sameType, text, cause: error }, context);
}

function toolExecutionError({ failure, text, cause }: FailureReading, outcomeUnknown: boolean): ZapError | undefined {
  const toolName = text('toolName');
  if (toolName === undefined) return undefined;
  return new ToolExecutionError({ toolName, toolCallId: text('toolCallId'), message: failure.message, cause, outcomeUnknown });
}

/** The `ApplicationFailure`s along the `cause` chain of `error`, outermost first. */
function applicationFailures(error: unknown): ApplicationFailure[] {
  const found: ApplicationFailure[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth += 1) {
    if (current instanceof ApplicationFailure) found.push(current);
    current = current.cause;
  }
  return found;
}

function detailsField(failure: ApplicationFailure, name: string): unknown {
  const first: unknown = failure.details?.[0];
  if (typeof first !== 'object' || first === null) return undefined;
  return (first as Record<string, unknown>)[name];
}

function isOutputIssue(value: unknown): value is OutputIssue {
  if (typeof value !== 'object' || value === null) return false;
  const issue = value as Partial<OutputIssue>;
  return typeof issue.code === 'string' && typeof issue.message === 'string' && Array.isArray(issue.path);
}

function numberField(failure: ApplicationFailure, name: string): number | undefined {
  const value = detailsField(failure, name);
  return typeof value === 'number' ? value : undefined;
}
