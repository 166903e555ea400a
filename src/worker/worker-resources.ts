import type { Client } from '@temporalio/client';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { ContextReader } from '../activities/context-reader';
import { ConversationReader } from '../activities/conversation-reader';
import { createActivities } from '../activities/create-activities';
import type { TaskStartSettings } from '../activities/resolve-agent-task';
import { checkSearchAttributes } from '../client/search-attribute-check';
import type { CompiledZapOptions } from '../client/zap-options';
import type { ZapActivities } from '../core/activity-contracts';
import { ZapConfigurationError } from '../core/errors';
import { ModelRegistry } from '../llm/model-registry';
import { McpConnectionPool, type McpConnectionPoolLogger } from '../mcp/mcp-connection-pool';
import { AgentToolbox } from '../tools/agent-toolbox';

/** What a worker of a Zap's agents holds: its activities, its agents' tools, and their MCP connections. */
export interface ZapWorkerResources {
  /** zap-agents' activities, built over the Zap's agents. */
  activities: ZapActivities;
  /** The agents' tools (local and MCP), discovered. */
  toolbox: AgentToolbox;
  /** Closes the MCP connections (stdio servers stop). Safe to call more than once. */
  close(): Promise<void>;
}

/**
 * What every worker of a Zap's agents needs, for `zap.createWorker()` and `zap.workerPlugin()`
 * alike: MCP servers are connected and every agent's tools discovered first, so a server that does
 * not start or two tools with one name fail here, not in the middle of a task (the connections
 * are closed again then). The activities are built over the Zap's agents, pipelines and options.
 */
export async function openWorkerResources(options: CompiledZapOptions<any>, client: Client): Promise<ZapWorkerResources> {
  const mcpPool = new McpConnectionPool({ logger: mcpLogger(options.logger), ...options.mcp });
  for (const agent of options.agents.values()) mcpPool.register(agent.mcpClients);
  const toolbox = new AgentToolbox(options.agents, mcpPool);
  try {
    await toolbox.discoverAll();
  } catch (error) {
    await mcpPool.close();
    throw error;
  }
  const activities = createActivities({
    client,
    agents: options.agents,
    toolbox,
    mcpPool,
    models: new ModelRegistry(options.llm),
    prices: options.prices,
    conversations: new ConversationReader(client),
    contexts: new ContextReader(client),
    tokens: options.tokens,
    pipelines: options.pipelines,
    tasks: taskStartSettings(options, client),
  });
  return { activities, toolbox, close: () => mcpPool.close() };
}

/**
 * The worker's data converter with the Zap's `payloadCodec` added; a codec given both ways is a
 * `ZapConfigurationError` (which one would encode first is not obvious, and clients must agree).
 */
export function withPayloadCodec(dataConverter: DataConverter | undefined, payloadCodec: PayloadCodec | undefined): DataConverter | undefined {
  if (!payloadCodec) return dataConverter;
  if (dataConverter?.payloadCodecs?.length) {
    throw new ZapConfigurationError({
      message: 'Give the payload codec either as Zap `payloadCodec` or in worker `dataConverter`, not both.',
    });
  }
  return { ...dataConverter, payloadCodecs: [payloadCodec] };
}

/**
 * What tasks started on the worker (`runAgent`) take from the Zap: its task settings, and whether
 * the namespace has the zap-agents search attributes, checked once, when a task first needs it
 * (quietly: `zap.start()` has already said what is missing).
 */
function taskStartSettings(options: CompiledZapOptions<any>, client: Client): TaskStartSettings {
  let availability: Promise<boolean> | undefined;
  return {
    eventLogLimit: options.eventLogLimit,
    inlineMessageBytes: options.inlineMessageBytes,
    continueAsNewAfterEvents: options.continueAsNewAfterEvents,
    historyHardStopEvents: options.historyHardStopEvents,
    searchAttributes() {
      availability ??= checkSearchAttributes({
        connection: client.connection,
        namespace: options.temporal.namespace,
        mode: options.searchAttributes,
        logger: { warn: () => undefined },
        timeoutMs: options.temporal.connectTimeoutMs,
      }).then(
        (result) => result.enabled,
        (error: unknown) => {
          // Asked again by the next task: the check may have met a passing outage.
          availability = undefined;
          throw error;
        },
      );
      return availability;
    },
  };
}

/**
 * The Zap's logger for MCP connections: warnings always; each stdio server's stderr lines (at
 * debug) only when the user gave a logger of their own, so the default `console` stays quiet.
 */
function mcpLogger(logger: CompiledZapOptions<any>['logger']): McpConnectionPoolLogger {
  if (logger === console) return { warn: (message, meta) => console.warn(message, meta ?? '') };
  return logger;
}
