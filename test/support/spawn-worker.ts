import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const REPOSITORY_ROOT = resolve(__dirname, '../..');

/** A `workers/zap-worker.ts` process running a fixture module. */
export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Options of {@link spawnWorker}. */
export interface SpawnWorkerOptions {
  /** @default 30 s */
  timeoutMs?: number;
  /** The tree whose `workers/zap-worker.ts` runs, from that tree (its tsconfig, its source). @default this repository */
  root?: string;
  /** Variables of this process the worker must not inherit. @default [] */
  withoutEnvironment?: string[];
}

/**
 * Starts the real worker entry (`workers/zap-worker.ts`, through tsx) in its own process and
 * waits until it reports that it is polling.
 */
export async function spawnWorker(
  modulePath: string,
  environment: Record<string, string>,
  options: SpawnWorkerOptions = {},
): Promise<WorkerProcess> {
  const { timeoutMs = 30_000, root = REPOSITORY_ROOT, withoutEnvironment = [] } = options;
  const inherited = { ...process.env };
  for (const name of withoutEnvironment) delete inherited[name];
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'workers/zap-worker.ts'), modulePath], {
    cwd: root,
    env: { ...inherited, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown')),
  );
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('[zap-worker] running')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not start in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  return {
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Runs the real worker entry with a fixture module to its end (output pipes drained), for a worker
 * expected to fail before it polls: its exit code and everything it printed.
 */
export async function runWorkerToExit(modulePath: string, environment: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(REPOSITORY_ROOT, 'workers/zap-worker.ts'), modulePath], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolveClose) => child.once('close', (exitCode) => resolveClose(exitCode)));
  return { code, output };
}
