/**
 * The zap-agents MCP server: every operation of `zap-agents/operations` as an MCP tool, so an
 * IDE, a desktop assistant or another agent drives durable tasks through MCP. Over stdio
 * ({@link runMcpStdioServer}, what `zap mcp` runs) or Streamable HTTP
 * ({@link createMcpHttpHandler}, mounted behind authentication by the HTTP API at `/mcp`).
 *
 * @example
 * ```ts
 * import { runMcpStdioServer } from 'zap-agents/mcp-server';
 * await runMcpStdioServer({ zap });
 * ```
 * @module
 */
export { createZapMcpServer, type ZapMcpServerOptions } from './create-zap-mcp-server';
export { runMcpStdioServer, type RunMcpStdioServerOptions } from './run-mcp-stdio-server';
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpHandlerOptions } from './mcp-http-handler';
export { LOCALHOST_NAMES } from './allowed-hosts';
export { MCP_ERROR_META_KEY } from './operation-tool-result';
export { MCP_PROGRESS_EVENT_META_KEY } from './wait-progress';
export { describeTaskEvent } from './task-event-phrase';
