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
export { InProcessTokenTransport } from './streaming/in-process-token-transport';
export { NatsTokenTransport } from './streaming/nats-token-transport';
export type { NatsTokenTransportOptions } from './streaming/nats-token-transport';
export type { ZapOptions, TemporalConnectionOptions, ZapLogger } from './client/zap-options';
export type { ExecuteTaskOptions } from './client/task-request';
export { MAX_TASK_CONTENT_BYTES } from './client/task-request';
export { Task } from './client/task';
export { ZapAgent } from './agent/zap-agent';
export type { ZapAgentOptions } from './agent/zap-agent';
export { tool } from './agent/tool';
export type { ToolOptions, ZapTool, ToolExecutionContext } from './agent/tool';
export { TaskStatus, isTerminalStatus, isActiveStatus } from './core/task-status';
export type { ApprovalRequest, ApprovalLogEntry } from './core/approval-request';
export { ApprovalRules, DEFAULT_APPROVAL_TIMEOUT_MS } from './core/approval-rules';
export type { ApprovalRulesOptions, ApprovalRulesSpec } from './core/approval-rules';
export {
  textPart,
  imageFromUrl,
  imageFromBase64,
  hasImages,
  ALLOWED_IMAGE_MIME_TYPES,
} from './core/content';
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
export { modelSupportsVision } from './llm/model-capabilities';
export type { McpClientConfig, StdioMcpClientConfig, HttpMcpClientConfig } from './mcp/mcp-client-config';
export type { ZapWorkerOptions } from './worker/create-worker';
export { DEFAULT_VERSIONING_BEHAVIOR } from './worker/worker-deployment';
export type { ZapWorkerDeploymentOptions, ZapVersioningBehavior } from './worker/worker-deployment';
export {
  readWorkerDeploymentFromEnvironment,
  DEPLOYMENT_NAME_VARIABLE,
  BUILD_ID_VARIABLE,
  VERSIONING_BEHAVIOR_VARIABLE,
} from './worker/worker-deployment-environment';
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
  PayloadEncryptionError,
} from './core/errors';
export {
  AesGcmPayloadCodec,
  ENCRYPTED_PAYLOAD_ENCODING,
  ENCRYPTION_KEY_ID_METADATA_KEY,
} from './codec/aes-gcm-payload-codec';
export type { AesGcmPayloadCodecOptions } from './codec/aes-gcm-payload-codec';
export { ENCRYPTION_KEYS_VARIABLE, ENCRYPTION_KEY_ID_VARIABLE } from './codec/encryption-keys';
export type { EncryptionKey } from './codec/encryption-keys';
export {
  startCodecServer,
  DEFAULT_CODEC_SERVER_HOST,
  DEFAULT_CODEC_SERVER_PORT,
  DEFAULT_CODEC_SERVER_ORIGINS,
} from './codec/codec-server';
export type { CodecServer, CodecServerOptions } from './codec/codec-server';
export {
  DEFAULT_TASK_QUEUE,
  DEFAULT_MODEL,
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_LLM_RETRY_POLICY,
  DEFAULT_TOOL_RETRY_POLICY,
} from './core/defaults';
export { LocalModelServer } from './local-model/local-model-server';
export type { LocalModelServerOptions, LocalModelStatistics } from './local-model/local-model-server';
