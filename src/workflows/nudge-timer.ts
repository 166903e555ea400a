import { condition } from '@temporalio/workflow';
import type { AgentTask } from './agent-task';
import { Patch } from './patches';

/** How a quiet period after an answer ended: the nudge was sent, a user message came first, or the task has no nudge due. */
export type QuietPeriodOutcome = 'nudged' | 'message' | 'no-nudge';

/**
 * The agent's nudge (`ZapAgent({ nudge })`) in the idle wait of an answered task: a durable
 * timer of `nudge.afterMs` from the answer, raced against follow-ups. When it fires first, the
 * task receives the nudge's message as a follow-up (a `nudged` event) and answers it. Once per
 * quiet period (`state.nudged`, cleared by a real follow-up), and only when the nudge comes
 * before the idle timeout. Tasks without a nudge issue no new command.
 */
export class NudgeTimer {
  constructor(private readonly task: AgentTask) {}

  /** Waits out the quiet period after the answer given at `idleSince` (epoch milliseconds). */
  async waitForQuietPeriod(idleSince: number): Promise<QuietPeriodOutcome> {
    const { state, input } = this.task;
    const nudge = input.agent.nudge;
    if (!nudge || state.nudged || nudge.afterMs >= input.idleTimeoutMs || !this.task.patches.has(Patch.Nudges)) return 'no-nudge';
    const remainingMs = Math.max(0, idleSince + nudge.afterMs - Date.now());
    const hasMessage = await condition(() => state.pendingMessages.length > 0, remainingMs);
    // A follow-up that arrived together with the timer still counts: the nudge is not needed.
    if (hasMessage || state.pendingMessages.length > 0) return 'message';
    state.nudged = true;
    state.pendingMessages.push(nudge.message);
    this.task.markUpdated();
    this.task.emit({ type: 'nudged', message: nudge.message, afterMs: nudge.afterMs });
    return 'nudged';
  }
}
