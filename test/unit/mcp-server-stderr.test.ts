import { McpServerStderr, type McpServerStderrOptions } from '../../src/mcp/mcp-server-stderr';

function collect(options: Omit<McpServerStderrOptions, 'onLine'> = {}): { stderr: McpServerStderr; lines: string[] } {
  const lines: string[] = [];
  return { stderr: new McpServerStderr({ ...options, onLine: (line) => lines.push(line) }), lines };
}

describe('McpServerStderr lines', () => {
  it('passes on whole lines only, joining lines split across chunks', () => {
    const { stderr, lines } = collect();
    stderr.write('starting');
    stderr.write(' up\nlistening on stdio\nhalf');
    expect(lines).toEqual(['starting up', 'listening on stdio']);
    stderr.write(' a line\n');
    expect(lines).toEqual(['starting up', 'listening on stdio', 'half a line']);
  });

  it('drops CR of CRLF line ends and skips blank lines', () => {
    const { stderr, lines } = collect();
    stderr.write('windows\r\n\n   \r\nnext\n');
    expect(lines).toEqual(['windows', 'next']);
  });

  it('passes on a last line without a line break when the stream ends', () => {
    const { stderr, lines } = collect();
    stderr.write('fatal: no key');
    expect(lines).toEqual([]);
    stderr.end();
    expect(lines).toEqual(['fatal: no key']);
  });

  it('cuts long lines without buffering them, even across chunks', () => {
    const { stderr, lines } = collect({ maxLineChars: 10 });
    stderr.write('0123456789abc');
    for (let index = 0; index < 1_000; index += 1) stderr.write('x'.repeat(1_000));
    stderr.write('\nshort\n');
    expect(lines).toEqual(['0123456789 … (1000003 more characters)', 'short']);
  });

  it('holds back lines beyond the rate and reports how many', () => {
    let now = 0;
    const { stderr, lines } = collect({ maxLinesPerSecond: 2, now: () => now });
    stderr.write('a\nb\nc\nd\n');
    expect(lines).toEqual(['a', 'b']);
    now = 1_000;
    stderr.write('e\n');
    expect(lines).toEqual(['a', 'b', '(2 more stderr lines not shown: over 2 lines per second)', 'e']);
    stderr.write('f\ng\n');
    stderr.end();
    expect(lines.slice(-2)).toEqual(['f', '(1 more stderr lines not shown: over 2 lines per second)']);
  });

  it('survives a logger that throws', () => {
    const stderr = new McpServerStderr({
      onLine: () => {
        throw new Error('logger down');
      },
    });
    expect(() => stderr.write('line\n')).not.toThrow();
    expect(stderr.lastLines()).toBe('line');
  });
});

describe('McpServerStderr tail', () => {
  it('keeps the last lines for error messages, with or without a line listener', () => {
    for (const stderr of [new McpServerStderr(), collect().stderr]) {
      expect(stderr.lastLines()).toBe('');
      stderr.write(Array.from({ length: 30 }, (_, index) => `line ${index}`).join('\n') + '\n');
      expect(stderr.lastLines(3)).toBe('line 27\nline 28\nline 29');
      expect(stderr.lastLines().split('\n')).toHaveLength(20);
    }
  });

  it('keeps a bounded number of characters', () => {
    const stderr = new McpServerStderr();
    stderr.write('y'.repeat(10_000));
    expect(stderr.lastLines()).toHaveLength(4_000);
  });
});
