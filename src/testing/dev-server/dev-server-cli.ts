import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync } from 'node:fs';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE, TemporalDevServer } from '../temporal-dev-server';
import {
  DEFAULT_DEV_SERVER_PORT,
  DEFAULT_DEV_SERVER_START_TIMEOUT_SECONDS,
  DEV_SERVER_STATE_DIRECTORY,
  DEV_SERVER_UI_PORT_OFFSET,
  readDevServerSettings,
  type DevServerSettings,
} from './dev-server-settings';
import {
  PROCESS_POLL_INTERVAL_MS,
  claimHostState,
  isProcessAlive,
  prepareStateDirectory,
  readLiveHost,
  removeHostState,
  signalQuietly,
  waitUntilGone,
  writeHostState,
  type HostState,
} from './host-state';
import { findTemporalCli } from './temporal-cli-lookup';
import { isTemporalReachable } from './temporal-reachability';

/** Exit code of `status` when no server answers. */
const EXIT_CODE_NOT_RUNNING = 3;
/** What a detached host sends the `start` that spawned it, over IPC, once its server answers. */
const READY_MESSAGE = 'ready';

const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_LINES = 40;
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

type Command = 'start' | 'stop' | 'status' | 'path' | 'foreground' | 'help';

/**
 * The `zap-dev` command (and `./temporal-dev.sh` in a checkout): a Temporal dev server for the
 * app in the current folder, state in `./.temporal/dev.db`, detached so it outlives the command.
 * `start` (default), `stop`, `status`, `path`, `foreground`; arguments after `--` go to
 * `temporal server start-dev`. Resolves with the exit code.
 */
export async function runDevServerCli(argv: readonly string[], environment: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { command, extraArgs } = parseArguments(argv);
    const settings = readDevServerSettings(environment, process.cwd());
    switch (command) {
      case 'start':
        return await startDetached(settings, extraArgs);
      case 'stop':
        return await stop(settings);
      case 'status':
        return await status(settings);
      case 'path':
        print(await findTemporalCli());
        return 0;
      case 'foreground':
        return await runInForeground(settings, extraArgs);
      case 'help':
        print(usage(settings));
        return 0;
    }
  } catch (error) {
    log(`zap-dev: error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function usage(settings: DevServerSettings): string {
  return `Usage: ${settings.commandName} [command] [-- extra start-dev flags]

Runs a local Temporal development server for the app in this folder. State persists in
${DEV_SERVER_STATE_DIRECTORY}/dev.db, so workflows survive restarts. The zap-agents search
attributes (ZapAgent, ZapStatus, ZapTenant, ZapUser, ZapParent) are registered.

Commands:
  start         (default) start the server in the background and wait until it answers;
                does nothing if a server already answers on the address
  stop          stop the server started from this folder, whatever its port
  status        print whether a server answers (exit 0 if so, ${EXIT_CODE_NOT_RUNNING} if not)
  foreground    run the server in this terminal (Ctrl+C stops it)
  path          print the path of the temporal CLI binary
  -h, --help    show this help

Environment:
  TEMPORAL_PORT            gRPC port (default ${DEFAULT_DEV_SERVER_PORT})
  TEMPORAL_UI_PORT         Web UI port (default: gRPC port + ${DEV_SERVER_UI_PORT_OFFSET})
  TEMPORAL_START_TIMEOUT   seconds to wait for the server to answer (default ${DEFAULT_DEV_SERVER_START_TIMEOUT_SECONDS})
  TEMPORAL_CLI_PATH        the temporal binary to use (else PATH, ./.tools/bin, ~/.temporalio/bin)

Files: ${DEV_SERVER_STATE_DIRECTORY}/dev.db (state), dev.log (server log), dev.json (running server)`;
}

function parseArguments(argv: readonly string[]): { command: Command; extraArgs: string[] } {
  let command: Command = 'start';
  for (const [index, argument] of argv.entries()) {
    if (argument === '--') return { command, extraArgs: argv.slice(index + 1) };
    if (argument === 'start' || argument === 'stop' || argument === 'status' || argument === 'path') command = argument;
    else if (argument === 'foreground' || argument === '--foreground') command = 'foreground';
    else if (argument === 'help' || argument === '-h' || argument === '--help') command = 'help';
    else throw new Error(`unknown argument '${argument}' (see --help)`);
  }
  return { command, extraArgs: [] };
}

/** `start`: spawns `foreground` detached (its output in dev.log) and waits for its report. */
async function startDetached(settings: DevServerSettings, extraArgs: readonly string[]): Promise<number> {
  await findTemporalCli(); // fails here, with install instructions, rather than in the detached process
  if (await isTemporalReachable(settings.address)) return reportRunning(settings, 'Temporal dev server already running.');
  const host = readLiveHost(settings);
  if (host !== undefined) return await waitForHost(settings, host);

  prepareStateDirectory(settings);
  // The previous log is kept one generation back so a crash can still be inspected after a restart.
  if (existsSync(settings.logFile)) renameSync(settings.logFile, `${settings.logFile}.previous`);
  log(`Starting Temporal dev server on ${settings.address} (state: ${displayPath(settings.dbFile)})...`);
  const logDescriptor = openSync(settings.logFile, 'a');
  const entry = process.argv[1] ?? '';
  const child = spawn(process.execPath, [...process.execArgv, entry, 'foreground', '--', ...extraArgs], {
    detached: true,
    stdio: ['ignore', logDescriptor, logDescriptor, 'ipc'],
  });
  closeSync(logDescriptor);
  const outcome = await waitForReady(child, settings.startTimeoutMs);
  if (child.connected) child.disconnect();
  child.unref();

  if (outcome === 'timeout') {
    printLogTail(settings);
    log(`zap-dev: error: the server did not answer on ${settings.address} within ${settings.startTimeoutMs / 1000} s (pid ${child.pid} is still running; ${settings.commandName} stop ends it)`);
    return 1;
  }
  if (outcome === 'exited') {
    // A concurrent start won the folder: wait for its server.
    const winner = readLiveHost(settings);
    if (winner !== undefined) return await waitForHost(settings, winner);
    printLogTail(settings);
    log('zap-dev: error: the server exited during startup (see the log above)');
    return 1;
  }
  reportRunning(settings, 'Temporal dev server running.');
  print(`Stop it with: ${settings.commandName} stop`);
  return 0;
}

/** `foreground`: runs the server in this process until SIGINT, SIGTERM or SIGHUP. */
async function runInForeground(settings: DevServerSettings, extraArgs: readonly string[]): Promise<number> {
  if (await isTemporalReachable(settings.address)) {
    reportReady();
    return reportRunning(settings, 'Temporal dev server already running.');
  }
  prepareStateDirectory(settings);
  const other = claimHostState(settings);
  if (other !== undefined) return await waitForHost(settings, other);
  let server: TemporalDevServer;
  try {
    server = await TemporalDevServer.start({
      port: settings.port,
      uiPort: settings.uiPort,
      dbFilename: settings.dbFile,
      namespace: DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE,
      extraArgs: [...extraArgs],
      startTimeoutMs: settings.startTimeoutMs,
      logFile: settings.logFile,
    });
  } catch (error) {
    removeHostState(settings);
    throw error;
  }
  writeHostState(settings, { pid: process.pid, address: server.address, uiUrl: server.uiUrl ?? settings.uiUrl, serverPid: server.pid });
  reportRunning(settings, 'Temporal dev server running.');
  if (process.send === undefined) print('Ctrl+C stops it.');
  reportReady();
  // The server does not hold the event loop (nor do signal listeners); this process must stay.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  const signal = await new Promise<NodeJS.Signals>((resolvePromise) => {
    for (const name of STOP_SIGNALS) process.once(name, () => resolvePromise(name));
  });
  clearInterval(keepAlive);
  log(`${signal}: stopping the Temporal dev server...`);
  await server.stop();
  removeHostState(settings);
  print('Temporal dev server stopped.');
  return 0;
}

async function stop(settings: DevServerSettings): Promise<number> {
  const host = readLiveHost(settings);
  if (host === undefined) {
    removeHostState(settings);
    if (await isTemporalReachable(settings.address)) {
      log(`A server answers on ${settings.address} but was not started from this folder (no live process in ${displayPath(settings.stateFile)}); leaving it alone.`);
      return 1;
    }
    print('Temporal dev server is not running.');
    return 0;
  }
  log(`Stopping Temporal dev server (pid ${host.pid}, ${host.address})...`);
  signalQuietly(host.pid, 'SIGTERM');
  if (!(await waitUntilGone(host.pid, STOP_TIMEOUT_MS))) {
    log(`Still running after ${STOP_TIMEOUT_MS / 1000} s; sending SIGKILL (its guard then stops the server).`);
    signalQuietly(host.pid, 'SIGKILL');
  }
  if (host.serverPid !== undefined) await waitUntilGone(host.serverPid, STOP_TIMEOUT_MS);
  removeHostState(settings);
  print('Temporal dev server stopped.');
  return 0;
}

async function status(settings: DevServerSettings): Promise<number> {
  const host = readLiveHost(settings);
  const address = host?.address ?? settings.address;
  if (await isTemporalReachable(address)) return reportRunning(settings, 'Temporal dev server running.');
  if (host !== undefined) {
    print(`Temporal dev server process ${host.pid} is alive but does not answer on ${address} (starting, or stuck; see ${displayPath(settings.logFile)}).`);
  } else {
    print(`Temporal dev server is not running on ${address}.`);
  }
  return EXIT_CODE_NOT_RUNNING;
}

/** A host of this folder that is starting or running elsewhere: waits for it to answer on our address. */
async function waitForHost(settings: DevServerSettings, host: HostState): Promise<number> {
  if (host.address !== settings.address) {
    log(
      `zap-dev: error: a dev server of this folder (pid ${host.pid}) already runs on ${host.address} with the same ` +
        `${displayPath(settings.dbFile)}; stop it first: ${settings.commandName} stop`,
    );
    return 1;
  }
  log(`A server (pid ${host.pid}) is starting; waiting for it to answer on ${settings.address}...`);
  const deadline = Date.now() + settings.startTimeoutMs;
  while (Date.now() < deadline && isProcessAlive(host.pid)) {
    if (await isTemporalReachable(settings.address)) return reportRunning(settings, 'Temporal dev server already running.');
    await sleep(PROCESS_POLL_INTERVAL_MS);
  }
  printLogTail(settings);
  log(`zap-dev: error: the server (pid ${host.pid}) did not answer on ${settings.address}`);
  return 1;
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => resolvePromise('timeout'), timeoutMs);
    const settle = (outcome: 'ready' | 'exited'): void => {
      clearTimeout(timer);
      resolvePromise(outcome);
    };
    child.once('message', (message) => message === READY_MESSAGE && settle('ready'));
    child.once('exit', () => settle('exited'));
    child.once('error', () => settle('exited'));
  });
}

/** Tells the `start` that spawned this process (if any) that the server answers, and lets it go. */
function reportReady(): void {
  if (process.send === undefined || !process.connected) return;
  process.send(READY_MESSAGE, () => process.disconnect());
}

/** Prints the headline and where the server answers; returns exit code 0. */
function reportRunning(settings: DevServerSettings, headline: string): number {
  const host = readLiveHost(settings);
  print(headline);
  print(`  gRPC address: ${host?.address ?? settings.address}`);
  print(`  Web UI:       ${host?.uiUrl ?? settings.uiUrl}`);
  print(`  namespace:    ${DEFAULT_TEMPORAL_DEV_SERVER_NAMESPACE}`);
  if (host !== undefined) print(`  pid:          ${host.pid} (log: ${displayPath(settings.logFile)})`);
  return 0;
}

function printLogTail(settings: DevServerSettings): void {
  let lines: string[];
  try {
    lines = readFileSync(settings.logFile, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES);
  } catch {
    return;
  }
  log(`--- last ${lines.length} lines of ${displayPath(settings.logFile)} ---\n${lines.join('\n')}\n---`);
}

function displayPath(path: string): string {
  return relative(process.cwd(), path) || path;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
