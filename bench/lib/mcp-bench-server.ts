/**
 * The MCP server of the benchmarks: Streamable HTTP in the benchmark process (one `McpServer` and
 * transport per session, like `test/fixtures/mcp/http-server.ts`), with one tool, `echo`, named and
 * shaped like the local `echo` tool so the scripted model's `echo` scenario drives it unchanged.
 * Its result is padded to `resultBytes`, which the benchmark sets before each configuration.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { padText, TOOL_NAMES } from './scripted-model';

/** A running benchmark MCP server. */
export interface McpBenchServer {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  /** Size of every `echo` result from now on, in bytes (ASCII). */
  resultBytes: number;
  /** Tool calls answered so far. */
  calls: number;
  close(): Promise<void>;
}

const MCP_PATH = '/mcp';

/** Starts the server on a free port of 127.0.0.1. */
export async function startMcpBenchServer(resultBytes: number): Promise<McpBenchServer> {
  const sessions = new Map<string, { server: McpServer; transport: StreamableHTTPServerTransport }>();
  const state: McpBenchServer = { url: '', resultBytes, calls: 0, close: async () => undefined };

  const createServer = (): McpServer => {
    const server = new McpServer({ name: 'zap-bench-tools', version: '1.0.0' });
    server.registerTool(
      TOOL_NAMES.echo,
      { description: 'Returns the text it is given.', inputSchema: { text: z.string() } },
      ({ text }) => {
        state.calls += 1;
        return { content: [{ type: 'text', text: padText(`echo: ${text.slice(0, 40)} `, state.resultBytes) }] };
      },
    );
    return server;
  };

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    if (new URL(request.url ?? '/', 'http://127.0.0.1').pathname !== MCP_PATH) {
      response.writeHead(404).end();
      return;
    }
    const body = request.method === 'POST' ? await readJsonBody(request) : undefined;
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) {
        response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}');
        return;
      }
      await session.transport.handleRequest(request, response, body);
      return;
    }
    if (request.method !== 'POST' || !isInitializeRequest(body)) {
      response.writeHead(400).end();
      return;
    }
    const server = createServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { server, transport });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  };

  const httpServer = http.createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  state.url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}${MCP_PATH}`;
  state.close = async () => {
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.allSettled(open.map((session) => session.server.close()));
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
    });
  };
  return state;
}

async function readJsonBody(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? undefined : (JSON.parse(text) as unknown);
}
