import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { NudgeSettings } from '../core/agent-settings';
import { MAX_NUDGE_MESSAGE_LENGTH } from '../core/defaults';
import { ZapConfigurationError } from '../core/errors';

/**
 * A nudge of an agent (`ZapAgent({ nudge })`): when an answered task hears nothing from its user
 * for `after`, it receives `message` as a follow-up and answers it (a `nudged` event, then the
 * usual `thinking` … `completed`). The wait is a durable timer in the workflow. Once per quiet
 * period: after a nudge, the next one waits for a real follow-up first; a real follow-up within
 * `after` cancels the nudge. A task closes after its idle timeout, so a nudge fires only when
 * `after` is shorter than the idle timeout (the Zap's `idleTimeout`, 24 hours by default;
 * scheduled runs close at once unless their schedule gives one); a longer nudge never fires.
 *
 * @example
 * ```ts
 * nudge: { after: '4 hours', message: 'The customer has not answered. Send them a short reminder.' }
 * ```
 */
export interface NudgeOptions {
  /** The quiet period after an answer (a Temporal duration: `'24 hours'`, `'90 minutes'`, milliseconds). */
  after: Duration;
  /** The follow-up the task receives, as a user message (1–4096 characters). */
  message: string;
}

/** Validates an agent's `nudge` option (undefined: no nudges). */
export function compileNudgeOptions(options: NudgeOptions | undefined, where: string): NudgeSettings | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new ZapConfigurationError({ message: `${where}: nudge must be an object ({ after, message }).` });
  }
  let afterMs: number;
  try {
    afterMs = msToNumber(options.after);
  } catch (error) {
    throw new ZapConfigurationError({ message: `${where}: nudge.after ${JSON.stringify(options.after)} is not a duration.`, cause: error });
  }
  if (!Number.isFinite(afterMs) || afterMs <= 0) {
    throw new ZapConfigurationError({ message: `${where}: nudge.after must be a positive duration.` });
  }
  const { message } = options;
  if (typeof message !== 'string' || message.trim() === '' || message.length > MAX_NUDGE_MESSAGE_LENGTH) {
    throw new ZapConfigurationError({
      message: `${where}: nudge.message must be a non-empty string of at most ${MAX_NUDGE_MESSAGE_LENGTH} characters.`,
    });
  }
  return { afterMs, message };
}
