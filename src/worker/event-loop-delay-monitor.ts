import { performance } from 'node:perf_hooks';
import { EVENT_LOOP_DELAY_CHECK_INTERVAL_MS } from '../core/defaults';
import type { ZapLogger } from '../client/zap-options';

/** How often the monitor's own timer samples the loop: a block shows as this timer firing late. */
const RESOLUTION_MS = 50;

/**
 * Watches the worker process's event loop and warns when, within a check interval, it was blocked
 * for more than half the shortest heartbeat timeout: heartbeats are timers on the same loop, so a
 * tool (or anything else in the process) that blocks the loop that long puts calls at risk of a
 * heartbeat timeout, after which they run again on another worker. The longest delay counts: one
 * block is enough to miss a heartbeat. One warning per interval.
 *
 * The delay is measured by a timer of its own (how late each tick fires), not by
 * `monitorEventLoopDelay`: resetting that histogram at the end of an interval can drop the sample
 * of a block when the interval's timer runs before the histogram's after it, and a block would go
 * unreported. Here a block that spans the end of an interval counts in the next one.
 */
export class EventLoopDelayMonitor {
  private readonly sampler: NodeJS.Timeout;
  private readonly timer: NodeJS.Timeout;
  private readonly thresholdMs: number;
  private lastTickAt = performance.now();
  private maxDelayMs = 0;

  constructor(private readonly options: { heartbeatTimeoutMs: number; logger: ZapLogger; intervalMs?: number }) {
    this.thresholdMs = options.heartbeatTimeoutMs / 2;
    this.sampler = setInterval(() => this.sample(), RESOLUTION_MS);
    this.sampler.unref();
    this.timer = setInterval(() => this.check(), options.intervalMs ?? EVENT_LOOP_DELAY_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Ends the current interval: warns when its longest delay exceeded the threshold, then starts a new one. */
  check(): void {
    const maxMs = this.maxDelayMs;
    this.maxDelayMs = 0;
    if (maxMs > this.thresholdMs) {
      this.options.logger.warn(
        `The worker's event loop was blocked for up to ${Math.round(maxMs)} ms, more than half the shortest ` +
          `heartbeat timeout (${this.options.heartbeatTimeoutMs} ms): calls may time out and run again on another worker. ` +
          'Keep tools asynchronous, move CPU-bound work off the loop, or give such a tool a longer `heartbeat`.',
        { maxMs, heartbeatTimeoutMs: this.options.heartbeatTimeoutMs },
      );
    }
  }

  stop(): void {
    clearInterval(this.sampler);
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = performance.now();
    this.maxDelayMs = Math.max(this.maxDelayMs, now - this.lastTickAt - RESOLUTION_MS);
    this.lastTickAt = now;
  }
}
