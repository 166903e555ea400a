import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { resolve } from 'node:path';
import { buildSupervisedCommand } from '../../src/testing/temporal-dev-server';

const REPOSITORY_ROOT = resolve(__dirname, '../..');

/** A nats-server on 127.0.0.1 for cross-process token tests; it stops by itself if the test process dies. */
export interface TestNatsServer {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolveOpen) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolveOpen(true)));
      socket.once('error', () => (socket.destroy(), resolveOpen(false)));
    });
    if (open) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
}

/** Starts nats-server (found or installed by scripts/ensure-nats.sh) under the dev-server supervisor. */
export async function startNatsServer(): Promise<TestNatsServer> {
  const binary = execFileSync('bash', [resolve(REPOSITORY_ROOT, 'scripts/ensure-nats.sh')], { encoding: 'utf8' }).trim();
  const port = await freePort();
  const supervised = buildSupervisedCommand(binary, ['-a', '127.0.0.1', '-p', String(port)], 2000);
  const child: ChildProcess = spawn(supervised.command, supervised.args, { stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  await waitForPort(port, 15_000);
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
      child.stdin?.end();
      await exited;
      for (const stream of child.stdio) stream?.destroy();
    },
  };
}
