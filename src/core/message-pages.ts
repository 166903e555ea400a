import type { ChatMessage } from './messages';

/**
 * Bytes of conversation one query result may carry. Temporal warns above 512 KB per payload and
 * gRPC refuses messages above 4 MB, so long conversations are read in pages of this size.
 */
export const DEFAULT_MESSAGE_PAGE_BYTES = 256 * 1024;

/**
 * Messages [from, to) of the conversation, stopping early once `maxBytes` of JSON is reached;
 * always at least one message, so a single huge message still gets through.
 */
export function takeMessagePage(
  messages: readonly ChatMessage[],
  from: number,
  to: number,
  maxBytes: number = DEFAULT_MESSAGE_PAGE_BYTES,
): ChatMessage[] {
  const page: ChatMessage[] = [];
  let bytes = 0;
  for (let index = from; index < Math.min(to, messages.length); index++) {
    const message = messages[index] as ChatMessage;
    bytes += utf8ByteLength(JSON.stringify(message));
    if (page.length > 0 && bytes > maxBytes) break;
    page.push(message);
  }
  return page;
}

/** UTF-8 size of a string, computed by hand: the workflow sandbox has no Buffer. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      // A surrogate pair is one 4-byte code point.
      bytes += 4;
      index += 1;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that does not split a character
 * (a surrogate pair is kept whole or left out).
 */
export function utf8Prefix(text: string, maxBytes: number): string {
  if (utf8ByteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const code = text.codePointAt(end) as number;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, end);
}
