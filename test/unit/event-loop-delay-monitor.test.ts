/**
 * The worker's event-loop delay monitor warns when the loop was blocked for more than half the
 * shortest heartbeat timeout (calls would miss heartbeats), and stays quiet below it.
 */
import { EventLoopDelayMonitor } from '../../src/worker/event-loop-delay-monitor';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy, like a synchronous CPU-bound tool.
  }
}

describe('EventLoopDelayMonitor', () => {
  test('warns once the loop was blocked for more than half the heartbeat timeout', async () => {
    const warnings: Array<{ message: string; meta?: object }> = [];
    // The interval ends by hand (check()), long before the monitor would end it.
    const monitor = new EventLoopDelayMonitor({ heartbeatTimeoutMs: 200, logger: { warn: (message, meta) => warnings.push({ message, meta }) }, intervalMs: 600_000 });
    try {
      await sleep(50);
      blockLoop(400);
      // A few ticks of the monitor's timer, the first of which records the delay.
      await sleep(100);
      monitor.check();
    } finally {
      monitor.stop();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/event loop was blocked for up to \d+ ms, more than half the shortest heartbeat timeout \(200 ms\)/);
    expect(warnings[0]?.meta).toMatchObject({ heartbeatTimeoutMs: 200 });
  });

  test('the interval checks by itself, one warning per blocked interval', async () => {
    const warnings: string[] = [];
    const monitor = new EventLoopDelayMonitor({ heartbeatTimeoutMs: 200, logger: { warn: (message) => warnings.push(message) }, intervalMs: 300 });
    try {
      await sleep(50);
      blockLoop(400);
      for (let waited = 0; warnings.length === 0 && waited < 10_000; waited += 50) await sleep(50);
      // The next intervals saw a free loop.
      await sleep(700);
    } finally {
      monitor.stop();
    }
    expect(warnings).toHaveLength(1);
  });

  test('stays quiet when the loop is free', async () => {
    const warnings: string[] = [];
    const monitor = new EventLoopDelayMonitor({ heartbeatTimeoutMs: 20_000, logger: { warn: (message) => warnings.push(message) }, intervalMs: 200 });
    await sleep(700);
    monitor.check();
    monitor.stop();
    expect(warnings).toEqual([]);
  });
});
