import { takeEventPage } from '../../src/core/event-log';
import type { TaskEvent } from '../../src/core/events';
import { utf8ByteLength, utf8Prefix } from '../../src/core/message-pages';

function event(seq: number, text: string): TaskEvent {
  return { type: 'completed', result: text, seq, timestamp: '2026-01-01T00:00:00.000Z', taskId: 't' };
}

describe('utf8Prefix', () => {
  test('keeps short text whole', () => {
    expect(utf8Prefix('héllo', 10)).toBe('héllo');
  });
  test('never splits a character, multi-byte or a surrogate pair', () => {
    expect(utf8Prefix('aé', 2)).toBe('a');
    expect(utf8Prefix('a😀b', 4)).toBe('a');
    expect(utf8Prefix('a😀b', 5)).toBe('a😀');
    for (let bytes = 0; bytes < 12; bytes += 1) {
      const prefix = utf8Prefix('€😀éx€', bytes);
      expect(utf8ByteLength(prefix)).toBeLessThanOrEqual(bytes);
      expect('€😀éx€'.startsWith(prefix)).toBe(true);
      expect(prefix).not.toMatch(/[\uD800-\uDBFF]$/);
    }
  });
});

describe('takeEventPage', () => {
  const events = [event(1, 'a'.repeat(100)), event(2, 'b'.repeat(100)), event(3, 'c'.repeat(100))];
  test('returns every event when they fit', () => {
    expect(takeEventPage(events, 10_000)).toBe(events);
  });
  test('stops before the event that would pass the budget', () => {
    const one = utf8ByteLength(JSON.stringify(events[0]));
    expect(takeEventPage(events, one * 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(takeEventPage(events, one * 2 - 1).map((e) => e.seq)).toEqual([1]);
  });
  test('always returns at least one event, however large, so a reader advances', () => {
    expect(takeEventPage(events, 1).map((e) => e.seq)).toEqual([1]);
    expect(takeEventPage([], 1)).toEqual([]);
  });
});
