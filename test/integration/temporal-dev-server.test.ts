import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import {
  TemporalDevServer,
  buildSupervisedCommand,
  findPackageRoot,
  findTemporalCli,
  isTemporalReachable,
} from '../../src/testing/temporal-dev-server';

jest.setTimeout(60_000);

/** Parent process for the parent-death tests: runs a supervised command and reports its pid. */
const PARENT_SCRIPT = `
const { spawn } = require('node:child_process');
const { command, args } = JSON.parse(process.env.SUPERVISED_COMMAND);
const supervisor = spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
supervisor.stdio[3].on('data', (chunk) => process.stdout.write(chunk));
setInterval(() => {}, 1000);
`;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(100);
  }
  return condition();
}

/** Starts PARENT_SCRIPT around `command args`; resolves with the parent and the supervised pid. */
async function startParent(command: string, args: string[]): Promise<{ parent: ChildProcess; childPid: number }> {
  const parent = spawn(process.execPath, ['-e', PARENT_SCRIPT], {
    env: { ...process.env, SUPERVISED_COMMAND: JSON.stringify(buildSupervisedCommand(command, args)) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const childPid = await new Promise<number>((resolvePromise, rejectPromise) => {
    let buffered = '';
    parent.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const line = buffered.split('\n')[0];
      if (buffered.includes('\n') && line !== undefined) {
        const report = JSON.parse(line) as { pid?: number; error?: string };
        if (report.pid === undefined) rejectPromise(new Error(`supervisor reported ${line}`));
        else resolvePromise(report.pid);
      }
    });
    parent.once('exit', (code) => rejectPromise(new Error(`parent exited early with ${String(code)}`)));
  });
  return { parent, childPid };
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise<number>((resolvePromise) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePromise(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function killParent(parent: ChildProcess): Promise<void> {
  const exited = new Promise((resolvePromise) => parent.once('exit', resolvePromise));
  parent.kill('SIGKILL');
  await exited;
  parent.stdout?.destroy();
}

describe('findTemporalCli', () => {
  it('resolves an executable temporal binary', async () => {
    const executable = await findTemporalCli({ install: true });
    expect(existsSync(executable)).toBe(true);
  });

  it('rejects a TEMPORAL_CLI_PATH that is not executable, naming it', async () => {
    const previous = process.env.TEMPORAL_CLI_PATH;
    process.env.TEMPORAL_CLI_PATH = '/nonexistent/temporal';
    try {
      await expect(findTemporalCli()).rejects.toThrow('/nonexistent/temporal');
    } finally {
      if (previous === undefined) delete process.env.TEMPORAL_CLI_PATH;
      else process.env.TEMPORAL_CLI_PATH = previous;
    }
  });

  it('finds the package root from the sources', () => {
    const root = findPackageRoot();
    expect(root).toBeDefined();
    expect(existsSync(join(root ?? '', 'package.json'))).toBe(true);
  });
});

describe('isTemporalReachable', () => {
  it('is false when nothing listens', async () => {
    expect(await isTemporalReachable(`127.0.0.1:${await freePort()}`, 1_000)).toBe(false);
  });

  it('is false for a TCP server that does not speak gRPC', async () => {
    const sockets = new Set<Socket>();
    const silentServer: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolvePromise) => silentServer.listen(0, '127.0.0.1', resolvePromise));
    const address = silentServer.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      expect(await isTemporalReachable(`127.0.0.1:${port}`, 1_000)).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolvePromise) => silentServer.close(resolvePromise));
    }
  });
});

describe('TemporalDevServer', () => {
  let temporaryDirectory: string;
  const servers: TemporalDevServer[] = [];

  beforeAll(async () => {
    temporaryDirectory = await mkdtemp(join(tmpdir(), 'zap-temporal-dev-server-'));
  });

  afterEach(async () => {
    // A failed assertion must not leave a server behind.
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  afterAll(async () => {
    await rm(temporaryDirectory, { recursive: true, force: true });
  });

  it('starts headless on a free port, serves the namespace, and stops completely', async () => {
    const server = await TemporalDevServer.start({ uiPort: false });
    servers.push(server);
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.options.port).not.toBe(0);
    expect(server.uiUrl).toBeUndefined();
    expect(server.namespace).toBe('default');
    expect(await isTemporalReachable(server.address)).toBe(true);

    const connection = await Connection.connect({ address: server.address });
    try {
      const namespace = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(namespace.namespaceInfo?.name).toBe('default');
      const client = new Client({ connection, namespace: server.namespace });
      const workflows: string[] = [];
      for await (const workflow of client.workflow.list()) workflows.push(workflow.workflowId);
      expect(workflows).toEqual([]);
    } finally {
      await connection.close();
    }

    const pid = server.pid;
    await server.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await isTemporalReachable(server.address, 1_000)).toBe(false);
    await server.stop(); // idempotent
  });

  it('keeps workflows of a persistent server across restart and crash', async () => {
    const dbFilename = join(temporaryDirectory, 'nested', 'dev.db');
    const server = await TemporalDevServer.start({ uiPort: false, dbFilename });
    servers.push(server);
    expect(server.options.dbFilename).toBe(dbFilename);
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection, namespace: server.namespace });
      const workflowId = `dev-server-test-${randomUUID()}`;
      const handle = await client.workflow.start('nonexistent', { taskQueue: 'no-worker', workflowId, args: [] });

      const firstPid = server.pid;
      const { address } = server;
      await server.restart();
      expect(server.pid).not.toBe(firstPid);
      expect(isProcessAlive(firstPid)).toBe(false);
      expect(server.address).toBe(address);
      // The same connection reconnects to the restarted server.
      const afterRestart = await client.workflow.getHandle(workflowId).describe();
      expect(afterRestart.runId).toBe(handle.firstExecutionRunId);
      expect(afterRestart.status.name).toBe('RUNNING');

      const secondPid = server.pid;
      await server.kill();
      expect(isProcessAlive(secondPid)).toBe(false);
      expect(await isTemporalReachable(server.address, 1_000)).toBe(false);
      await server.restart();
      const afterCrash = await client.workflow.getHandle(workflowId).describe();
      expect(afterCrash.status.name).toBe('RUNNING');
    } finally {
      await connection.close();
    }
  });

  it('serves the Web UI on a free port by default', async () => {
    const server = await TemporalDevServer.start();
    servers.push(server);
    expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.options.uiPort).not.toBe(server.options.port);
    // The UI comes up alongside the frontend, possibly a moment later.
    const uiAnswers = await waitUntil(async () => {
      try {
        return (await fetch(server.uiUrl ?? '')).ok;
      } catch {
        return false;
      }
    }, 10_000);
    expect(uiAnswers).toBe(true);
  });

  it('fails with the server output when the port is taken', async () => {
    // Connections (from the readiness probe) are dropped at once so that close() can complete.
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolvePromise) => blocker.listen(0, '127.0.0.1', resolvePromise));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(TemporalDevServer.start({ port, uiPort: false, startTimeoutMs: 15_000 })).rejects.toThrow(
        /exited during startup[\s\S]*server output/,
      );
    } finally {
      await new Promise((resolvePromise) => blocker.close(resolvePromise));
    }
  });
});

describe('supervisor', () => {
  const parents: ChildProcess[] = [];
  const childPids: number[] = [];

  afterEach(async () => {
    for (const parent of parents.splice(0)) {
      if (parent.exitCode === null && parent.signalCode === null) await killParent(parent);
    }
    for (const pid of childPids.splice(0)) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('stops the supervised command when its parent is SIGKILLed', async () => {
    const { parent, childPid } = await startParent('sleep', ['1000']);
    parents.push(parent);
    childPids.push(childPid);
    expect(isProcessAlive(childPid)).toBe(true);

    await killParent(parent);
    expect(await waitUntil(() => !isProcessAlive(childPid), 10_000)).toBe(true);
  });

  it('stops a temporal server whose parent is SIGKILLed', async () => {
    const executable = await findTemporalCli({ install: true });
    const port = await freePort();
    const address = `127.0.0.1:${port}`;

    const { parent, childPid } = await startParent(executable, [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
    ]);
    parents.push(parent);
    childPids.push(childPid);
    expect(await waitUntil(() => isTemporalReachable(address, 1_000), 30_000)).toBe(true);

    await killParent(parent);
    expect(await waitUntil(() => !isProcessAlive(childPid), 20_000)).toBe(true);
    expect(await isTemporalReachable(address, 1_000)).toBe(false);
  });
});
