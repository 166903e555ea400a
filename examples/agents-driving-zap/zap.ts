/**
 * The agents of the agents-driving-zap example. The Coordinator's only MCP server is zap-agents'
 * own MCP server over stdio (`zap-mcp-server.ts`, the same as `npx zap mcp --module <this file>`):
 * its model starts and follows durable tasks with the `start_task` and `wait_for_task` tools, as
 * any MCP client (an IDE, a desktop assistant) would. Loaded by `main.ts` (client and worker) and
 * by the MCP server process; both read TEMPORAL_ADDRESS and ZAP_TASK_QUEUE.
 */
import { join } from 'node:path';
import { Zap, ZapAgent } from 'zap-agents';

/** The task queue of the example's worker; the MCP server starts its tasks there too. */
export const EXAMPLE_TASK_QUEUE = 'zap-example-agents-driving-zap';

/** Builds the agents and the Zap; call it once TEMPORAL_ADDRESS is set. */
export function createExampleZap(): Zap {
  const taskQueue = process.env.ZAP_TASK_QUEUE ?? EXAMPLE_TASK_QUEUE;
  const coordinator = new ZapAgent({
    name: 'Coordinator',
    prompt:
      'You coordinate research. Start a task for the Researcher agent with start_task, follow it with wait_for_task ' +
      '(call it again while the outcome is timed_out), then report its answer in one sentence.',
    model: process.env.ZAP_MODEL ?? 'gpt-4o-mini',
    mcpClients: [
      {
        name: 'zap',
        command: process.execPath,
        args: ['--import', 'tsx', join(__dirname, 'zap-mcp-server.ts')],
        cwd: __dirname,
        // A stdio server gets only what it is given (plus PATH, HOME, …): where Temporal is.
        env: { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233', ZAP_TASK_QUEUE: taskQueue },
      },
    ],
    maxIterations: 6,
  });
  const researcher = new ZapAgent({
    name: 'Researcher',
    prompt: 'You research facts. Answer briefly.',
    model: process.env.ZAP_MODEL ?? 'gpt-4o-mini',
  });
  return new Zap({ agents: [coordinator, researcher], taskQueue });
}
