import { setFlagsFromString } from 'node:v8';
import { ZapConfigurationError } from '../core/errors';

/**
 * How a worker process sizes its V8 heaps.
 * - `compact`: V8's memory-saving mode (`--optimize-for-size`): old generations grow less past
 *   their live size before a full collection, and new threads' young generations stay at 8–16 MiB
 *   (Node's default lets them reach 32), so the garbage left by a burst of tasks is collected
 *   instead of kept as resident memory. (1 MiB semi-spaces on top saved little more memory and
 *   cost more worker CPU per task.)
 * - `node`: V8 flags stay as Node set them.
 */
export type ZapWorkerHeap = 'compact' | 'node';

export const WORKER_HEAPS: readonly ZapWorkerHeap[] = ['compact', 'node'];
/** What `runWorker` and `zap-worker` use when nothing chooses. */
export const DEFAULT_WORKER_HEAP: ZapWorkerHeap = 'compact';
/** Environment variable read by `zap-worker` and `zap worker`: `compact` (default) or `node`. */
export const WORKER_HEAP_VARIABLE = 'ZAP_WORKER_HEAP';

/** The V8 flag of the `compact` heap. */
const COMPACT_HEAP_FLAG = '--optimize-for-size';
/** Node command-line flags by which the operator already chose (V8 does not take them from NODE_OPTIONS). */
const OPERATOR_CHOICES = ['--optimize-for-size', '--no-optimize-for-size', '--optimize_for_size', '--no-optimize_for_size'];

/**
 * The flags {@link useWorkerHeap} sets for this heap, given the process's command-line flags
 * (`process.execArgv`): none when the operator already chose. Pure: what `useWorkerHeap` would do.
 */
export function workerHeapFlags(heap: ZapWorkerHeap, processFlags: readonly string[]): string[] {
  assertWorkerHeap(heap, '`heap`');
  if (heap === 'node') return [];
  const chosen = processFlags.some((flag) => OPERATOR_CHOICES.some((choice) => flag === choice || flag.startsWith(`${choice}=`)));
  return chosen ? [] : [COMPACT_HEAP_FLAG];
}

/**
 * Sizes this process's V8 heaps (see {@link ZapWorkerHeap}). V8 flags are process-wide: they hold
 * for every isolate created afterwards (the worker's workflow threads, created by `createWorker`),
 * and the main thread's old generation follows them from its next collection on. `runWorker` calls
 * this before it builds the worker; an app that embeds `zap.createWorker()` in a process of its own
 * gets the same by starting Node with `--optimize-for-size`. `node` changes nothing, and a `compact` heap
 * cannot be undone in the same process.
 */
export function useWorkerHeap(heap: ZapWorkerHeap = DEFAULT_WORKER_HEAP): void {
  const flags = workerHeapFlags(heap, process.execArgv);
  if (flags.length > 0) setFlagsFromString(flags.join(' '));
}

/**
 * Reads `ZAP_WORKER_HEAP`: unset or empty is `undefined` (the default), anything but `compact` or
 * `node` is a `ZapConfigurationError` naming the variable.
 */
export function readWorkerHeapFromEnvironment(environment: NodeJS.ProcessEnv): ZapWorkerHeap | undefined {
  const value = environment[WORKER_HEAP_VARIABLE]?.trim();
  if (value === undefined || value === '') return undefined;
  assertWorkerHeap(value, WORKER_HEAP_VARIABLE);
  return value;
}

function assertWorkerHeap(value: string, label: string): asserts value is ZapWorkerHeap {
  if (!(WORKER_HEAPS as readonly string[]).includes(value)) {
    throw new ZapConfigurationError({ message: `${label} must be ${WORKER_HEAPS.map((heap) => `'${heap}'`).join(' or ')}, not ${JSON.stringify(value)}.` });
  }
}
