import { getHeapStatistics } from 'node:v8';
import type { WorkerOptions } from '@temporalio/worker';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../core/defaults';

const MIB = 1024 * 1024;

/**
 * The `maxCachedWorkflows` a zap-agents worker uses when its options set none:
 * {@link DEFAULT_MAX_CACHED_WORKFLOWS}, or the SDK's heap-derived default when that is smaller,
 * and never below the `maxConcurrentWorkflowTaskExecutions` the options give (the SDK would lower
 * the concurrency to the cache size).
 */
export function defaultMaxCachedWorkflows(options: Pick<WorkerOptions, 'reuseV8Context' | 'maxConcurrentWorkflowTaskExecutions'>): number {
  return Math.max(Math.min(DEFAULT_MAX_CACHED_WORKFLOWS, sdkDefaultMaxCachedWorkflows(options.reuseV8Context ?? true)), options.maxConcurrentWorkflowTaskExecutions ?? 0);
}

/** The options with zap's default sticky cache size unless they set `maxCachedWorkflows`. */
export function withDefaultMaxCachedWorkflows<T extends Pick<WorkerOptions, 'maxCachedWorkflows' | 'reuseV8Context' | 'maxConcurrentWorkflowTaskExecutions'>>(options: T): T {
  if (options.maxCachedWorkflows !== undefined) return options;
  return { ...options, maxCachedWorkflows: defaultMaxCachedWorkflows(options) };
}

/** `@temporalio/worker`'s own default (worker-options `addDefaultWorkerOptions`), from this process's heap limit. */
function sdkDefaultMaxCachedWorkflows(reuseV8Context: boolean): number {
  const heapMiB = getHeapStatistics().heap_size_limit / MIB;
  return reuseV8Context ? Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10) : Math.max(Math.floor((Math.max(heapMiB - 400, 0) * 250) / 1024), 10);
}
