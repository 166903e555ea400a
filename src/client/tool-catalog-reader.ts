import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { getToolCatalogQuery, toolCatalogWorkflowId, type ToolCatalog } from '../workflows/definitions';

/** How long a catalog read may wait for a worker to answer before the client goes without. */
const CATALOG_QUERY_TIMEOUT_MS = 2_000;
/** Pause between catalog reads while a just-published catalog's workflow starts. */
const CATALOG_RETRY_PAUSE_MS = 100;
/** How long a read catalog is reused (workers publish at start, so it rarely changes). */
const CATALOG_CACHE_MS = 10_000;

/**
 * Reads the tool catalog the workers of a task queue published (`toolCatalogWorkflow`), so the
 * client never starts MCP servers of its own just to learn tool names.
 */
export class ToolCatalogReader {
  private cached: { catalog: ToolCatalog; readAt: number } | undefined;

  constructor(
    private readonly client: () => Client,
    private readonly taskQueue: string,
  ) {}

  /** The agent's tool names, or undefined when no worker has published them (or none answers). */
  async toolNames(agentName: string): Promise<string[] | undefined> {
    return (await this.read())?.agents[agentName];
  }

  private async read(): Promise<ToolCatalog | undefined> {
    if (this.cached && Date.now() - this.cached.readAt < CATALOG_CACHE_MS) return this.cached.catalog;
    const client = this.client();
    const handle = client.workflow.getHandle(toolCatalogWorkflowId(this.taskQueue));
    const deadline = Date.now() + CATALOG_QUERY_TIMEOUT_MS;
    let catalog: ToolCatalog | undefined;
    for (;;) {
      try {
        catalog = await client.withDeadline(deadline, () => handle.query(getToolCatalogQuery));
        break;
      } catch (error) {
        // Never published (no worker started yet): the caller goes without the catalog.
        if (error instanceof WorkflowNotFoundError || Date.now() >= deadline) break;
        // Just published: its first workflow task may not have run yet. Ask again shortly.
        await new Promise((resolve) => setTimeout(resolve, CATALOG_RETRY_PAUSE_MS));
      }
    }
    // Only a published catalog is kept: a worker that starts a moment later is seen at once.
    if (catalog) this.cached = { catalog, readAt: Date.now() };
    return catalog;
  }
}
