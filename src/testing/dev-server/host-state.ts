/**
 * The record of which process hosts a folder's dev server (`.temporal/dev.json`), and the process
 * checks around it: two servers must never share one SQLite file.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevServerSettings } from './dev-server-settings';

/** Pause between checks while waiting for a process or a server. */
export const PROCESS_POLL_INTERVAL_MS = 200;

/** What `.temporal/dev.json` records about the process that hosts the server. */
export interface HostState {
  readonly pid: number;
  readonly address: string;
  readonly uiUrl: string;
  readonly serverPid?: number;
}

/** Creates the state folder, which ignores itself so an app's git never picks up the database. */
export function prepareStateDirectory(settings: DevServerSettings): void {
  mkdirSync(settings.directory, { recursive: true });
  const gitignore = join(settings.directory, '.gitignore');
  if (!existsSync(gitignore)) writeFileSync(gitignore, '*\n');
}

/**
 * Records this process as the folder's host. Returns the state of another live host instead
 * when there is one (two servers must not share one SQLite file).
 */
export function claimHostState(settings: DevServerSettings): HostState | undefined {
  const state: HostState = { pid: process.pid, address: settings.address, uiUrl: settings.uiUrl };
  try {
    writeFileSync(settings.stateFile, JSON.stringify(state), { flag: 'wx' });
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const other = readLiveHost(settings);
  if (other !== undefined && other.pid !== process.pid) return other;
  writeHostState(settings, state);
  return undefined;
}

export function writeHostState(settings: DevServerSettings, state: HostState): void {
  writeFileSync(settings.stateFile, JSON.stringify(state));
}

export function removeHostState(settings: DevServerSettings): void {
  rmSync(settings.stateFile, { force: true });
}

/** The recorded host, if its process still runs and is one of ours (a pid may be reused after a reboot). */
export function readLiveHost(settings: DevServerSettings): HostState | undefined {
  let state: HostState;
  try {
    state = JSON.parse(readFileSync(settings.stateFile, 'utf8')) as HostState;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(state.pid) || !isProcessAlive(state.pid)) return undefined;
  const commandLine = readCommandLine(state.pid);
  return commandLine === undefined || commandLine.includes('foreground') ? state : undefined;
}

/** True once `pid` is gone; false when it still runs after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(PROCESS_POLL_INTERVAL_MS);
  }
  return true;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to `pid`; a process already gone is not an error. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function readCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return undefined;
    }
  }
}
