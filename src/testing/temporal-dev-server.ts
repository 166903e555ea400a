import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { Readable } from 'node:stream';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';

/** Interface the dev server binds to unless told otherwise; loopback keeps it off the network. */
export const DEFAULT_TEMPORAL_DEV_SERVER_IP = '127.0.0.1';
/** Namespace the dev server serves unless told otherwise (the CLI always creates it). */
export const DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE = 'default';
/** How long {@link TemporalDevServer.start} waits for the server to answer. */
export const DEFAULT_TEMPORAL_DEV_SERVER_START_TIMEOUT_MS = 30_000;
/** Server log level; `warn` keeps test output quiet while still surfacing real problems. */
export const DEFAULT_TEMPORAL_DEV_SERVER_LOG_LEVEL = 'warn';
/** How long {@link isTemporalReachable} waits for an answer. */
export const DEFAULT_REACHABILITY_TIMEOUT_MS = 3_000;

/** Time between SIGTERM and SIGKILL, both in {@link TemporalDevServer.stop} and in the supervisor. */
const DEFAULT_STOP_GRACE_MS = 10_000;
/** Pause between readiness probes while the server boots. */
const READINESS_POLL_INTERVAL_MS = 200;
/** A single readiness probe must not eat the whole start budget. */
const READINESS_PROBE_TIMEOUT_MS = 2_000;
/** Output kept from the server process; enough for a stack trace, bounded for long test runs. */
const OUTPUT_BUFFER_LIMIT_CHARS = 64 * 1024;
/** Output tail included in error messages. */
const ERROR_OUTPUT_TAIL_CHARS = 4_000;
/** After the process exited, how long to wait for its output pipes to drain before closing them. */
const OUTPUT_DRAIN_TIMEOUT_MS = 1_000;
/** How long to wait for a SIGKILLed server pid to disappear. */
const KILLED_PROCESS_TIMEOUT_MS = 5_000;
/** gRPC health-check service name the Temporal frontend registers (what `temporal operator cluster health` checks). */
const WORKFLOW_SERVICE_HEALTH_NAME = 'temporal.api.workflowservice.v1.WorkflowService';
/** `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`. */
const HEALTH_STATUS_SERVING = 1;
/** Name in package.json that marks the root of this package when walking up from this file. */
const PACKAGE_NAME = 'zap-agents';
/** File descriptor on which the supervisor reports the server pid (0-2 are the server's stdio). */
const SUPERVISOR_REPORT_FD = 3;
const TEMPORAL_EXECUTABLE_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

/**
 * Supervisor run as `node -e <this> -- <graceMs> <command> [args...]`. It spawns the command and
 * ties its life to the parent: the parent holds the write end of the supervisor's stdin, so when
 * the parent dies in any way (even SIGKILL) the kernel closes it, stdin ends, and the supervisor
 * stops the command (SIGTERM, then SIGKILL after graceMs). SIGTERM/SIGINT/SIGHUP sent to the
 * supervisor are forwarded the same way. It writes one JSON line per event on fd 3
 * (`{"pid":n}` once spawned, `{"error":"..."}` if spawning failed) and exits with the command.
 * Inline source instead of a file so it runs identically from TypeScript sources and from `dist`.
 */
const SUPERVISOR_SOURCE = `
'use strict';
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');
const [graceArgument, command, ...commandArguments] = process.argv.slice(1);
const graceMs = Number(graceArgument);
function report(message) {
  try { writeSync(${SUPERVISOR_REPORT_FD}, JSON.stringify(message) + '\\n'); } catch {}
}
const child = spawn(command, commandArguments, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
function stop(signal) {
  if (stopping || child.exitCode !== null || child.signalCode !== null) return;
  stopping = true;
  try { child.kill(signal); } catch {}
  setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, graceMs);
}
child.on('spawn', () => report({ pid: child.pid }));
child.on('error', (error) => { report({ error: String(error && error.message || error) }); process.exit(127); });
child.on('exit', (code, signal) => process.exit(code === null ? 128 : code));
process.stdin.on('end', () => stop('SIGTERM'));
process.stdin.on('close', () => stop('SIGTERM'));
process.stdin.on('error', () => stop('SIGTERM'));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => stop(signal));
`;

/** Options of {@link TemporalDevServer.start}. */
export interface TemporalDevServerOptions {
  /**
   * Path of the temporal CLI binary.
   * @default resolved by `findTemporalCli({ install: true })`
   */
  executable?: string;
  /**
   * Interface the gRPC frontend (and the Web UI) binds to.
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
   * Milliseconds to wait for the server to answer before failing.
   * @default 30000
   */
  startTimeoutMs?: number;
  /**
   * Server log level (`debug`, `info`, `warn`, `error`).
   * @default 'warn'
   */
  logLevel?: string;
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
  /** Milliseconds to wait for readiness. */
  readonly startTimeoutMs: number;
  /** Server log level. */
  readonly logLevel: string;
}

/** Options of {@link findTemporalCli}. */
export interface FindTemporalCliOptions {
  /**
   * When no binary is found, run `scripts/ensure-temporal.sh` of this package (present in a
   * repository checkout) to install a project-local one.
   * @default false
   */
  install?: boolean;
}

/** A supervised server process and what is known about it. */
interface ServerProcess {
  readonly supervisor: ChildProcess;
  /** pid of the temporal process itself (not of the supervisor). */
  readonly serverPid: number;
  readonly output: BoundedOutput;
  /** Resolves once the supervisor exited and its pipes were closed. */
  readonly finished: Promise<void>;
  isFinished(): boolean;
}

/**
 * A `temporal server start-dev` process for tests and local development. It never outlives the
 * Node process that started it: the server runs under a tiny supervisor that stops it as soon as
 * this process exits, even on SIGKILL. While running it does not keep Node's event loop alive,
 * so a forgotten `stop()` cannot hang a script.
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
  private serverProcess: ServerProcess;

  private constructor(options: ResolvedTemporalDevServerOptions, serverProcess: ServerProcess) {
    this.options = options;
    this.address = formatAddress(options.ip, options.port);
    this.uiUrl = options.uiPort === false ? undefined : `http://${formatAddress(options.ip, options.uiPort)}`;
    this.namespace = options.namespace;
    this.serverProcess = serverProcess;
  }

  /**
   * Starts a dev server and resolves once it answers gRPC requests and serves its namespace.
   * Rejects (with the tail of the server's output) when it exits early or does not answer within
   * `startTimeoutMs`; the process is stopped in that case.
   */
  static async start(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
    const resolvedOptions = await resolveOptions(options);
    const serverProcess = await launchAndWaitUntilReady(resolvedOptions);
    return new TemporalDevServer(resolvedOptions, serverProcess);
  }

  /** pid of the temporal server process; changes on {@link restart}. */
  get pid(): number {
    return this.serverProcess.serverPid;
  }

  /** The most recent stdout/stderr of the server (bounded), for diagnostics. */
  get output(): string {
    return this.serverProcess.output.text();
  }

  /**
   * Stops the server: SIGTERM, then SIGKILL after a grace period. Resolves once the process
   * exited and every handle of it was released. Does nothing when already stopped.
   */
  async stop(): Promise<void> {
    await terminate(this.serverProcess, 'SIGTERM');
  }

  /** Kills the server with SIGKILL right away, like a crash; resolves once it is gone. */
  async kill(): Promise<void> {
    await terminate(this.serverProcess, 'SIGKILL');
  }

  /**
   * Stops the server (if running) and starts it again on the same address with the same options.
   * With `dbFilename` set, workflows survive; without it, the new server starts empty.
   */
  async restart(): Promise<void> {
    await this.stop();
    this.serverProcess = await launchAndWaitUntilReady(this.options);
  }
}

/**
 * Resolves a temporal CLI binary, trying in order: `$TEMPORAL_CLI_PATH` (an error if set but not
 * executable), `temporal` on `PATH`, `<package root>/.tools/bin/temporal` (created by
 * `scripts/ensure-temporal.sh`), `~/.temporalio/bin/temporal` (the official installer's location);
 * then, when `install` is true, runs `scripts/ensure-temporal.sh` if this package ships it.
 * Throws an Error naming everything that was tried when nothing is found.
 */
export async function findTemporalCli(options: FindTemporalCliOptions = {}): Promise<string> {
  const configuredPath = process.env.TEMPORAL_CLI_PATH;
  if (configuredPath) {
    const absolutePath = resolve(configuredPath);
    if (await isExecutableFile(absolutePath)) return absolutePath;
    throw new Error(`TEMPORAL_CLI_PATH=${configuredPath} is not an executable file.`);
  }

  const tried: string[] = ['$TEMPORAL_CLI_PATH (unset)'];
  const pathDirectories = (process.env.PATH ?? '').split(delimiter).filter((directory) => directory !== '');
  for (const directory of pathDirectories) {
    const candidate = resolve(directory, TEMPORAL_EXECUTABLE_NAME);
    if (await isExecutableFile(candidate)) return candidate;
  }
  tried.push(`${TEMPORAL_EXECUTABLE_NAME} on PATH`);

  const packageRoot = findPackageRoot();
  const candidates = [
    ...(packageRoot === undefined ? [] : [join(packageRoot, '.tools', 'bin', TEMPORAL_EXECUTABLE_NAME)]),
    join(homedir(), '.temporalio', 'bin', TEMPORAL_EXECUTABLE_NAME),
  ];
  for (const candidate of candidates) {
    if (await isExecutableFile(candidate)) return candidate;
    tried.push(candidate);
  }

  const installScript = packageRoot === undefined ? undefined : join(packageRoot, 'scripts', 'ensure-temporal.sh');
  let installFailure = '';
  if (options.install === true && installScript !== undefined && existsSync(installScript)) {
    try {
      return await runInstallScript(installScript);
    } catch (error) {
      installFailure = `\nInstalling with ${installScript} failed: ${errorMessage(error)}`;
    }
    tried.push(installScript);
  }

  throw new Error(
    `No temporal CLI found. Tried: ${tried.join(', ')}.${installFailure}\n` +
      'Install it (https://docs.temporal.io/cli; in a zap-agents checkout: ./temporal-dev.sh path) ' +
      'and put it on PATH or set TEMPORAL_CLI_PATH.',
  );
}

/**
 * True when a Temporal frontend answers at `address` (`host:port`) within `timeoutMs`: a plain
 * TCP connect first (cheap, fails fast), then a gRPC `GetSystemInfo` and a health check of the
 * workflow service. Never throws; the connection is closed afterwards.
 */
export async function isTemporalReachable(
  address: string,
  timeoutMs: number = DEFAULT_REACHABILITY_TIMEOUT_MS,
): Promise<boolean> {
  return probeTemporal(address, timeoutMs, undefined);
}

/**
 * Builds the command line that runs `command args` under the supervisor (see `SUPERVISOR_SOURCE`).
 * The caller must spawn it with stdin as a pipe it keeps open (closing it stops the command) and
 * fd 3 as a pipe for the supervisor's JSON reports.
 * @internal exported for tests of the parent-death guarantee.
 */
export function buildSupervisedCommand(
  command: string,
  commandArguments: readonly string[],
  graceMs: number = DEFAULT_STOP_GRACE_MS,
): { command: string; args: string[] } {
  return { command: process.execPath, args: ['-e', SUPERVISOR_SOURCE, '--', String(graceMs), command, ...commandArguments] };
}

/**
 * The root folder of this package: the nearest ancestor of this file whose package.json is named
 * `zap-agents` (works from `src/testing` and from `dist/src/testing`). `undefined` if none is found.
 * @internal
 */
export function findPackageRoot(startDirectory: string = __dirname): string | undefined {
  let directory = resolve(startDirectory);
  for (;;) {
    const manifestPath = join(directory, 'package.json');
    if (existsSync(manifestPath)) {
      try {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: unknown };
        if (manifest.name === PACKAGE_NAME) return directory;
      } catch {
        // An unreadable or invalid package.json is not ours; keep walking up.
      }
    }
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

async function resolveOptions(options: TemporalDevServerOptions): Promise<ResolvedTemporalDevServerOptions> {
  const ip = options.ip ?? DEFAULT_TEMPORAL_DEV_SERVER_IP;
  const executable = options.executable ?? (await findTemporalCli({ install: true }));
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
  };
}

function serverArguments(options: ResolvedTemporalDevServerOptions): string[] {
  const serverArgs = ['server', 'start-dev', '--ip', options.ip, '--port', String(options.port)];
  serverArgs.push('--log-level', options.logLevel);
  if (options.uiPort === false) serverArgs.push('--headless');
  else serverArgs.push('--ui-port', String(options.uiPort));
  if (options.dbFilename !== undefined) serverArgs.push('--db-filename', options.dbFilename);
  // `default` always exists; naming it again is redundant.
  if (options.namespace !== DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE) serverArgs.push('--namespace', options.namespace);
  serverArgs.push(...options.extraArgs);
  return serverArgs;
}

async function launchAndWaitUntilReady(options: ResolvedTemporalDevServerOptions): Promise<ServerProcess> {
  if (options.dbFilename !== undefined) await mkdir(dirname(options.dbFilename), { recursive: true });
  const address = formatAddress(options.ip, options.port);
  const serverProcess = await launch(options.executable, serverArguments(options));
  const deadline = Date.now() + options.startTimeoutMs;
  try {
    for (;;) {
      if (serverProcess.isFinished()) {
        throw new Error(
          `Temporal dev server exited during startup (is ${address} already in use?).` +
            outputTail(serverProcess.output),
        );
      }
      const probeTimeoutMs = Math.min(READINESS_PROBE_TIMEOUT_MS, Math.max(deadline - Date.now(), 1));
      if (await probeTemporal(address, probeTimeoutMs, options.namespace)) break;
      if (Date.now() >= deadline) {
        throw new Error(
          `Temporal dev server did not answer on ${address} within ${options.startTimeoutMs} ms.` +
            outputTail(serverProcess.output),
        );
      }
      await sleep(READINESS_POLL_INTERVAL_MS);
    }
  } catch (error) {
    await terminate(serverProcess, 'SIGKILL');
    throw error;
  }
  releaseEventLoop(serverProcess.supervisor);
  return serverProcess;
}

/** Spawns the supervised server and resolves once the supervisor reported the server's pid. */
async function launch(executable: string, serverArgs: readonly string[]): Promise<ServerProcess> {
  const supervised = buildSupervisedCommand(executable, serverArgs);
  const supervisor = spawn(supervised.command, supervised.args, {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const output = new BoundedOutput(OUTPUT_BUFFER_LIMIT_CHARS);
  supervisor.stdout?.setEncoding('utf8').on('data', (chunk: string) => output.append(chunk));
  supervisor.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.append(chunk));
  // Writing to the pipe is never needed; an EPIPE after the supervisor died must not crash us.
  supervisor.stdin?.on('error', () => undefined);

  let finished = false;
  const finishedPromise = new Promise<void>((resolvePromise) => {
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (drainTimer !== undefined) clearTimeout(drainTimer);
      for (const stream of supervisor.stdio) stream?.destroy();
      finished = true;
      resolvePromise();
    };
    supervisor.once('close', finish);
    supervisor.once('exit', () => {
      // 'close' waits for every pipe to close; a server that outlived the supervisor would hold
      // them forever, so the wait is bounded.
      drainTimer = setTimeout(finish, OUTPUT_DRAIN_TIMEOUT_MS);
    });
    // Failing to spawn node itself emits 'error' without 'exit'.
    supervisor.once('error', (error) => {
      output.append(`\nfailed to spawn the supervisor: ${error.message}\n`);
      finish();
    });
  });

  const report = readSupervisorReport(supervisor);
  const outcome = await Promise.race([report, finishedPromise.then(() => undefined)]);
  if (outcome === undefined || outcome.pid === undefined) {
    await terminate({ supervisor, serverPid: -1, output, finished: finishedPromise, isFinished: () => finished }, 'SIGKILL');
    const reason = outcome?.error === undefined ? '' : `: ${outcome.error}`;
    throw new Error(`Could not start ${executable}${reason}.` + outputTail(output));
  }
  return { supervisor, serverPid: outcome.pid, output, finished: finishedPromise, isFinished: () => finished };
}

/** Reads the supervisor's first JSON report from fd 3 (the pid, or a spawn error). */
function readSupervisorReport(supervisor: ChildProcess): Promise<{ pid?: number; error?: string } | undefined> {
  return new Promise((resolvePromise) => {
    const reportStream = supervisor.stdio[SUPERVISOR_REPORT_FD];
    if (!(reportStream instanceof Readable)) {
      resolvePromise(undefined);
      return;
    }
    let buffered = '';
    reportStream.setEncoding('utf8');
    reportStream.on('data', (chunk: string) => {
      buffered += chunk;
      const newlineIndex = buffered.indexOf('\n');
      if (newlineIndex === -1) return;
      try {
        resolvePromise(JSON.parse(buffered.slice(0, newlineIndex)) as { pid?: number; error?: string });
      } catch {
        resolvePromise(undefined);
      }
    });
    reportStream.on('error', () => resolvePromise(undefined));
    reportStream.on('end', () => resolvePromise(undefined));
  });
}

/**
 * Stops a server process and waits until it is gone. SIGTERM goes to the supervisor, which
 * forwards it and escalates itself; SIGKILL (or a supervisor that does not finish within the grace
 * period) kills the server and the supervisor directly.
 */
async function terminate(serverProcess: ServerProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (serverProcess.isFinished()) return;
  // Keep the event loop alive until the exit is observed, or a script ending in
  // `await server.stop()` would exit in the middle of it.
  holdEventLoop(serverProcess.supervisor);
  const killEverything = (): void => {
    if (serverProcess.serverPid > 0) signalQuietly(serverProcess.serverPid, 'SIGKILL');
    serverProcess.supervisor.kill('SIGKILL');
  };
  let escalationTimer: NodeJS.Timeout | undefined;
  if (signal === 'SIGKILL') {
    killEverything();
  } else {
    serverProcess.supervisor.kill('SIGTERM');
    // Slightly longer than the supervisor's own grace period, so it normally escalates first.
    escalationTimer = setTimeout(killEverything, DEFAULT_STOP_GRACE_MS + 2_000);
  }
  try {
    await serverProcess.finished;
  } finally {
    if (escalationTimer !== undefined) clearTimeout(escalationTimer);
  }
  // When the supervisor was SIGKILLed it could not reap the server; wait until the kernel did.
  if (serverProcess.serverPid > 0) await waitForProcessExit(serverProcess.serverPid, KILLED_PROCESS_TIMEOUT_MS);
}

/** Lets Node exit while the server runs; the supervisor then stops the server on its own. */
function releaseEventLoop(supervisor: ChildProcess): void {
  supervisor.unref();
  for (const stream of supervisor.stdio) (stream as Socket | null)?.unref?.();
}

function holdEventLoop(supervisor: ChildProcess): void {
  supervisor.ref();
}

async function waitForProcessExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(50);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** TCP connect, then GetSystemInfo + health check, then (if given) DescribeNamespace. */
async function probeTemporal(address: string, timeoutMs: number, namespace: string | undefined): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const hostAndPort = parseAddress(address);
  if (hostAndPort === undefined) return false;
  if (!(await canConnectTcp(hostAndPort.host, hostAndPort.port, timeoutMs))) return false;
  const remainingMs = (): number => Math.max(deadline - Date.now(), 1);
  // Without interceptors there are no gRPC retries: a probe answers now or fails, the caller polls.
  const connection = Connection.lazy({ address, connectTimeout: remainingMs(), interceptors: [] });
  try {
    await connection.ensureConnected();
    const health = await connection.withDeadline(deadline, () =>
      connection.healthService.check({ service: WORKFLOW_SERVICE_HEALTH_NAME }),
    );
    if (health.status !== HEALTH_STATUS_SERVING) return false;
    if (namespace !== undefined) {
      // The frontend answers before start-dev has registered its namespaces.
      await connection.withDeadline(deadline, () => connection.workflowService.describeNamespace({ namespace }));
    }
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
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

/** Binds port 0 and releases it; `avoid` guards against the OS handing out a port just picked. */
async function pickFreePort(ip: string, avoid: readonly number[] = []): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePromise, rejectPromise) => {
      const server = createServer();
      server.unref();
      server.once('error', rejectPromise);
      server.listen({ host: ip, port: 0, exclusive: true }, () => {
        const boundAddress = server.address();
        const boundPort = typeof boundAddress === 'object' && boundAddress !== null ? boundAddress.port : 0;
        server.close(() => resolvePromise(boundPort));
      });
    });
    if (port !== 0 && !avoid.includes(port)) return port;
  }
}

function parseAddress(address: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (match === null || match[1] === undefined || match[2] === undefined) return undefined;
  return { host: match[1], port: Number(match[2]) };
}

function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs ensure-temporal.sh; its progress goes to our stderr, its stdout is the binary path. */
function runInstallScript(scriptPath: string): Promise<string> {
  return new Promise((resolvePromise, rejectPromise) => {
    const child = spawn('bash', [scriptPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const stderr = new BoundedOutput(ERROR_OUTPUT_TAIL_CHARS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.append(chunk);
      process.stderr.write(chunk);
    });
    child.once('error', rejectPromise);
    child.once('close', (code) => {
      const path = stdout.trim().split('\n').pop()?.trim() ?? '';
      if (code === 0 && path !== '') resolvePromise(path);
      else rejectPromise(new Error(`exit code ${String(code)}\n${stderr.text()}`));
    });
  });
}

function outputTail(output: BoundedOutput): string {
  const text = output.text().slice(-ERROR_OUTPUT_TAIL_CHARS).trim();
  return text === '' ? ' The server printed nothing.' : `\n--- server output (tail) ---\n${text}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keeps the last `limit` characters written to it. */
class BoundedOutput {
  private buffered = '';

  constructor(private readonly limit: number) {}

  append(chunk: string): void {
    this.buffered += chunk;
    // Trimming only once the buffer is twice the limit keeps appends amortized O(1).
    if (this.buffered.length > this.limit * 2) this.buffered = this.buffered.slice(-this.limit);
  }

  text(): string {
    return this.buffered.slice(-this.limit);
  }
}
