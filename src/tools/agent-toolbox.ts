import type { ZapAgent } from '../agent/zap-agent';
import type { ZapTool } from '../agent/tool';
import { ZapConfigurationError } from '../core/errors';
import type { FunctionToolDefinition } from '../core/tool-definition';
import type { McpConnectionPool } from '../mcp/mcp-connection-pool';
import { MESSAGE_AGENT_TOOL_NAME, messageAgentToolDefinition } from './message-agent-tool';
import { WAIT_FOR_EVENT_TOOL_NAME, waitForEventToolDefinition } from './wait-for-event-tool';

/** Where a tool name of an agent leads. */
export type ResolvedTool =
  | { kind: 'local'; tool: ZapTool; definition: FunctionToolDefinition }
  | { kind: 'mcp'; serverName: string; definition: FunctionToolDefinition }
  | { kind: 'message_agent'; definition: FunctionToolDefinition }
  | { kind: 'wait_for_event'; definition: FunctionToolDefinition };

/**
 * The tools of each agent: local `tool()`s, the tools its MCP servers expose, and
 * `message_agent` when it has sub-agents, `wait_for_event` when it declares events. Two tools
 * with the same name are a configuration error, never silently resolved.
 */
export class AgentToolbox {
  private readonly catalogs = new Map<string, Promise<Map<string, ResolvedTool>>>();

  constructor(
    private readonly agents: ReadonlyMap<string, ZapAgent<any>>,
    private readonly mcpPool: McpConnectionPool,
  ) {}

  /** Tool definitions sent to the model for this agent. */
  async definitions(agentName: string): Promise<FunctionToolDefinition[]> {
    const catalog = await this.catalog(agentName);
    return [...catalog.values()].map((entry) => entry.definition);
  }

  /** Tool names of this agent. */
  async toolNames(agentName: string): Promise<string[]> {
    return [...(await this.catalog(agentName)).keys()];
  }

  /** The tool behind a name, or undefined when the agent has no such tool. */
  async resolve(agentName: string, toolName: string): Promise<ResolvedTool | undefined> {
    return (await this.catalog(agentName)).get(toolName);
  }

  /** Discovers every agent's tools now, so a bad MCP server or a name clash fails at start. */
  async discoverAll(): Promise<void> {
    await Promise.all([...this.agents.keys()].map((name) => this.catalog(name)));
  }

  private catalog(agentName: string): Promise<Map<string, ResolvedTool>> {
    let catalog = this.catalogs.get(agentName);
    if (!catalog) {
      catalog = this.buildCatalog(agentName);
      // A failed discovery (server down at start) is retried on the next call, not cached.
      catalog.catch(() => this.catalogs.delete(agentName));
      this.catalogs.set(agentName, catalog);
    }
    return catalog;
  }

  private async buildCatalog(agentName: string): Promise<Map<string, ResolvedTool>> {
    const agent = this.agents.get(agentName);
    if (!agent) throw new ZapConfigurationError({ message: `Agent '${agentName}' is not registered.` });
    const catalog = new Map<string, ResolvedTool>();
    const origins = new Map<string, string>();
    const add = (entry: ResolvedTool, origin: string): void => {
      const name = entry.definition.name;
      const previous = origins.get(name);
      if (previous !== undefined) {
        throw new ZapConfigurationError({
          message: `Agent '${agentName}' has two tools named '${name}': ${previous} and ${origin}. Rename one of them.`,
        });
      }
      origins.set(name, origin);
      catalog.set(name, entry);
    };

    for (const zapTool of agent.tools) {
      add(
        {
          kind: 'local',
          tool: zapTool,
          definition: {
            name: zapTool.name,
            description: zapTool.description,
            parameters: zapTool.jsonSchema,
            idempotent: zapTool.idempotent,
            ...(zapTool.localActivity ? { localActivity: true } : {}),
          },
        },
        'a local tool',
      );
    }
    const serverTools = await Promise.all(
      agent.mcpClients.map(async (config) => ({ serverName: config.name, tools: await this.mcpPool.listTools(config.name) })),
    );
    for (const { serverName, tools } of serverTools) {
      for (const definition of tools) add({ kind: 'mcp', serverName, definition }, `MCP server '${serverName}'`);
    }
    if (agent.subAgents.length > 0) {
      const subAgents = agent.subAgents.map((name) => {
        const subAgent = this.agents.get(name);
        return { name, description: subAgent ? subAgentToolDescription(subAgent) : name };
      });
      add({ kind: 'message_agent', definition: messageAgentToolDefinition(subAgents) }, `the built-in ${MESSAGE_AGENT_TOOL_NAME}`);
    }
    if (agent.events.size > 0) {
      add({ kind: 'wait_for_event', definition: waitForEventToolDefinition([...agent.events.values()]) }, `the built-in ${WAIT_FOR_EVENT_TOOL_NAME}`);
    }
    return catalog;
  }
}

/** How `message_agent` describes a sub-agent to the model: its discovery prompt, else its prompt's first line. */
function subAgentToolDescription(agent: ZapAgent<any>): string {
  if (agent.discoveryPrompt) return agent.discoveryPrompt;
  if (typeof agent.prompt === 'string') return agent.prompt.split('\n')[0]?.slice(0, 200) ?? agent.name;
  return agent.name;
}
