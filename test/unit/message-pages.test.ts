import type { ChatMessage } from '../../src/core/messages';
import { DEFAULT_MESSAGE_PAGE_BYTES, takeMessagePage } from '../../src/core/message-pages';

function userMessage(text: string): ChatMessage {
  return { role: 'user', content: text };
}

function jsonBytes(message: ChatMessage): number {
  return Buffer.byteLength(JSON.stringify(message));
}

describe('takeMessagePage', () => {
  const messages = ['zero', 'one', 'two', 'three', 'four'].map(userMessage);

  it('returns messages [from, to) when they fit the budget', () => {
    expect(takeMessagePage(messages, 1, 4)).toEqual(messages.slice(1, 4));
    expect(takeMessagePage(messages, 0, 5)).toEqual(messages);
  });

  it('clamps `to` to the conversation length and is empty for an empty range', () => {
    expect(takeMessagePage(messages, 3, 99)).toEqual(messages.slice(3));
    expect(takeMessagePage(messages, 2, 2)).toEqual([]);
    expect(takeMessagePage(messages, 5, 9)).toEqual([]);
  });

  it('stops before the message that would exceed the budget', () => {
    const large = Array.from({ length: 4 }, (_, index) => userMessage(`${index}`.repeat(100)));
    const size = jsonBytes(large[0] as ChatMessage);

    expect(takeMessagePage(large, 0, 4, size * 2)).toEqual(large.slice(0, 2));
    expect(takeMessagePage(large, 0, 4, size * 2 + size - 1)).toEqual(large.slice(0, 2));
    expect(takeMessagePage(large, 1, 4, size * 3)).toEqual(large.slice(1, 4));
  });

  it('always returns at least one message, even one larger than the budget', () => {
    const huge = userMessage('x'.repeat(10_000));
    expect(takeMessagePage([huge, messages[0] as ChatMessage], 0, 2, 100)).toEqual([huge]);
  });

  it('pages a long conversation so every page but single huge ones stays within the default budget', () => {
    const long = Array.from({ length: 40 }, (_, index) => userMessage(`${index}:${'z'.repeat(20_000)}`));
    const pages: ChatMessage[][] = [];
    for (let from = 0; from < long.length; from += pages[pages.length - 1]?.length ?? 0) {
      pages.push(takeMessagePage(long, from, long.length));
    }
    expect(pages.flat()).toEqual(long);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) {
      expect(page.reduce((total, message) => total + jsonBytes(message), 0)).toBeLessThanOrEqual(
        DEFAULT_MESSAGE_PAGE_BYTES,
      );
    }
  });

  it('measures the budget in UTF-8 bytes, not characters', () => {
    // 'é' is one UTF-16 code unit but two UTF-8 bytes; the budget guards Temporal's payload limits,
    // which are in bytes, so three messages of ~2 KB must not fit in a 4 KB budget.
    const accented = Array.from({ length: 3 }, () => userMessage('é'.repeat(1_000)));
    const bytes = jsonBytes(accented[0] as ChatMessage);
    expect(bytes).toBeGreaterThan(JSON.stringify(accented[0]).length);

    expect(takeMessagePage(accented, 0, 3, bytes * 2).length).toBe(2);
  });
});
