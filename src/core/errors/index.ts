export { ZapError, type ZapErrorOptions } from './zap-error';
export { ZapConfigurationError, type ZapConfigurationErrorOptions } from './zap-configuration-error';
export { ZapNotStartedError, type ZapNotStartedErrorOptions } from './zap-not-started-error';
export { ZapConnectionError, type ZapConnectionErrorOptions } from './zap-connection-error';
export { ZapValidationError, type ZapValidationErrorOptions } from './zap-validation-error';
export { AgentNotFoundError, type AgentNotFoundErrorOptions } from './agent-not-found-error';
export { TaskNotFoundError, type TaskNotFoundErrorOptions } from './task-not-found-error';
export { TaskClosedError, type TaskClosedErrorOptions } from './task-closed-error';
export { ApprovalNotFoundError, type ApprovalNotFoundErrorOptions } from './approval-not-found-error';
export { VisionNotSupportedError, type VisionNotSupportedErrorOptions } from './vision-not-supported-error';
export { LlmProviderError, type LlmProviderErrorOptions } from './llm-provider-error';
export { ToolExecutionError, type ToolExecutionErrorOptions } from './tool-execution-error';
export { PayloadEncryptionError, type PayloadEncryptionErrorOptions } from './payload-encryption-error';
export { PayloadStoreError, type PayloadStoreErrorOptions, type PayloadStoreFailure } from './payload-store-error';
export { NoWorkerError, type NoWorkerErrorOptions } from './no-worker-error';
export {
  SearchAttributesUnavailableError,
  type SearchAttributesUnavailableErrorOptions,
} from './search-attributes-unavailable-error';
export { UnknownEventError, type UnknownEventErrorOptions } from './unknown-event-error';
export { EventValidationError, type EventValidationErrorOptions, type EventValidationIssue } from './event-validation-error';
export { EventBufferFullError, type EventBufferFullErrorOptions } from './event-buffer-full-error';
export { OutputValidationError, type OutputValidationErrorOptions } from './output-validation-error';
export { PermissionDeniedError, type PermissionDeniedErrorOptions } from './permission-denied-error';
export { AgentStuckError, type AgentStuckErrorOptions } from './agent-stuck-error';
export { ApprovalTimedOutError, type ApprovalTimedOutErrorOptions } from './approval-timed-out-error';
export { BudgetExceededError, type BudgetExceededErrorOptions } from './budget-exceeded-error';
export { ModelPriceUnknownError, type ModelPriceUnknownErrorOptions } from './model-price-unknown-error';
export { PipelineDefinitionError, type PipelineDefinitionErrorOptions } from './pipeline-definition-error';
export { PipelineNotFoundError, type PipelineNotFoundErrorOptions } from './pipeline-not-found-error';
export { UnknownStepError, type UnknownStepErrorOptions } from './unknown-step-error';
export { PipelineStepError, type PipelineStepErrorOptions } from './pipeline-step-error';
export { ScheduleNotFoundError, type ScheduleNotFoundErrorOptions } from './schedule-not-found-error';
export { ScheduleAlreadyExistsError, type ScheduleAlreadyExistsErrorOptions } from './schedule-already-exists-error';
