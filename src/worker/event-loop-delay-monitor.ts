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
 * The delay is measured by one timer of its own (how late each tick fires), which also ends the
 * intervals, not by `monitorEventLoopDelay`: resetting that histogram from another timer at the end
 * of an interval could drop the sample of a block (the unit test once waited 10 s in CI for a
 * warning that never came). A tick records its delay before it ends an interval, so none is lost.
 */
export class EventLoopDelayMonitor {
  private readonly timer: NodeJS.Timeout;
  private readonly intervalMs: number;
  private lastTickAt = performance.now();
  private intervalStartedAt = this.lastTickAt;
  private maxDelayMs = 0;

  constructor(private readonly options: { heartbeatTimeoutMs: number; logger: ZapLogger; intervalMs?: number }) {
    this.intervalMs = options.intervalMs ?? EVENT_LOOP_DELAY_CHECK_INTERVAL_MS;
    this.timer = setInterval(() => this.tick(), RESOLUTION_MS);
    this.timer.unref();
  }

  /** Ends the current interval: warns when its longest delay exceeded the threshold, then starts a new one. */
  check(): void {
    const maxMs = this.maxDelayMs;
    this.maxDelayMs = 0;
    this.intervalStartedAt = performance.now();
    if (maxMs > this.options.heartbeatTimeoutMs / 2) {
      this.options.logger.warn(
        `The worker's event loop was blocked for up to ${Math.round(maxMs)} ms, more than half the shortest ` +
          `heartbeat timeout (${this.options.heartbeatTimeoutMs} ms): calls may time out and run again on another worker. ` +
          'Keep tools asynchronous, move CPU-bound work off the loop, or give such a tool a longer `heartbeat`.',
        { maxMs, heartbeatTimeoutMs: this.options.heartbeatTimeoutMs },
      );
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One tick: how late it fired is the loop's delay; the tick that ends an interval checks it. */
  private tick(): void {
    const now = performance.now();
    this.maxDelayMs = Math.max(this.maxDelayMs, now - this.lastTickAt - RESOLUTION_MS);
    this.lastTickAt = now;
    if (now - this.intervalStartedAt >= this.intervalMs) this.check();
  }
}
