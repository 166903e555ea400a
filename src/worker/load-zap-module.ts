import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkerHost } from './run-worker';

/**
 * Loads the module that exports your `Zap`, as `zap-worker` and the `zap` CLI do: the export
 * `zap`, or the default export (or its `zap`), or a function returning one of those (or a promise
 * of it). `modulePath` is resolved against the current directory.
 */
export async function loadZapModule(modulePath: string): Promise<WorkerHost> {
  const path = resolve(modulePath);
  const loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const defaultExport = loaded.default as Record<string, unknown> | undefined;
  const candidate = loaded.zap ?? defaultExport?.zap ?? defaultExport;
  const value = typeof candidate === 'function' ? await (candidate as () => unknown)() : candidate;
  if (!isWorkerHost(value)) {
    throw new Error(`${path} must export a Zap instance as \`zap\` or default (or a function returning one).`);
  }
  return value;
}

function isWorkerHost(value: unknown): value is WorkerHost {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as WorkerHost).createWorker === 'function' &&
    typeof (value as WorkerHost).stop === 'function'
  );
}
