/**
 * zap-worker sizes its process's V8 heaps before it builds the worker (`ZAP_WORKER_HEAP`, default
 * `compact`): the real worker entry, in its own process, against the run's Temporal dev server.
 * The fixture starts a thread right before `createWorker` and reports how large its young
 * generation grows, which is what the workflow threads created next get.
 */
import { resolve } from 'node:path';
import { runWorkerToExit, spawnWorker } from '../support/spawn-worker';
import { temporalAddress, uniqueTaskQueue } from '../support/harness';

jest.setTimeout(90_000);

const FIXTURE = resolve(__dirname, '../fixtures/heap-probe-zap.ts');
const MIB = 1024 * 1024;

/** Runs zap-worker with the probe fixture until it polls, reads the probe, and stops it (drained, exit 0). */
async function probe(environment: Record<string, string>): Promise<{ flags: string[]; newSpace: number }> {
  const worker = await spawnWorker(
    FIXTURE,
    {
      ZAP_TASK_QUEUE: uniqueTaskQueue('heap'),
      TEMPORAL_ADDRESS: temporalAddress(),
      ZAP_WORKFLOW_BUNDLE: process.env.ZAP_TEST_WORKFLOW_BUNDLE ?? '',
      ...environment,
    },
    { withoutEnvironment: ['ZAP_WORKER_HEAP', 'NODE_OPTIONS'], timeoutMs: 60_000 },
  );
  const flags = /\[heap-probe\] flags (.*)/.exec(worker.output());
  const newSpace = /\[heap-probe\] new space (\d+)/.exec(worker.output());
  expect(await worker.stop()).toBe(0);
  expect(worker.output()).toContain('[zap-worker] stopped');
  if (!flags || !newSpace) throw new Error(`no probe lines in:\n${worker.output()}`);
  return { flags: JSON.parse(flags[1]!) as string[], newSpace: Number(newSpace[1]) };
}

describe('zap-worker heap flags (ZAP_WORKER_HEAP)', () => {
  // A young generation grows toward its cap as a thread allocates, so the probe shows the cap or
  // less; Node's defaults on 64-bit let it reach 32 MiB, V8's memory-saving mode keeps it smaller.
  test("by default the worker switches V8 to its memory-saving mode before it builds the worker's threads", async () => {
    const { flags, newSpace } = await probe({});
    expect(flags).toEqual(['--optimize-for-size']);
    expect(newSpace).toBeLessThanOrEqual(16 * MIB);
  });

  test("ZAP_WORKER_HEAP=node sets no flag: the young generation grows past the memory-saving mode's", async () => {
    const { flags, newSpace } = await probe({ ZAP_WORKER_HEAP: 'node' });
    expect(flags).toEqual([]);
    expect(newSpace).toBeGreaterThan(16 * MIB);
  });

  test('an unknown ZAP_WORKER_HEAP fails the worker with a clear message before it polls', async () => {
    const { code, output } = await runWorkerToExit(FIXTURE, { ZAP_WORKER_HEAP: 'small', ZAP_TASK_QUEUE: uniqueTaskQueue('heap'), TEMPORAL_ADDRESS: temporalAddress() });
    expect(code).toBe(1);
    expect(output).toContain(`[zap-worker] failed: ZAP_WORKER_HEAP must be 'compact' or 'node', not "small".`);
    expect(output).not.toContain('[heap-probe]');
    expect(output).not.toContain('[zap-worker] running');
  });
});
