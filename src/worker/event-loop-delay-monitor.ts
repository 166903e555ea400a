import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EVENT_LOOP_DELAY_CHECK_INTERVAL_MS } from '../core/defaults';
import type { ZapLogger } from '../client/zap-options';

/** Sampling resolution of the event-loop delay histogram. */
const RESOLUTION_MS = 20;

/**
 * Watches the worker process's event-loop delay and warns when, within a check interval, it
 * exceeded half the shortest heartbeat timeout: heartbeats are timers on the same loop, so a tool
 * (or anything else in the process) that blocks the loop that long puts calls at risk of a
 * heartbeat timeout, after which they run again on another worker. The longest delay counts, not
 * the p99: one block is a single sample among hundreds, and one is enough to miss a heartbeat.
 * One warning per interval.
 */
export class EventLoopDelayMonitor {
  private readonly histogram: ReturnType<typeof monitorEventLoopDelay>;
  private readonly timer: NodeJS.Timeout;

  constructor(options: { heartbeatTimeoutMs: number; logger: ZapLogger; intervalMs?: number }) {
    const thresholdMs = options.heartbeatTimeoutMs / 2;
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => {
      const p99Ms = this.histogram.percentile(99) / 1e6;
      const maxMs = this.histogram.max / 1e6;
      this.histogram.reset();
      if (maxMs > thresholdMs) {
        options.logger.warn(
          `The worker's event loop was blocked for up to ${Math.round(maxMs)} ms (p99 ${Math.round(p99Ms)} ms), more than half the shortest ` +
            `heartbeat timeout (${options.heartbeatTimeoutMs} ms): calls may time out and run again on another worker. ` +
            'Keep tools asynchronous, move CPU-bound work off the loop, or give such a tool a longer `heartbeat`.',
          { p99Ms, maxMs, heartbeatTimeoutMs: options.heartbeatTimeoutMs },
        );
      }
    }, options.intervalMs ?? EVENT_LOOP_DELAY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
