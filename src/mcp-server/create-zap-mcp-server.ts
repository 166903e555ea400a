import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DEFAULT_MCP_SERVER_NAME } from '../core/defaults';
import { ZapError } from '../core/errors';
import { defaultMcpClientInfo } from '../mcp/mcp-client-info';
import { OPERATION_CATALOG, type OperationDescriptor, type Principal, type ZapOperations } from '../operations';
import { principalForCall } from './acting-principal';
import { mcpOutputSchema, operationErrorResult, operationToolResult } from './operation-tool-result';
import { waitOptionsForRequest } from './wait-progress';

/** Options of {@link createZapMcpServer}. */
export interface ZapMcpServerOptions {
  /** The service layer every tool call goes through (roles, tenants, validation). */
  operations: ZapOperations;
  /**
   * Who the client is: every call runs as this principal (a tenant's principal sees only that
   * tenant's tasks). A call made by one of our own agents is further restricted to never decide
   * its own task's approvals (see `_meta['zap-agents/call']`).
   */
  principal: Principal;
  /** Server name announced in `initialize`. @default 'zap-agents' */
  name?: string;
}

/** What a client learns in `initialize`, to choose the tools well. */
const SERVER_INSTRUCTIONS =
  'Durable agent tasks (zap-agents on Temporal). start_task returns at once; a task runs on its own for minutes or days. ' +
  'Follow it with wait_for_task (progress notifications report each step) or get_task_status; a task waiting for a human shows ' +
  'its approvals in waitingFor. create_schedule runs an agent on a timetable; each run is a task (its id in describe_schedule). Errors come back as tool errors with a code such as TASK_NOT_FOUND or PERMISSION_DENIED.';

/**
 * An MCP server whose tools are the zap-agents operations (`OPERATION_CATALOG`): `start_task`,
 * `get_task_status`, `wait_for_task`, `decide_approval`, … each with its input and output schema
 * and `readOnlyHint` / `idempotentHint`. A call returns `structuredContent` and the same JSON as
 * text; a refused or failed operation (`ZapError`) is a tool error (`isError: true`) reading
 * `<CODE>: <message>`; arguments that do not match the input schema are reported by the SDK.
 * Connect it to any transport; {@link runMcpStdioServer} and {@link createMcpHttpHandler} do.
 *
 * @example
 * ```ts
 * const server = createZapMcpServer({ operations: new ZapOperations({ zap }), principal: OPERATOR_PRINCIPAL });
 * await server.connect(new StdioServerTransport());
 * ```
 */
export function createZapMcpServer(options: ZapMcpServerOptions): McpServer {
  const server = new McpServer(
    { name: options.name ?? DEFAULT_MCP_SERVER_NAME, version: defaultMcpClientInfo().version },
    { capabilities: { tools: {} }, instructions: SERVER_INSTRUCTIONS },
  );
  for (const operation of OPERATION_CATALOG) registerOperationTool(server, operation, options);
  return server;
}

function registerOperationTool(server: McpServer, operation: OperationDescriptor, options: ZapMcpServerOptions): void {
  server.registerTool(
    operation.name,
    {
      description: operation.description,
      inputSchema: operation.input,
      outputSchema: mcpOutputSchema(operation),
      annotations: { readOnlyHint: operation.readOnly, idempotentHint: operation.readOnly },
    },
    async (input, extra) => {
      const principal = principalForCall(options.principal, extra._meta);
      try {
        return operationToolResult(operation, await operation.invoke(options.operations, principal, input, waitOptionsForRequest(extra)));
      } catch (error) {
        if (ZapError.isInstance(error)) return operationErrorResult(error);
        throw error;
      }
    },
  );
}
