import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import type { AgentToolbox } from '../tools/agent-toolbox';
import {
  TOOL_CATALOG_WORKFLOW_TYPE,
  publishToolCatalogSignal,
  toolCatalogWorkflowId,
  type ToolCatalog,
} from '../workflows/definitions';

/** What {@link publishToolCatalog} needs. */
export interface PublishToolCatalogInput {
  client: Client;
  taskQueue: string;
  agentNames: Iterable<string>;
  toolbox: AgentToolbox;
  /** `<deployment>:<buildId>` of a versioned worker. */
  build?: string;
  logger: { warn(message: string, meta?: object): void };
}

/**
 * Publishes the tool names this worker discovered for each agent to the task queue's catalog
 * workflow (started on first use), where clients read them. A failure is logged, never fatal:
 * clients then go without the catalog.
 */
export async function publishToolCatalog(input: PublishToolCatalogInput): Promise<void> {
  const agents: Record<string, string[]> = {};
  for (const name of input.agentNames) agents[name] = await input.toolbox.toolNames(name);
  const catalog: ToolCatalog = {
    agents,
    publishedAt: new Date().toISOString(),
    publishedBy: `${process.pid}@${hostname()}${input.build ? ` (${input.build})` : ''}`,
  };
  try {
    await input.client.workflow.signalWithStart(TOOL_CATALOG_WORKFLOW_TYPE, {
      workflowId: toolCatalogWorkflowId(input.taskQueue),
      taskQueue: input.taskQueue,
      args: [catalog],
      signal: publishToolCatalogSignal,
      signalArgs: [catalog],
      // On a versioned task queue the catalog follows the current build, whatever the workers'
      // default: a catalog pinned to a stopped build could never take the next build's tools.
      ...(input.build ? { versioningOverride: 'AUTO_UPGRADE' as const } : {}),
    });
  } catch (error) {
    input.logger.warn(`Could not publish the tool catalog of task queue '${input.taskQueue}': ${String(error)}`);
  }
}
