/**
 * Every failure type string zap-agents uses, in one place: the `code` of each `ZapError` class
 * and the `type` of each `ApplicationFailure` its activities and workflows throw. The strings
 * cross process boundaries (activity → workflow → client), so workflows and callers branch on
 * them, never on error classes. Constants only: safe inside the workflow sandbox.
 * @module
 */

/** `ZapError.code` and `ApplicationFailure.type` values, by name. */
export const FailureType = {
  /** Invalid agent, tool or Zap configuration (`ZapConfigurationError`). */
  ZapConfiguration: 'ZAP_CONFIGURATION',
  /** A method that needs Temporal was called before `zap.start()` (`ZapNotStartedError`). */
  ZapNotStarted: 'ZAP_NOT_STARTED',
  /** The Temporal server could not be reached (`ZapConnectionError`). */
  ZapConnection: 'ZAP_CONNECTION',
  /** Invalid input to a zap-agents call (`ZapValidationError`). */
  ZapValidation: 'ZAP_VALIDATION',
  /** No agent with this name is registered (`AgentNotFoundError`; also thrown by activities). */
  AgentNotFound: 'AGENT_NOT_FOUND',
  /** No task exists with this id (`TaskNotFoundError`). */
  TaskNotFound: 'TASK_NOT_FOUND',
  /** The task has ended and takes no more messages (`TaskClosedError`). */
  TaskClosed: 'TASK_CLOSED',
  /** An approval id the task does not know (`ApprovalNotFoundError`; also the update validator). */
  ApprovalNotFound: 'APPROVAL_NOT_FOUND',
  /** Images sent to an agent whose model cannot see them (`VisionNotSupportedError`). */
  VisionNotSupported: 'VISION_NOT_SUPPORTED',
  /** The model endpoint failed (`LlmProviderError`; also the model activity and the workflow). */
  LlmProvider: 'LLM_PROVIDER',
  /** A tool failed (`ToolExecutionError`; also the tool activity). */
  ToolExecution: 'TOOL_EXECUTION',
  /** A payload could not be encrypted or decrypted (`PayloadEncryptionError`). */
  PayloadEncryption: 'PAYLOAD_ENCRYPTION',
  /** An offloaded payload could not be stored or read back (`PayloadStoreError`). */
  PayloadStore: 'PAYLOAD_STORE',
  /** No worker polls the task queue (`NoWorkerError`). */
  NoWorker: 'NO_WORKER',
  /** The namespace lacks the zap-agents search attributes a call needs (`SearchAttributesUnavailableError`). */
  SearchAttributesUnavailable: 'SEARCH_ATTRIBUTES_UNAVAILABLE',
  /** A named event the task's agent does not declare (`UnknownEventError`; also the update validator). */
  UnknownEvent: 'UNKNOWN_EVENT',
  /** A named event's data does not match its schema or is too large (`EventValidationError`; also the update validator). */
  EventValidation: 'EVENT_VALIDATION',
  /** The task keeps as many undelivered events as it may (`EventBufferFullError`; the update validator). */
  EventBufferFull: 'EVENT_BUFFER_FULL',
  /** The model's final answer did not match the task's output schema, repairs included (`OutputValidationError`; the workflow). */
  OutputValidation: 'OUTPUT_VALIDATION',
  /** The caller's principal may not run the operation (`PermissionDeniedError`). */
  PermissionDenied: 'PERMISSION_DENIED',
  /** The agent repeated itself or made no progress and its stuck policy stopped it (`AgentStuckError`; the workflow). */
  AgentStuck: 'AGENT_STUCK',
  /** An approval reached its timeout under `onTimeout: 'fail'` (`ApprovalTimedOutError`; the workflow). */
  ApprovalTimedOut: 'APPROVAL_TIMED_OUT',
  /** A model call would not fit the task's budget, and its policy ended the task (`BudgetExceededError`; the workflow). */
  BudgetExceeded: 'BUDGET_EXCEEDED',
  /** The model activity refused a call whose worst case does not fit what is left (internal; the workflow applies the policy). */
  BudgetWouldExceed: 'BUDGET_WOULD_EXCEED',
  /** A USD budget for a model whose price is unknown (`ModelPriceUnknownError`). */
  ModelPriceUnknown: 'MODEL_PRICE_UNKNOWN',
  /** An invalid pipeline definition: name, steps, step options (`PipelineDefinitionError`). */
  PipelineDefinition: 'PIPELINE_DEFINITION',
  /** No pipeline with this name is registered (`PipelineNotFoundError`; also the pipeline step activity). */
  PipelineNotFound: 'PIPELINE_NOT_FOUND',
  /** A step name the pipeline does not have (`UnknownStepError`; also the pipeline step activity). */
  UnknownStep: 'UNKNOWN_STEP',
  /** A pipeline step failed, or a gate was rejected or timed out (`PipelineStepError`; the pipeline workflow). */
  PipelineStep: 'PIPELINE_STEP',
  /** No schedule exists with this id, or it belongs to another tenant or user (`ScheduleNotFoundError`). */
  ScheduleNotFound: 'SCHEDULE_NOT_FOUND',
  /** A schedule with this id exists already (`ScheduleAlreadyExistsError`). */
  ScheduleAlreadyExists: 'SCHEDULE_ALREADY_EXISTS',

  /** The model called a tool the agent does not have (tool activity; never retried). */
  ToolNotFound: 'TOOL_NOT_FOUND',
  /** A tool call's arguments fail the tool's schema (tool activity; never retried). */
  ToolArgumentsInvalid: 'TOOL_ARGUMENTS_INVALID',
  /** The model activity ran outside an agent workflow, so it cannot read the conversation. */
  ConversationUnavailable: 'CONVERSATION_UNAVAILABLE',
  /** A non-idempotent tool call may or may not have taken effect; it is not run again. */
  ToolOutcomeUnknown: 'TOOL_OUTCOME_UNKNOWN',
  /**
   * The failure of an at-most-once call's attempt (`callToolAtMostOnce`, `invokeModelWithinBudget`), around the failure
   * itself (its cause, which the workflow reads): never retried by Temporal, so a second attempt
   * runs only after a timeout (the first attempt's outcome is unknown), and it only says so.
   */
  AtMostOnceAttempt: 'AT_MOST_ONCE_ATTEMPT',
  /**
   * A budgeted model call's attempt timed out, so the provider may have billed it
   * (`invokeModelWithinBudget`'s second attempt, which calls nothing); details carry its worst case
   * as `budgetCharge`. The workflow charges it and tries the call again.
   */
  ModelOutcomeUnknown: 'MODEL_OUTCOME_UNKNOWN',
  /** The model's answer is too large to store as an activity result; never retried (each attempt is paid for). */
  ModelResultTooLarge: 'MODEL_RESULT_TOO_LARGE',
  /** A request took more model calls than the agent's `maxIterations` (workflow). */
  MaxIterationsExceeded: 'MAX_ITERATIONS_EXCEEDED',
  /** A task that can neither continue as new nor grow further (workflow). */
  TaskStateTooLarge: 'TASK_STATE_TOO_LARGE',
  /** A decision without an approval id or a yes/no (update validator). */
  InvalidDecision: 'INVALID_DECISION',
  /** A lifecycle hook threw (`runHook` activity; retried by its policy, then logged by the workflow). */
  LifecycleHookFailed: 'LIFECYCLE_HOOK_FAILED',
} as const;

/** One of the {@link FailureType} strings. */
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
