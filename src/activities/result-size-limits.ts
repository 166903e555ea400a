/**
 * Size limits of what activities return. A result Temporal cannot store is refused after the work
 * is done (payloads over 2 MB) or never reaches the server (gRPC messages over 4 MB), and the call
 * then runs again. So activities bound their results themselves: a tool result is truncated with a
 * marker the model reads, a failure message is truncated, and a model answer that cannot be stored
 * fails for good instead of being bought again.
 * @module
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/activity-contracts';
import { MAX_ACTIVITY_RESULT_BYTES, MAX_FAILURE_MESSAGE_BYTES } from '../core/defaults';
import { utf8ByteLength, utf8Prefix } from '../core/message-pages';
import type { ToolCallOutcome } from '../core/tool-definition';

/** Describes a cut: the original size and how much of it is kept. */
type TruncationMarker = (originalBytes: number, shownBytes: number) => string;

/** What follows a truncated tool result: the model learns the size and to ask for less. */
export function toolResultTruncationMarker(originalBytes: number, shownBytes: number): string {
  return (
    `\n\n[Result truncated: the first ${formatCount(shownBytes)} of ${formatCount(originalBytes)} bytes ` +
    `(${formatSize(originalBytes)}) are shown. Ask for less: a filter, a page, a smaller range.]`
  );
}

function failureMessageMarker(originalBytes: number, shownBytes: number): string {
  return `\n[Message truncated: the first ${formatCount(shownBytes)} of ${formatCount(originalBytes)} bytes are shown.]`;
}

/**
 * `text` when it has at most `maxBytes` UTF-8 bytes; otherwise its longest prefix that, with the
 * marker appended, fits in `maxBytes`, never splitting a character.
 */
export function truncateUtf8(text: string, maxBytes: number, marker: TruncationMarker): string {
  const originalBytes = utf8ByteLength(text);
  if (originalBytes <= maxBytes) return text;
  // The marker names the shown size, which is at most maxBytes: reserve its longest form.
  const reserved = utf8ByteLength(marker(originalBytes, maxBytes));
  const shown = utf8Prefix(text, Math.max(0, maxBytes - reserved));
  return shown + marker(originalBytes, utf8ByteLength(shown));
}

/**
 * A tool outcome whose content has at most `maxBytes` UTF-8 bytes and that Temporal can store:
 * over the bound, the content is cut and ends with {@link toolResultTruncationMarker}. Text that
 * JSON escapes heavily (control characters take six bytes) is cut further, so the stored outcome
 * stays within `MAX_ACTIVITY_RESULT_BYTES`.
 */
export function limitToolResult(outcome: ToolCallOutcome, maxBytes: number): ToolCallOutcome {
  for (let budget = maxBytes; ; ) {
    const limited = { ...outcome, content: truncateUtf8(outcome.content, budget, toolResultTruncationMarker) };
    const stored = storedBytes(limited);
    if (stored <= MAX_ACTIVITY_RESULT_BYTES) return limited;
    budget = Math.min(budget - 1, Math.floor((budget * MAX_ACTIVITY_RESULT_BYTES) / stored));
  }
}

/** `message` cut to `MAX_FAILURE_MESSAGE_BYTES`, and whether it was cut. */
export function limitFailureMessage(message: string): { message: string; truncated: boolean } {
  const limited = truncateUtf8(message, MAX_FAILURE_MESSAGE_BYTES, failureMessageMarker);
  return { message: limited, truncated: limited !== message };
}

/**
 * Fails, never to be retried, when a model answer is too large to be an activity result: another
 * attempt would buy the same answer again and fail the same way.
 */
export function assertModelResultFits(result: unknown, maxTokens: number | undefined): void {
  const bytes = storedBytes(result);
  if (bytes <= MAX_ACTIVITY_RESULT_BYTES) return;
  throw ApplicationFailure.create({
    type: FailureType.ModelResultTooLarge,
    message:
      `The model answer of ${formatCount(bytes)} bytes is over the ${formatCount(MAX_ACTIVITY_RESULT_BYTES)} bytes ` +
      `a model call may return (Temporal stores results of at most 2 MB); it was not retried. ` +
      `Lower the agent's maxTokens (${maxTokens ?? 'not set'}) or ask for a shorter answer.`,
    // The answer was bought: a budget counts its usage.
    details: [reportedUsage(result)],
    nonRetryable: true,
  });
}

/** The usage (and cost) of a model result, for the details of its failure. */
function reportedUsage(result: unknown): { usage?: unknown; costNanoUsd?: unknown } {
  const { usage, costNanoUsd } = (result ?? {}) as { usage?: unknown; costNanoUsd?: unknown };
  return { ...(usage !== undefined ? { usage } : {}), ...(costNanoUsd !== undefined ? { costNanoUsd } : {}) };
}

/** Bytes of `value` as the JSON payload Temporal stores. */
function storedBytes(value: unknown): number {
  return utf8ByteLength(JSON.stringify(value) ?? '');
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

function formatSize(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${(bytes / 1000).toFixed(1)} kB`;
}
