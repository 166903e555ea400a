/**
 * zap-agents' MCP server over stdio for the example's Zap: what the Coordinator's worker starts
 * as its `zap` MCP server. The same as `npx zap mcp --module examples/agents-driving-zap/zap.ts`.
 * It runs as an operator (it holds the Temporal connection); a call made by an agent's task still
 * can never decide that task's own approvals.
 */
import { runMcpStdioServer } from 'zap-agents/mcp-server';
import { createExampleZap } from './zap';

runMcpStdioServer({ zap: createExampleZap() }).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[zap mcp] failed:', error);
    process.exit(1);
  },
);
