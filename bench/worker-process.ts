import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REPOSITORY_ROOT = resolve(__dirname, '..');
/** What `workers/zap-worker.ts` prints once it polls. */
const READY_LINE = '[zap-worker] running';
/** Output kept for error messages. */
const OUTPUT_LIMIT_CHARS = 64 * 1024;
const READY_POLL_INTERVAL_MS = 50;

/** Options of {@link startWorkerProcess}. */
export interface WorkerProcessOptions {
  /** Module exporting the Zap, relative to the repository root or absolute. */
  modulePath: string;
  environment: Record<string, string>;
  /** @default 30000 */
  readyTimeoutMs?: number;
}

/** A `workers/zap-worker.ts` process (the real worker entry, through tsx). */
export interface WorkerProcess {
  readonly pid: number | undefined;
  /** The process's recent stdout and stderr. */
  output(): string;
  /** SIGTERM (the worker drains and exits), then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a worker in its own process and resolves once it reports that it polls. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(REPOSITORY_ROOT, 'workers/zap-worker.ts'), resolve(REPOSITORY_ROOT, options.modulePath)],
    { cwd: REPOSITORY_ROOT, env: { ...process.env, ...options.environment }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (hasExited()) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (!output.includes(READY_LINE)) {
    if (hasExited()) throw new Error(`The worker process exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await stop(1_000);
      throw new Error(`The worker process was not ready in time:\n${output}`);
    }
    await sleep(READY_POLL_INTERVAL_MS);
  }
  return { pid: child.pid, output: () => output, stop };
}
