import { ApplicationFailure } from '@temporalio/common';
import {
  assertModelResultFits,
  limitFailureMessage,
  limitToolResult,
  toolResultTruncationMarker,
  truncateUtf8,
} from '../../src/activities/result-size-limits';
import { MAX_ACTIVITY_RESULT_BYTES, MAX_FAILURE_MESSAGE_BYTES } from '../../src/core/defaults';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const MARKER_START = '\n\n[Result truncated';

/** The text before the marker of a truncated tool result. */
function shownPart(content: string): string {
  return content.slice(0, content.indexOf(MARKER_START));
}

describe('toolResultTruncationMarker', () => {
  it('tells the model the original size, what it sees, and to ask for less', () => {
    expect(toolResultTruncationMarker(1_468_211, 65_400)).toBe(
      '\n\n[Result truncated: the first 65,400 of 1,468,211 bytes (1.5 MB) are shown. ' +
        'Ask for less: a filter, a page, a smaller range.]',
    );
    expect(toolResultTruncationMarker(70_000, 65_400)).toContain('of 70,000 bytes (70.0 kB)');
  });
});

describe('truncateUtf8', () => {
  it('leaves text at or under the bound unchanged', () => {
    expect(truncateUtf8('short', 1024, toolResultTruncationMarker)).toBe('short');
    const exact = 'é'.repeat(512);
    expect(truncateUtf8(exact, 1024, toolResultTruncationMarker)).toBe(exact);
  });

  it('keeps the result, marker included, within the bound, and names the bytes shown', () => {
    const text = 'a'.repeat(10_000);
    const cut = truncateUtf8(text, 2048, toolResultTruncationMarker);
    expect(bytes(cut)).toBeLessThanOrEqual(2048);
    expect(bytes(cut)).toBeGreaterThan(2048 - 10);
    const shown = shownPart(cut);
    expect(text.startsWith(shown)).toBe(true);
    expect(cut.endsWith(toolResultTruncationMarker(10_000, bytes(shown)))).toBe(true);
  });

  it.each([
    ['two-byte', 'é'],
    ['three-byte', '€'],
    ['four-byte (surrogate pairs)', '😀'],
    ['mixed', 'aé€😀'],
  ])('never splits a %s character', (_kind, unit) => {
    const text = unit.repeat(5000);
    for (const maxBytes of [1024, 1025, 1026, 1027, 1500]) {
      const shown = shownPart(truncateUtf8(text, maxBytes, toolResultTruncationMarker));
      // A split character would not survive a round trip through UTF-8.
      expect(Buffer.from(shown, 'utf8').toString('utf8')).toBe(shown);
      expect(shown).not.toMatch(/[\uD800-\uDBFF]$/);
      expect(text.startsWith(shown)).toBe(true);
      expect(bytes(truncateUtf8(text, maxBytes, toolResultTruncationMarker))).toBeLessThanOrEqual(maxBytes);
    }
  });
});

describe('limitToolResult', () => {
  it('cuts the content to the bound and keeps isError', () => {
    const limited = limitToolResult({ content: 'x'.repeat(100_000), isError: true }, 4096);
    expect(limited.isError).toBe(true);
    expect(bytes(limited.content)).toBeLessThanOrEqual(4096);
    expect(limited.content).toContain('of 100,000 bytes (100.0 kB) are shown');
  });

  it('returns a result within the bound as it is', () => {
    const outcome = { content: 'Sunny in Paris', isError: false };
    expect(limitToolResult(outcome, 65_536)).toEqual(outcome);
  });

  it('cuts further when JSON escaping would make the stored result too large', () => {
    // Control characters take six bytes each in JSON: 1 MiB of them would be 6 MiB stored.
    const escaped = '\u0001'.repeat(2 * MAX_ACTIVITY_RESULT_BYTES);
    const limited = limitToolResult({ content: escaped, isError: false }, MAX_ACTIVITY_RESULT_BYTES);
    expect(bytes(JSON.stringify(limited))).toBeLessThanOrEqual(MAX_ACTIVITY_RESULT_BYTES);
    expect(bytes(JSON.stringify(limited))).toBeGreaterThan(MAX_ACTIVITY_RESULT_BYTES * 0.9);
    expect(limited.content).toContain(`of ${(2 * MAX_ACTIVITY_RESULT_BYTES).toLocaleString('en-US')} bytes`);
  });
});

describe('limitFailureMessage', () => {
  it('leaves a short message alone', () => {
    expect(limitFailureMessage('card declined')).toEqual({ message: 'card declined', truncated: false });
  });

  it('cuts a long message to MAX_FAILURE_MESSAGE_BYTES with a marker', () => {
    const { message, truncated } = limitFailureMessage('e'.repeat(3_000_000));
    expect(truncated).toBe(true);
    expect(bytes(message)).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE_BYTES);
    expect(message).toMatch(/\n\[Message truncated: the first [\d,]+ of 3,000,000 bytes are shown\.\]$/);
  });
});

describe('assertModelResultFits', () => {
  it('accepts an answer that fits', () => {
    expect(() => assertModelResultFits({ message: { role: 'assistant', content: 'hi' } }, 4096)).not.toThrow();
  });

  it('fails non-retryably with MODEL_RESULT_TOO_LARGE, the size and the limit', () => {
    let failure: unknown;
    try {
      assertModelResultFits({ message: { role: 'assistant', content: 'y'.repeat(1_500_000) } }, 4096);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'MODEL_RESULT_TOO_LARGE', nonRetryable: true });
    expect((failure as Error).message).toMatch(
      /^The model answer of 1,500,0\d\d bytes is over the 1,048,576 bytes a model call may return .*maxTokens \(4096\)/,
    );
  });
});
