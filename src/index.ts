/**
 * zap-agents: durable LLM agents on Temporal. One workflow per task; every model call and
 * every tool call is an activity; follow-ups are signals; state is read through queries.
 *
 * @example
 * ```ts
 * import { Zap, ZapAgent } from 'zap-agents';
 *
 * const zap = new Zap({ agents: [new ZapAgent({ name: 'Support', prompt: 'You help customers.' })] });
 * await zap.start();
 * const worker = await zap.createWorker();       // or run workers/zap-worker in its own process
 * const task = await zap.executeTask({ agentName: 'Support', task: 'Where is order 123?' });
 * ```
 */
export { Zap } from './client/zap';
export type { StreamTaskOptions } from './client/zap';
export type { TaskStreamOptions, TaskStreamStatistics } from './streaming/task-event-stream';
export type { TokenTransport, TokenChunk, TokenSubscription } from './streaming/token-transport';
export type { ZapOptions, TemporalConnectionOptions, ZapLogger } from './client/zap-options';
export type { ExecuteTaskOptions } from './client/task-request';
export type { ListTasksOptions, ListTasksResult, TaskSummary } from './client/task-list';
export type { TaskScope } from './client/task-scope';
export type { SearchAttributesMode } from './client/zap-options';
export type { SearchAttributesUnavailableError } from './core/errors';
// Structured output: `task.outputError` holds the error (its `code` is 'OUTPUT_VALIDATION').
export type { OutputValidationError } from './core/errors';
export type { OutputIssue } from './core/structured-output';
// Pipelines are defined with `pipeline()` from zap-agents/pipelines; these are what the Zap's pipeline methods return and take.
export type { PipelineRun } from './client/pipeline-run';
export type { StartPipelineOptions } from './client/pipeline-start';
export type { RetryPipelineOptions } from './client/pipeline-client';
// Schedules (`zap.schedules`) and delayed start; schedule errors have the codes 'SCHEDULE_NOT_FOUND' and 'SCHEDULE_ALREADY_EXISTS'.
export type { ZapSchedules } from './client/schedules/zap-schedules';
export type {
  CreateScheduleOptions,
  UpdateScheduleOptions,
  ListSchedulesOptions,
  TriggerScheduleOptions,
  ScheduleTimingOptions,
  ScheduleTaskOptions,
  ScheduleOverlap,
  ScheduleDescription,
  ScheduleSummary,
  ScheduleRun,
  ScheduleRunSummary,
} from './client/schedules/schedule-options';
export type { ScheduleNotFoundError, ScheduleAlreadyExistsError } from './core/errors';
// Tenant budgets (`zap.tenantBudgets`): a refused call fails its task with a BudgetExceededError whose limit is 'tenantUsd'.
// Budgets (`executeTask({ budget })`, `new Zap({ prices })`); the error classes are in zap-agents/errors.
export type { TaskBudget, BudgetPolicy, BudgetSnapshot, BudgetLimitName, ModelPrice } from './core/budget';
export type { BudgetRaise } from './core/task-state';
export type { BudgetExceededError, ModelPriceUnknownError, ApprovalTimedOutError } from './core/errors';
export type { ApprovalTimeoutPolicy } from './core/approval-request';
export type { ApprovalCheck, ApprovalPredicate, ApprovalEscalationOptions } from './core/approval-rules';
export type { ApprovalCondition, ApprovalConditionRule, ApprovalValueTest } from './core/approval-conditions';
export type { ZapTenantBudgets } from './client/tenant-budgets';
export type { TenantBudget, TenantBudgetOptions } from './core/tenant-budget';
export type { DelayedStartOptions } from './client/delayed-start';
export type { NudgeOptions } from './agent/agent-nudge';
export { Task } from './client/task';
export { ZapAgent } from './agent/zap-agent';
export type { ZapAgentOptions } from './agent/zap-agent';
export type { ZapEventDefinition } from './agent/agent-events';
export type { StuckDetectionOptions, StuckPolicy } from './agent/agent-stuck';
export type { LifecycleHook, LifecycleHookEvent, LifecycleHookName, LifecycleHooks } from './hooks/lifecycle-hooks';
export type { AgentStuckError, AgentStuckErrorOptions } from './core/errors';
export type { SendEventOptions, SendEventResult } from './client/task-events';
export type { TaskWaitingFor, EventWaitSnapshot } from './core/task-snapshot';
export { tool } from './agent/tool';
export type { ToolOptions, ZapTool, ToolExecutionContext } from './agent/tool';
export { TaskStatus } from './core/task-status';
export type { ApprovalRequest, ApprovalLogEntry } from './core/approval-request';
export { ApprovalRules } from './core/approval-rules';
export type { ApprovalRulesOptions, ApprovalRulesSpec } from './core/approval-rules';
export { textPart, imageFromUrl, imageFromBase64 } from './core/content';
export type { ImageMimeType, ImageDetail } from './core/content';
export type { DecideApprovalResult, BatchApprovalDecision, DecideApprovalsResult } from './workflows/definitions';
export type { Approver, ApprovalAuthorizationRequest, ApprovalAuthorizer } from './client/approval-authorization';
// An `authorize` refusal (and a missing role on the operations surface): its `code` is 'PERMISSION_DENIED'.
export type { PermissionDeniedError, PermissionDeniedErrorOptions } from './core/errors';
export type {
  TaskEvent,
  TaskEventType,
  ThinkingEvent,
  TokenEvent,
  ToolCallEvent,
  ToolResultEvent,
  ApprovalRequestedEvent,
  ApprovalResolvedEvent,
  ApprovalEscalatedEvent,
  UsageEvent,
  BudgetRaisedEvent,
  SubTaskStartedEvent,
  EventReceivedEvent,
  EventWaitStartedEvent,
  EventWaitFinishedEvent,
  StuckEvent,
  StuckReason,
  NudgedEvent,
  StepStartedEvent,
  StepFinishedEvent,
  CompletedEvent,
  ErrorEvent,
  CancelledEvent,
} from './core/events';
export type {
  ChatMessage,
  SystemMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  ToolCall,
  ContentPart,
  TextContentPart,
  ImageContentPart,
  MessageContent,
  TokenUsage,
} from './core/messages';
export type { ConversationTurn, ToolCallRecord } from './core/conversation';
export type { JsonValue } from './core/json';
export type { LlmEndpointOptions } from './llm/llm-endpoint';
export type { McpClientConfig, StdioMcpClientConfig, HttpMcpClientConfig } from './mcp/mcp-client-config';
export type { ZapWorkerOptions } from './worker/create-worker';
export type { ZapWorkerPlugin } from './worker/zap-worker-plugin';
export type { ZapWorkerDeploymentOptions, ZapVersioningBehavior } from './worker/worker-deployment';
export { runWorker } from './worker/run-worker';
export type { RunWorkerOptions } from './worker/run-worker';
export type { ZapWorkerHeap } from './worker/worker-heap';
export {
  ZapError,
  ZapConfigurationError,
  ZapNotStartedError,
  ZapConnectionError,
  ZapValidationError,
  AgentNotFoundError,
  TaskNotFoundError,
  TaskClosedError,
  ApprovalNotFoundError,
  VisionNotSupportedError,
  LlmProviderError,
  ToolExecutionError,
  NoWorkerError,
} from './core/errors';
