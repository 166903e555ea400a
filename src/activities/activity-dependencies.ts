import type { Client } from '@temporalio/client';
import type { ZapAgent } from '../agent/zap-agent';
import type { ModelPrices } from '../llm/model-prices';
import type { ModelRegistry } from '../llm/model-registry';
import type { AnyPipelineDefinition } from '../pipelines/pipeline-definition';
import type { McpConnectionPool } from '../mcp/mcp-connection-pool';
import type { AgentToolbox } from '../tools/agent-toolbox';
import type { TokenTransport } from '../streaming/token-transport';
import type { ContextReader } from './context-reader';
import type { TaskStartSettings } from './resolve-agent-task';
import type { ConversationReader } from './conversation-reader';
import type { TenantBudgetReservations } from './tenant-budget-reservation';

/** What zap-agents activities need, passed explicitly to {@link createActivities}. */
export interface ActivityDependencies {
  /** The worker's Temporal client (sub-task liveness checks). */
  client: Client;
  agents: ReadonlyMap<string, ZapAgent<any>>;
  toolbox: AgentToolbox;
  mcpPool: McpConnectionPool;
  models: ModelRegistry;
  /** Model prices (the Zap's `prices` over the bundled price data): the cost of each call, and budget checks. */
  prices: ModelPrices;
  conversations: ConversationReader;
  /** Reads a task's context (once per task) for the tools that receive it. */
  contexts: ContextReader;
  /** Where streamed model tokens are published; undefined → the model is called without streaming. */
  tokens?: TokenTransport;
  /** The pipelines whose steps' user code the pipeline step activities run. @default none */
  pipelines?: ReadonlyMap<string, AnyPipelineDefinition>;
  /** What tasks started on the worker (`runAgent`) take from the Zap's options. @default the Zap defaults, no search attributes */
  tasks?: TaskStartSettings;
  /**
   * Reserves model calls of tasks with a tenant from the tenant's budget (`zap.tenantBudgets`).
   * @default one per model activity, on `client`
   */
  tenantBudgets?: TenantBudgetReservations;
}
