import { getHeapStatistics } from 'node:v8';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../../src/core/defaults';
import { defaultMaxCachedWorkflows, withDefaultMaxCachedWorkflows } from '../../src/worker/sticky-cache';

/** The SDK's heap-derived default for this process (worker-options `addDefaultWorkerOptions`). */
function sdkDefault(reuseV8Context: boolean): number {
  const heapMiB = getHeapStatistics().heap_size_limit / (1024 * 1024);
  return reuseV8Context ? Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10) : Math.max(Math.floor((Math.max(heapMiB - 400, 0) * 250) / 1024), 10);
}

describe('the default sticky cache size', () => {
  test('is DEFAULT_MAX_CACHED_WORKFLOWS, or the SDK default when the heap makes that smaller', () => {
    expect(defaultMaxCachedWorkflows({})).toBe(Math.min(DEFAULT_MAX_CACHED_WORKFLOWS, sdkDefault(true)));
    expect(defaultMaxCachedWorkflows({ reuseV8Context: false })).toBe(Math.min(DEFAULT_MAX_CACHED_WORKFLOWS, sdkDefault(false)));
  });

  test('is never below the workflow-task concurrency the options give', () => {
    expect(defaultMaxCachedWorkflows({ maxConcurrentWorkflowTaskExecutions: DEFAULT_MAX_CACHED_WORKFLOWS + 500 })).toBe(DEFAULT_MAX_CACHED_WORKFLOWS + 500);
  });

  test("keeps the user's value, 0 (no cache) included", () => {
    expect(withDefaultMaxCachedWorkflows({ maxCachedWorkflows: 0 }).maxCachedWorkflows).toBe(0);
    expect(withDefaultMaxCachedWorkflows({ maxCachedWorkflows: 5000 }).maxCachedWorkflows).toBe(5000);
    expect(withDefaultMaxCachedWorkflows<{ maxCachedWorkflows?: number }>({}).maxCachedWorkflows).toBe(defaultMaxCachedWorkflows({}));
  });
});
