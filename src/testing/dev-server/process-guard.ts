import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** Time between SIGTERM and SIGKILL when a guard stops its process. */
export const DEFAULT_GUARD_GRACE_MS = 10_000;

/**
 * POSIX sh function: waits for the end of its standard input, then stops process `$1` (a pid, or a
 * file holding one) with SIGTERM and, `$2` seconds later, SIGKILL. A line on the input instead
 * means "released": it returns 1 without stopping anything. The input is a pipe from the Node
 * process that spawned the guard, so it ends when that process exits, however it exits (the
 * kernel closes the pipe even on SIGKILL). `read` is a shell builtin: the guard is one small
 * `sh` process that sleeps in a read.
 */
const STOP_AT_END_OF_INPUT = `
stop_at_end_of_input() {
  read -r _ && return 1
  pid=$1
  if [ -f "$1" ]; then pid=$(cat "$1" 2>/dev/null) || return 0; fi
  kill -TERM "$pid" 2>/dev/null || return 0
  waited=0
  while [ "$waited" -lt "$2" ] && kill -0 "$pid" 2>/dev/null; do sleep 1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  return 0
}`;

/** What {@link stopWhenThisProcessExits} returns. */
export interface ProcessGuard {
  /** Lets the guarded process outlive this one (call it once the process was stopped another way). */
  release(): void;
}

/** Options of {@link stopWhenThisProcessExits}. */
export interface ProcessGuardOptions {
  /**
   * Milliseconds between SIGTERM and SIGKILL.
   * @default 10000
   */
  graceMs?: number;
  /**
   * A folder to remove once the process was stopped (not when the guard is released).
   * @default undefined
   */
  removeDirectory?: string;
}

/**
 * Stops a process when this Node process exits in any way, SIGKILL included: a tiny `sh` guard
 * waits on a pipe from this process and signals the target when the pipe closes. The guard does
 * not keep the event loop alive. `target` is a pid, or the path of a file that will hold one
 * (read only when the guard fires, so it may be written after this call).
 *
 * Temporal's SDK (`@temporalio/testing`) kills its server when the Node process ends normally,
 * but not when the process is killed: this covers that case.
 */
export function stopWhenThisProcessExits(target: number | string, options: ProcessGuardOptions = {}): ProcessGuard {
  const script = `${STOP_AT_END_OF_INPUT}\nstop_at_end_of_input "$1" "$2" && [ -n "$3" ] && rm -rf "$3"`;
  const graceSeconds = toSeconds(options.graceMs ?? DEFAULT_GUARD_GRACE_MS);
  const guard = spawn('/bin/sh', ['-c', script, 'sh', String(target), graceSeconds, options.removeDirectory ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  // Without /bin/sh there is no guard; the process is then only stopped by an orderly exit.
  guard.once('error', () => undefined);
  guard.stdin.on('error', () => undefined);
  guard.unref();
  (guard.stdin as unknown as Socket).unref();
  return {
    release() {
      if (guard.exitCode === null && guard.signalCode === null && guard.stdin.writable) guard.stdin.end('released\n');
    },
  };
}

/**
 * The command line that runs `command args` so that it stops when the spawning process closes the
 * command's stdin or exits (even on SIGKILL): `sh` starts the guard on its stdin, then `exec`s the
 * command, so the spawned pid is the command's own pid and its exit is the command's exit. Spawn
 * it with stdin as a pipe you keep open; `child.stdin.end()` stops the command.
 * @internal used by the tests' helper servers (nats-server, moto).
 */
export function buildSupervisedCommand(
  command: string,
  commandArguments: readonly string[],
  graceMs: number = DEFAULT_GUARD_GRACE_MS,
): { command: string; args: string[] } {
  // fd 3 carries the pipe to the background guard (a background job's stdin would be /dev/null);
  // the guard lets go of the caller's stdout and stderr, so they close when the command exits.
  const script = `${STOP_AT_END_OF_INPUT}
grace=$1; shift
exec 3<&0
stop_at_end_of_input $$ "$grace" <&3 >/dev/null 2>&1 &
exec "$@" </dev/null 3<&-`;
  return { command: '/bin/sh', args: ['-c', script, 'sh', toSeconds(graceMs), command, ...commandArguments] };
}

function toSeconds(milliseconds: number): string {
  return String(Math.max(1, Math.ceil(milliseconds / 1000)));
}
