import type { ToolCall, ToolMessage } from '../../src/core/messages';
import { emptyStuckState, fingerprintOf, observeIteration } from '../../src/workflows/stuck-detector';

let callCounter = 0;
function call(name: string, args: unknown): ToolCall {
  callCounter += 1;
  return { id: `call_${callCounter}`, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } };
}
function result(of: ToolCall, content: string): ToolMessage {
  return { role: 'tool', tool_call_id: of.id, content };
}

/** Runs iterations of [call, result] pairs through one state; the finding of each. */
function observe(iterations: Array<Array<[string, unknown, string]>>, threshold = 3, ignoredTools?: ReadonlySet<string>) {
  const state = emptyStuckState();
  const findings = iterations.map((pairs) => {
    const calls = pairs.map(([name, args]) => call(name, args));
    const results = calls.map((made, index) => result(made, pairs[index]![2]));
    return observeIteration(state, calls, results, { threshold, ...(ignoredTools ? { ignoredTools } : {}) });
  });
  return { state, findings };
}

describe('stuck detection', () => {
  test('the same call (key order aside) in `threshold` consecutive iterations is a repeated call', () => {
    const { findings } = observe([
      [['lookup', { a: 1, b: 2 }, 'r1']],
      [['lookup', { b: 2, a: 1 }, 'r2']],
      [['lookup', { a: 1, b: 2 }, 'r3']],
    ]);
    expect(findings.slice(0, 2)).toEqual([undefined, undefined]);
    expect(findings[2]).toEqual({ reason: 'repeated_call', toolName: 'lookup', toolArgs: { a: 1, b: 2 }, repeats: 3 });
  });

  test('a call repeated among other calls counts; a different call in between restarts the streak', () => {
    const repeated = observe([
      [['lookup', { id: 1 }, 'x'], ['other', { n: 1 }, 'o1']],
      [['lookup', { id: 1 }, 'x'], ['other', { n: 2 }, 'o2']],
      [['other', { n: 3 }, 'o3'], ['lookup', { id: 1 }, 'x']],
    ]);
    expect(repeated.findings[2]).toMatchObject({ reason: 'repeated_call', toolName: 'lookup', repeats: 3 });

    const interrupted = observe([
      [['lookup', { id: 1 }, 'a']],
      [['lookup', { id: 1 }, 'b']],
      [['lookup', { id: 2 }, 'c']],
      [['lookup', { id: 1 }, 'd']],
    ]);
    expect(interrupted.findings).toEqual([undefined, undefined, undefined, undefined]);
  });

  test('different arguments with identical results in `threshold` consecutive iterations is no progress', () => {
    const { findings } = observe([
      [['search', { q: 'a' }, 'no results']],
      [['search', { q: 'b' }, 'no results']],
      [['search', { q: 'c' }, 'no results']],
    ]);
    expect(findings[2]).toEqual({ reason: 'no_progress', toolName: 'search', toolArgs: { q: 'c' }, repeats: 3 });
  });

  test('results compare as a set of (tool, text) pairs: order does not matter, a changed text is progress', () => {
    const unordered = observe(
      [
        [['a', { n: 1 }, 'same-a'], ['b', { n: 1 }, 'same-b']],
        [['b', { n: 2 }, 'same-b'], ['a', { n: 2 }, 'same-a']],
      ],
      2,
    );
    expect(unordered.findings[1]).toMatchObject({ reason: 'no_progress', repeats: 2 });

    const progressing = observe([
      [['search', { q: 'a' }, 'page 1']],
      [['search', { q: 'b' }, 'page 2']],
      [['search', { q: 'c' }, 'page 2']],
    ]);
    expect(progressing.findings).toEqual([undefined, undefined, undefined]);
  });

  test('ignored tools are not counted, and an iteration of only ignored calls changes nothing', () => {
    const ignored = new Set(['wait_for_event']);
    const { findings, state } = observe(
      [
        [['wait_for_event', { event: 'paid' }, 'timed out']],
        [['wait_for_event', { event: 'paid' }, 'timed out']],
        [['wait_for_event', { event: 'paid' }, 'timed out']],
      ],
      3,
      ignored,
    );
    expect(findings).toEqual([undefined, undefined, undefined]);
    expect(state).toEqual(emptyStuckState());
  });

  test('arguments that are not JSON are compared as text; the state keeps fingerprints, never the text', () => {
    const { findings, state } = observe(
      [
        [['lookup', '{not json', 'x'.repeat(10_000)]],
        [['lookup', '{not json', 'y'.repeat(10_000)]],
      ],
      2,
    );
    expect(findings[1]).toEqual({ reason: 'repeated_call', toolName: 'lookup', toolArgs: {}, repeats: 2 });
    expect(JSON.stringify(state).length).toBeLessThan(200);
  });

  test('fingerprints are deterministic and tell different texts apart', () => {
    expect(fingerprintOf('lookup\u0000{"a":1}')).toBe(fingerprintOf('lookup\u0000{"a":1}'));
    const texts = Array.from({ length: 2000 }, (_, index) => `lookup\u0000{"id":${index}}`);
    expect(new Set(texts.map(fingerprintOf)).size).toBe(texts.length);
  });
});
