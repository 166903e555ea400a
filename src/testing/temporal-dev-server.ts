import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stopWhenThisProcessExits, type ProcessGuard } from './dev-server/process-guard';
import { findTemporalCli } from './dev-server/temporal-cli-lookup';

export { buildSupervisedCommand } from './dev-server/process-guard';
export { findPackageRoot, findTemporalCli, TEMPORAL_CLI_INSTALL_HINT } from './dev-server/temporal-cli-lookup';

/** Interface the dev server binds to unless told otherwise; loopback keeps it off the network. */
export const DEFAULT_TEMPORAL_DEV_SERVER_IP = '127.0.0.1';
/** Namespace the dev server serves unless told otherwise (the CLI always creates it). */
export const DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE = 'default';
/** How long {@link TemporalDevServer.start} waits for the server to serve its namespace. */
export const DEFAULT_TEMPORAL_DEV_SERVER_START_TIMEOUT_MS = 30_000;
/** Server log level; `warn` keeps test output quiet while still surfacing real problems. */
export const DEFAULT_TEMPORAL_DEV_SERVER_LOG_LEVEL = 'warn';
/** How long {@link isTemporalReachable} waits for an answer. */
export const DEFAULT_REACHABILITY_TIMEOUT_MS = 3_000;

/** Pause between namespace probes while the server registers its namespaces. */
const NAMESPACE_POLL_INTERVAL_MS = 100;
/** Output kept by {@link TemporalDevServer.output}. */
const OUTPUT_LIMIT_CHARS = 64 * 1024;
/** Output tail included in error messages. */
const ERROR_OUTPUT_TAIL_CHARS = 4_000;
/** gRPC health-check service name the Temporal frontend registers (what `temporal operator cluster health` checks). */
const WORKFLOW_SERVICE_HEALTH_NAME = 'temporal.api.workflowservice.v1.WorkflowService';
/** `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`. */
const HEALTH_STATUS_SERVING = 1;

/** Options of {@link TemporalDevServer.start}. */
export interface TemporalDevServerOptions {
  /**
   * Path of the temporal CLI binary.
   * @default resolved by {@link findTemporalCli} (never downloaded)
   */
  executable?: string;
  /**
   * Interface the gRPC frontend (and the Web UI) binds to. The SDK checks readiness on
   * 127.0.0.1, so use a loopback or wildcard IPv4 address.
   * @default '127.0.0.1'
   */
  ip?: string;
  /**
   * gRPC port; 0 picks a free port.
   * @default 0
   */
  port?: number;
  /**
   * Web UI port; 0 picks a free port, `false` runs headless (`--headless`).
   * @default 0
   */
  uiPort?: number | false;
  /**
   * SQLite file for a persistent server whose state survives restarts; its folder is created.
   * @default undefined (in-memory: state is lost when the server stops)
   */
  dbFilename?: string;
  /**
   * Namespace to serve; created at launch when it is not `default`.
   * @default 'default'
   */
  namespace?: string;
  /**
   * Extra arguments appended to `temporal server start-dev`.
   * @default []
   */
  extraArgs?: string[];
  /**
   * Milliseconds to wait for the server to serve its namespace once it answers. (The SDK itself
   * gives the process 5 seconds to answer at all.)
   * @default 30000
   */
  startTimeoutMs?: number;
  /**
   * Server log level (`debug`, `info`, `warn`, `error`).
   * @default 'warn'
   */
  logLevel?: string;
  /**
   * File the server's stdout and stderr are appended to; its folder is created.
   * @default a file in a temporary folder, removed by `stop()`
   */
  logFile?: string;
}

/**
 * {@link TemporalDevServerOptions} after defaults were applied and ports picked, so that
 * {@link TemporalDevServer.restart} brings the server back on the same address with the same state.
 */
export interface ResolvedTemporalDevServerOptions {
  /** Path of the temporal CLI binary. */
  readonly executable: string;
  /** Interface the server binds to. */
  readonly ip: string;
  /** gRPC port (never 0). */
  readonly port: number;
  /** Web UI port (never 0), or `false` when headless. */
  readonly uiPort: number | false;
  /** SQLite file, or `undefined` for an in-memory server. */
  readonly dbFilename: string | undefined;
  /** Namespace served. */
  readonly namespace: string;
  /** Extra `start-dev` arguments. */
  readonly extraArgs: readonly string[];
  /** Milliseconds to wait for the namespace. */
  readonly startTimeoutMs: number;
  /** Server log level. */
  readonly logLevel: string;
  /** Log file, or `undefined` for a temporary one. */
  readonly logFile: string | undefined;
}

/** One launch of the server; {@link TemporalDevServer.restart} makes a new one. */
interface ServerRun {
  readonly environment: TestWorkflowEnvironment;
  readonly guard: ProcessGuard;
  /** Temporary folder of the launcher script, the pid file and (by default) the log. */
  readonly runDirectory: string;
  readonly logFile: string;
  readonly pid: number;
  stopped?: Promise<void>;
}

/**
 * A `temporal server start-dev` process for tests and local development, run by
 * `@temporalio/testing` (`TestWorkflowEnvironment.createLocal`). Two things are added around the
 * SDK: the server's output goes to a file instead of this process's stdout, and the server never
 * outlives this process: the SDK kills it when Node exits normally, and a tiny guard kills it
 * when Node is killed (SIGKILL included), which the SDK does not cover. A running server does not
 * keep Node's event loop alive. Linux and macOS (the server is launched through `/bin/sh`).
 *
 * Like `TestWorkflowEnvironment`, starting one instantiates Temporal's `Runtime` if none exists
 * (call `Runtime.install(...)` before, if you configure it); while it lives, the Runtime catches the
 * first SIGINT/SIGTERM to shut workers down gracefully.
 *
 * @example
 * ```ts
 * const server = await TemporalDevServer.start({ uiPort: false });
 * const connection = await Connection.connect({ address: server.address });
 * // ...
 * await connection.close();
 * await server.stop();
 * ```
 */
export class TemporalDevServer {
  /** The options in effect, with ports resolved; {@link restart} reuses them. */
  readonly options: ResolvedTemporalDevServerOptions;
  /** gRPC address, `ip:port`. */
  readonly address: string;
  /** Web UI URL, or `undefined` when headless. */
  readonly uiUrl: string | undefined;
  /** Namespace served. */
  readonly namespace: string;
  private run: ServerRun;

  private constructor(options: ResolvedTemporalDevServerOptions, run: ServerRun) {
    this.options = options;
    this.address = formatAddress(options.ip, options.port);
    this.uiUrl = options.uiPort === false ? undefined : `http://${formatAddress(options.ip, options.uiPort)}`;
    this.namespace = options.namespace;
    this.run = run;
  }

  /**
   * Starts a dev server and resolves once it answers gRPC requests and serves its namespace.
   * Rejects (with the tail of the server's output) when it does not; nothing is left running then.
   */
  static async start(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
    if (process.platform === 'win32') throw new Error('TemporalDevServer runs on Linux and macOS (it launches the server through /bin/sh).');
    const resolvedOptions = await resolveOptions(options);
    return new TemporalDevServer(resolvedOptions, await launch(resolvedOptions));
  }

  /** pid of the temporal server process; changes on {@link restart}. */
  get pid(): number {
    return this.run.pid;
  }

  /** The most recent stdout/stderr of the server (bounded), for diagnostics. */
  get output(): string {
    return readTail(this.run.logFile, OUTPUT_LIMIT_CHARS);
  }

  /**
   * Stops the server the SDK's way (SIGKILL; a persistent server's SQLite state survives it) and
   * resolves once the process is gone and its connections are closed. Does nothing when already stopped.
   */
  async stop(): Promise<void> {
    const run = this.run;
    run.stopped ??= stopRun(run);
    await run.stopped;
  }

  /** Kills the server like a crash. The SDK's stop already is a SIGKILL, so this is {@link stop}. */
  async kill(): Promise<void> {
    await this.stop();
  }

  /**
   * Stops the server (if running) and starts it again on the same address with the same options.
   * With `dbFilename` set, workflows survive; without it, the new server starts empty.
   */
  async restart(): Promise<void> {
    await this.stop();
    this.run = await launch(this.options);
  }
}

/**
 * True when a Temporal frontend answers at `address` (`host:port`) within `timeoutMs`: a plain
 * TCP connect first (cheap, fails fast), then a gRPC health check of the workflow service. Never
 * throws; the connection is closed afterwards.
 */
export async function isTemporalReachable(
  address: string,
  timeoutMs: number = DEFAULT_REACHABILITY_TIMEOUT_MS,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const hostAndPort = parseAddress(address);
  if (hostAndPort === undefined) return false;
  if (!(await canConnectTcp(hostAndPort.host, hostAndPort.port, timeoutMs))) return false;
  // Without interceptors there are no gRPC retries: a probe answers now or fails, the caller polls.
  const connection = Connection.lazy({ address, connectTimeout: Math.max(deadline - Date.now(), 1), interceptors: [] });
  try {
    await connection.ensureConnected();
    const health = await connection.withDeadline(deadline, () =>
      connection.healthService.check({ service: WORKFLOW_SERVICE_HEALTH_NAME }),
    );
    return health.status === HEALTH_STATUS_SERVING;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function resolveOptions(options: TemporalDevServerOptions): Promise<ResolvedTemporalDevServerOptions> {
  const ip = options.ip ?? DEFAULT_TEMPORAL_DEV_SERVER_IP;
  const executable = options.executable ?? (await findTemporalCli());
  const port = options.port === undefined || options.port === 0 ? await pickFreePort(ip) : options.port;
  let uiPort: number | false;
  if (options.uiPort === false) uiPort = false;
  else if (options.uiPort === undefined || options.uiPort === 0) uiPort = await pickFreePort(ip, [port]);
  else uiPort = options.uiPort;
  return {
    executable,
    ip,
    port,
    uiPort,
    dbFilename: options.dbFilename === undefined ? undefined : resolve(options.dbFilename),
    namespace: options.namespace ?? DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE,
    extraArgs: [...(options.extraArgs ?? [])],
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_TEMPORAL_DEV_SERVER_START_TIMEOUT_MS,
    logLevel: options.logLevel ?? DEFAULT_TEMPORAL_DEV_SERVER_LOG_LEVEL,
    logFile: options.logFile === undefined ? undefined : resolve(options.logFile),
  };
}

async function launch(options: ResolvedTemporalDevServerOptions): Promise<ServerRun> {
  const address = formatAddress(options.ip, options.port);
  for (const port of [options.port, options.uiPort]) {
    // The SDK would only report that the server did not answer within 5 s.
    if (port !== false && (await listenOnce(options.ip, port)) === undefined) {
      throw new Error(`Cannot start a Temporal dev server on ${options.ip}: port ${port} is already in use.`);
    }
  }
  if (options.dbFilename !== undefined) await mkdir(dirname(options.dbFilename), { recursive: true });
  if (options.logFile !== undefined) await mkdir(dirname(options.logFile), { recursive: true });
  const runDirectory = await mkdtemp(join(tmpdir(), 'zap-temporal-dev-'));
  const pidFile = join(runDirectory, 'pid');
  const logFile = options.logFile ?? join(runDirectory, 'output.log');
  const launcher = await writeLauncher(runDirectory, options.executable, pidFile, logFile);
  const guard = stopWhenThisProcessExits(pidFile, { removeDirectory: runDirectory });
  let environment: TestWorkflowEnvironment | undefined;
  try {
    // Loaded here: `zap-dev status` and `isTemporalReachable` users need none of the SDK's worker side.
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    environment = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: launcher },
        ip: options.ip,
        port: options.port,
        ...(options.uiPort === false ? { ui: false } : { ui: true, uiPort: options.uiPort }),
        ...(options.dbFilename === undefined ? {} : { dbFilename: options.dbFilename }),
        namespace: options.namespace,
        extraArgs: [...options.extraArgs],
        log: { format: 'pretty', level: options.logLevel },
      },
    });
    await waitForNamespace(environment, options.namespace, options.startTimeoutMs);
    return { environment, guard, runDirectory, logFile, pid: Number(await readFile(pidFile, 'utf8')) };
  } catch (error) {
    guard.release();
    await environment?.teardown();
    const output = readTail(logFile, ERROR_OUTPUT_TAIL_CHARS).trim();
    await rm(runDirectory, { recursive: true, force: true });
    throw new Error(
      `Temporal dev server did not start on ${address}: ${error instanceof Error ? error.message : String(error)}` +
        (output === '' ? ' The server printed nothing.' : `\n--- server output (tail) ---\n${output}`),
    );
  }
}

async function stopRun(run: ServerRun): Promise<void> {
  run.guard.release();
  await run.environment.teardown();
  await rm(run.runDirectory, { recursive: true, force: true });
}

/**
 * The executable handed to the SDK: a sh script that records the server's pid and sends its output
 * to a file, then becomes the server (`exec`), so the SDK's kill reaches the server itself.
 */
async function writeLauncher(runDirectory: string, executable: string, pidFile: string, logFile: string): Promise<string> {
  const path = join(runDirectory, 'launch-temporal');
  const script = ['#!/bin/sh', `echo $$ > ${shellQuote(pidFile)}`, `exec ${shellQuote(executable)} "$@" >> ${shellQuote(logFile)} 2>&1`, ''];
  await writeFile(path, script.join('\n'), { mode: 0o755 });
  return path;
}

/** The SDK is satisfied once the frontend answers; start-dev registers its namespaces a moment later. */
async function waitForNamespace(environment: TestWorkflowEnvironment, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await environment.connection.withDeadline(deadline, () => environment.connection.workflowService.describeNamespace({ namespace }));
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(NAMESPACE_POLL_INTERVAL_MS);
    }
  }
}

function canConnectTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host, port });
    const settle = (reachable: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(reachable);
    };
    const timer = setTimeout(() => settle(false), timeoutMs);
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
  });
}

/** Binds `port` (0: any) and releases it; the bound port, or `undefined` when it is taken. */
function listenOnce(ip: string, port: number): Promise<number | undefined> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolvePromise(undefined));
    server.listen({ host: ip, port, exclusive: true }, () => {
      const boundAddress = server.address();
      const boundPort = typeof boundAddress === 'object' && boundAddress !== null ? boundAddress.port : undefined;
      server.close(() => resolvePromise(boundPort));
    });
  });
}

/** A free port; `avoid` guards against the OS handing out a port just picked. */
async function pickFreePort(ip: string, avoid: readonly number[] = []): Promise<number> {
  for (;;) {
    const port = await listenOnce(ip, 0);
    if (port === undefined) throw new Error(`Cannot listen on ${ip}.`);
    if (!avoid.includes(port)) return port;
  }
}

/** The last `limit` characters of a file; '' when it does not exist. */
function readTail(path: string, limit: number): string {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    const size = statSync(path).size;
    const length = Math.min(size, limit);
    const buffer = Buffer.alloc(length);
    readSync(descriptor, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function parseAddress(address: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (match === null || match[1] === undefined || match[2] === undefined) return undefined;
  return { host: match[1], port: Number(match[2]) };
}

function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
