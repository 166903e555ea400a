/**
 * One launch of `temporal server start-dev` through `@temporalio/testing`, with its output in a
 * file and a guard that kills it when this process dies; and its stop.
 * @module
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ResolvedTemporalDevServerOptions } from '../temporal-dev-server';
import { formatAddress, listenOnce } from './local-ports';
import { stopWhenThisProcessExits, type ProcessGuard } from './process-guard';
import { registerMissingSearchAttributes } from './search-attribute-registration';

/** Pause between namespace probes while the server registers its namespaces. */
const NAMESPACE_POLL_INTERVAL_MS = 100;
/** Output tail included in error messages. */
const ERROR_OUTPUT_TAIL_CHARS = 4_000;

/** One launch of the server; `TemporalDevServer.restart` makes a new one. */
export interface ServerRun {
  readonly environment: TestWorkflowEnvironment;
  readonly guard: ProcessGuard;
  /** Temporary folder of the launcher script, the pid file and (by default) the log. */
  readonly runDirectory: string;
  readonly logFile: string;
  readonly pid: number;
  stopped?: Promise<void>;
}

/**
 * Starts the server and resolves once it serves its namespace. Rejects with the tail of its
 * output when it does not; nothing is left running then.
 */
export async function launchServer(options: ResolvedTemporalDevServerOptions): Promise<ServerRun> {
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
        searchAttributes: [...options.searchAttributes],
        extraArgs: [...options.extraArgs],
        log: { format: 'pretty', level: options.logLevel },
      },
    });
    await waitForNamespace(environment, options.namespace, options.startTimeoutMs);
    await registerMissingSearchAttributes(environment.connection, options.namespace, options.searchAttributes);
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

/** Stops the server the SDK's way (SIGKILL) and removes the run's temporary folder. */
export async function stopServer(run: ServerRun): Promise<void> {
  run.guard.release();
  await run.environment.teardown();
  await rm(run.runDirectory, { recursive: true, force: true });
}

/** The last `limit` characters of a file; '' when it does not exist. */
export function readTail(path: string, limit: number): string {
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

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
