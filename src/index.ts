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
export { Task } from './client/task';
export { ZapAgent } from './agent/zap-agent';
export type { ZapAgentOptions } from './agent/zap-agent';
export { tool } from './agent/tool';
export type { ToolOptions, ZapTool, ToolExecutionContext } from './agent/tool';
export { TaskStatus } from './core/task-status';
export type { ApprovalRequest, ApprovalLogEntry } from './core/approval-request';
export { ApprovalRules } from './core/approval-rules';
export type { ApprovalRulesOptions, ApprovalRulesSpec } from './core/approval-rules';
export { textPart, imageFromUrl, imageFromBase64 } from './core/content';
export type { ImageMimeType, ImageDetail } from './core/content';
export type { DecideApprovalResult } from './workflows/definitions';
export type {
  TaskEvent,
  TaskEventType,
  ThinkingEvent,
  TokenEvent,
  ToolCallEvent,
  ToolResultEvent,
  ApprovalRequestedEvent,
  ApprovalResolvedEvent,
  SubTaskStartedEvent,
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
export type { ZapWorkerDeploymentOptions, ZapVersioningBehavior } from './worker/worker-deployment';
export { runWorker } from './worker/run-worker';
export type { RunWorkerOptions } from './worker/run-worker';
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
