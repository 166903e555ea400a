import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Zap } from '../client/zap';
import { OPERATOR_PRINCIPAL, ZapOperations, type Principal } from '../operations';
import { createZapMcpServer } from './create-zap-mcp-server';

/** Options of {@link runMcpStdioServer}. */
export interface RunMcpStdioServerOptions {
  /** The Zap whose tasks the tools act on; started if it is not, stopped when the server ends. */
  zap: Zap<any>;
  /**
   * Who the client is. The process that runs the server holds the Temporal credentials, so by
   * default the client may do everything, in every tenant.
   * @default OPERATOR_PRINCIPAL
   */
  principal?: Principal;
  /** Ends the server when aborted. @default undefined (runs until the client closes stdin) */
  signal?: AbortSignal;
  /** Where requests come from. @default process.stdin */
  stdin?: Readable;
  /** Where responses go: nothing else may be written there. @default process.stdout */
  stdout?: Writable;
}

/**
 * Serves the zap-agents tools over stdio (what `zap mcp --module ./my-zap.js` runs, and what an
 * IDE or an agent's `mcpClients: [{ command }]` starts) until the client closes stdin, stdout
 * breaks or `signal` aborts; then stops the Zap. Nothing needs draining: tasks live in Temporal,
 * and an open `wait_for_task` is only a read.
 *
 * stdout carries the protocol, so while the server runs `console.log`, `console.info` and
 * `console.debug` write to stderr (a stray log line from the Zap module would otherwise corrupt
 * the stream).
 *
 * @example
 * ```ts
 * import { zap } from './my-zap';
 * await runMcpStdioServer({ zap });
 * ```
 */
export async function runMcpStdioServer(options: RunMcpStdioServerOptions): Promise<void> {
  const { zap, principal = OPERATOR_PRINCIPAL, signal, stdin = process.stdin, stdout = process.stdout } = options;
  if (signal?.aborted) return;
  const restoreConsole = stdout === process.stdout ? sendConsoleToStderr() : () => undefined;
  try {
    await zap.start();
    const server = createZapMcpServer({ operations: new ZapOperations({ zap }), principal });
    const transport = new StdioServerTransport(stdin, stdout);
    const closed = new Promise<void>((resolve) => {
      server.server.onclose = resolve;
    });
    const close = (): void => void server.close().catch(() => undefined);
    stdin.once('end', close);
    stdin.once('close', close);
    stdout.once('error', close);
    signal?.addEventListener('abort', close, { once: true });
    try {
      await server.connect(transport);
      await closed;
    } finally {
      stdin.off('end', close);
      stdin.off('close', close);
      stdout.off('error', close);
      signal?.removeEventListener('abort', close);
    }
  } finally {
    try {
      await zap.stop();
    } finally {
      restoreConsole();
    }
  }
}

/** Points console.log/info/debug at stderr; returns the function that puts them back. */
function sendConsoleToStderr(): () => void {
  const { log, info, debug } = console;
  const toStderr = (...values: unknown[]): void => console.error(...values);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  return () => {
    console.log = log;
    console.info = info;
    console.debug = debug;
  };
}
