import type { Command } from 'commander' with { 'resolution-mode': 'import' };
import { DEFAULT_CLI_SERVE_PORT, DEFAULT_HTTP_HOSTNAME } from '../../core/defaults';
import { ZapValidationError } from '../../core/errors';
import type { CliRuntime } from '../cli-runtime';

/** Hosts `zap serve` may listen on without a token: this machine only. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '::1']);
/** Signals that stop `zap serve`. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** `zap serve [--port] [--host]` (the HTTP API) and `zap mcp` (the MCP server over stdio). */
export function registerServerCommands(program: Command, runtime: CliRuntime): void {
  program
    .command('serve')
    .description(
      'Serve the HTTP API (and MCP at /mcp) until SIGINT/SIGTERM. Requests act as the CLI\'s principal; ' +
        'set ZAP_HTTP_TOKEN to require `Authorization: Bearer <token>` (needed beyond this machine)',
    )
    .option('--port <port>', `TCP port, 0 for a free one (default ${DEFAULT_CLI_SERVE_PORT})`)
    .option('--host <host>', `interface to listen on (default ${DEFAULT_HTTP_HOSTNAME})`)
    .action(async (options: { port?: string; host?: string }, command: Command) => {
      const output = runtime.output(command);
      const hostname = options.host ?? DEFAULT_HTTP_HOSTNAME;
      const port = options.port !== undefined ? Number(options.port) : DEFAULT_CLI_SERVE_PORT;
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new ZapValidationError({ message: `--port must be an integer from 0 to 65535, not '${options.port}'.` });
      }
      const token = runtime.io.environment.ZAP_HTTP_TOKEN?.trim() || undefined;
      if (token === undefined && !LOOPBACK_HOSTS.has(hostname)) {
        throw new ZapValidationError({
          message: `Serving on ${hostname} without authentication would let anyone there act as you: set ZAP_HTTP_TOKEN.`,
        });
      }
      const { operations, principal } = await runtime.connect(command);
      // Loaded here: Hono and the MCP SDK are needed by this command only.
      const http = await import('../../http/index.js');
      const mcpServer = await import('../../mcp-server/index.js');
      const { roles, tenantId, userId } = principal;
      const authenticate = token
        ? http.bearerTokenAuthenticator({
            tokens: { [token]: { roles, ...(tenantId !== undefined ? { tenantId } : {}), ...(userId !== undefined ? { userId } : {}) } },
          })
        : http.allowAnyone(principal);
      // Without a token anything on this machine may call; /mcp then also refuses other Host and
      // Origin headers (DNS rebinding from a browser page).
      // Without a token, only this machine's names are accepted, so a web page re-pointed at
      // 127.0.0.1 (DNS rebinding) cannot use the API or /mcp.
      const server = await http.serveHttpApi({ operations, authenticate, port, hostname, ...(token ? {} : { allowedHosts: mcpServer.LOCALHOST_NAMES }) });
      output.result({ url: server.url, port: server.port, authentication: token ? 'bearer' : 'none' }, () =>
        `HTTP API on ${server.url} (OpenAPI: ${server.url}/openapi.json, MCP: ${server.url}/mcp)` +
          `${token ? '; requests need Authorization: Bearer $ZAP_HTTP_TOKEN' : '; no authentication (this machine only)'}` +
          '\nCtrl+C stops it.',
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          for (const signal of STOP_SIGNALS) process.off(signal, stop);
          resolve();
        };
        for (const signal of STOP_SIGNALS) process.once(signal, stop);
      });
      await server.close();
    });

  program
    .command('mcp')
    .description('Serve the operations as MCP tools over stdio (for an IDE, a desktop assistant or another agent), until stdin closes')
    .action(async (_options: unknown, command: Command) => {
      const zap = await runtime.startedZap(command);
      const { principal } = await runtime.connect(command);
      const { runMcpStdioServer } = await import('../../mcp-server/index.js');
      // stdout carries the protocol: nothing else of ours is written there until it ends.
      await runMcpStdioServer({ zap, principal });
    });
}
