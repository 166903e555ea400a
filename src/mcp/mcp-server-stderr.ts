/** Characters of a stdio server's stderr kept for error messages; servers print their startup failures there. */
export const MCP_STDERR_TAIL_MAX_CHARS = 4_000;
/** Lines of that tail shown in an error message. */
export const MCP_STDERR_TAIL_MAX_LINES = 20;
/** Longest stderr line passed on whole; the rest of a longer line is counted, not kept. */
export const DEFAULT_MCP_STDERR_LINE_MAX_CHARS = 2_000;
/** Stderr lines passed on per second; a server printing more has the excess counted, not passed on. */
export const DEFAULT_MCP_STDERR_LINES_PER_SECOND = 200;

const RATE_WINDOW_MS = 1_000;

/** Options of {@link McpServerStderr}. */
export interface McpServerStderrOptions {
  /**
   * Receives each non-blank line (without its line break), cut to `maxLineChars`. Exceptions it
   * throws are ignored: a failing logger must not take the worker down from a stream listener.
   * @default lines are only kept in the tail
   */
  onLine?: (line: string) => void;
  /** Longest line passed to `onLine` whole. @default 2_000 */
  maxLineChars?: number;
  /** Lines passed to `onLine` per second, each further one counted and reported once. @default 200 */
  maxLinesPerSecond?: number;
  /** Clock of the rate limit. @default Date.now */
  now?: () => number;
}

/**
 * The stderr of one stdio MCP server: keeps its tail for error messages and splits it into lines
 * for logging. Memory is bounded whatever the server writes: a line without a line break is cut,
 * not buffered, and lines beyond the rate are counted.
 */
export class McpServerStderr {
  private readonly onLine: ((line: string) => void) | undefined;
  private readonly maxLineChars: number;
  private readonly maxLinesPerSecond: number;
  private readonly now: () => number;
  private tail = '';
  /** Start of the current line, at most `maxLineChars` long. */
  private pending = '';
  /** Characters of the current line past `maxLineChars`. */
  private droppedChars = 0;
  private windowStart = Number.NEGATIVE_INFINITY;
  private linesInWindow = 0;
  private suppressedLines = 0;

  constructor(options: McpServerStderrOptions = {}) {
    this.onLine = options.onLine;
    this.maxLineChars = Math.max(1, Math.floor(options.maxLineChars ?? DEFAULT_MCP_STDERR_LINE_MAX_CHARS));
    this.maxLinesPerSecond = Math.max(1, Math.floor(options.maxLinesPerSecond ?? DEFAULT_MCP_STDERR_LINES_PER_SECOND));
    this.now = options.now ?? Date.now;
  }

  /** Takes a chunk read from the stream (already decoded). */
  write(chunk: string): void {
    this.tail = (this.tail + chunk).slice(-MCP_STDERR_TAIL_MAX_CHARS);
    if (this.onLine === undefined) return;
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      this.append(chunk.slice(start, newline));
      this.emitPending();
      start = newline + 1;
    }
    this.append(chunk.slice(start));
  }

  /** Passes on the last line when it had no line break, and the count of lines held back. */
  end(): void {
    if (this.pending.length > 0 || this.droppedChars > 0) this.emitPending();
    this.reportSuppressed();
  }

  /** The last lines of the tail, or '' when the server wrote nothing. */
  lastLines(maxLines = MCP_STDERR_TAIL_MAX_LINES): string {
    return this.tail.trimEnd().split('\n').slice(-maxLines).join('\n');
  }

  private append(text: string): void {
    const room = this.maxLineChars - this.pending.length;
    if (text.length <= room) {
      this.pending += text;
      return;
    }
    this.pending += text.slice(0, room);
    this.droppedChars += text.length - room;
  }

  private emitPending(): void {
    let line = this.pending.endsWith('\r') ? this.pending.slice(0, -1) : this.pending;
    if (this.droppedChars > 0) line += ` … (${this.droppedChars} more characters)`;
    this.pending = '';
    this.droppedChars = 0;
    if (line.trim().length === 0 || !this.admit()) return;
    this.deliver(line);
  }

  /** Counts the line against the rate; false when it must be held back. */
  private admit(): boolean {
    const now = this.now();
    if (now - this.windowStart >= RATE_WINDOW_MS) {
      this.reportSuppressed();
      this.windowStart = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow >= this.maxLinesPerSecond) {
      this.suppressedLines += 1;
      return false;
    }
    this.linesInWindow += 1;
    return true;
  }

  private reportSuppressed(): void {
    if (this.suppressedLines === 0) return;
    const count = this.suppressedLines;
    this.suppressedLines = 0;
    this.deliver(`(${count} more stderr lines not shown: over ${this.maxLinesPerSecond} lines per second)`);
  }

  private deliver(line: string): void {
    try {
      this.onLine?.(line);
    } catch {
      // See McpServerStderrOptions.onLine.
    }
  }
}
