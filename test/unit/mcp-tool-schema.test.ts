import { mcpCallResultToOutcome, mcpToolToFunctionDefinition } from '../../src/mcp/mcp-tool-schema';

describe('mcpToolToFunctionDefinition', () => {
  it('keeps name, description and an object input schema, dropping $schema', () => {
    const definition = mcpToolToFunctionDefinition({
      name: 'get_weather',
      description: 'Current weather',
      inputSchema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      },
    });
    expect(definition).toEqual({
      name: 'get_weather',
      description: 'Current weather',
      idempotent: false,
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      },
    });
  });

  it('defaults properties to {} and description to the title or empty', () => {
    expect(mcpToolToFunctionDefinition({ name: 'ping', inputSchema: { type: 'object' } })).toEqual({
      name: 'ping',
      description: '',
      parameters: { type: 'object', properties: {} },
      idempotent: false,
    });
    expect(mcpToolToFunctionDefinition({ name: 'ping', title: 'Ping it' }).description).toBe('Ping it');
  });

  it('treats idempotent and read-only tools as safe to retry', () => {
    expect(mcpToolToFunctionDefinition({ name: 'a', annotations: { idempotentHint: true } }).idempotent).toBe(true);
    expect(mcpToolToFunctionDefinition({ name: 'b', annotations: { readOnlyHint: true } }).idempotent).toBe(true);
    expect(mcpToolToFunctionDefinition({ name: 'c', annotations: { destructiveHint: true } }).idempotent).toBe(false);
  });

  it('forces an object schema when the server sends something else', () => {
    const definition = mcpToolToFunctionDefinition({
      name: 'odd',
      inputSchema: { type: 'string', properties: 'nonsense' },
    });
    expect(definition.parameters).toEqual({ type: 'object', properties: {} });
  });
});

describe('mcpCallResultToOutcome', () => {
  it('joins text parts with newlines', () => {
    expect(
      mcpCallResultToOutcome({
        content: [
          { type: 'text', text: 'first' },
          { type: 'text', text: 'second' },
        ],
      }),
    ).toEqual({ content: 'first\nsecond', isError: false });
  });

  it('turns binary parts into placeholders and uses resource text', () => {
    const outcome = mcpCallResultToOutcome({
      content: [
        { type: 'text', text: 'see attachments' },
        { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
        { type: 'audio', data: 'aGVsbG8=', mimeType: 'audio/wav' },
        { type: 'resource', resource: { uri: 'file:///notes.txt', text: 'note body' } },
        { type: 'resource', resource: { uri: 'file:///photo.jpg', blob: 'aGVsbG8=' } },
        { type: 'resource_link', uri: 'file:///big.csv', name: 'big.csv' },
      ],
    });
    expect(outcome.content).toBe(
      [
        'see attachments',
        '[image: image/png]',
        '[audio: audio/wav]',
        'note body',
        '[resource: file:///photo.jpg]',
        '[resource: file:///big.csv]',
      ].join('\n'),
    );
  });

  it('uses structuredContent as JSON when there is no text', () => {
    expect(mcpCallResultToOutcome({ content: [], structuredContent: { temperature: 21 } })).toEqual({
      content: '{"temperature":21}',
      isError: false,
    });
    expect(
      mcpCallResultToOutcome({
        content: [{ type: 'image', data: 'x', mimeType: 'image/png' }],
        structuredContent: { ok: true },
      }).content,
    ).toBe('{"ok":true}\n[image: image/png]');
  });

  it('prefers text over structuredContent', () => {
    expect(
      mcpCallResultToOutcome({ content: [{ type: 'text', text: '21 degrees' }], structuredContent: { t: 21 } })
        .content,
    ).toBe('21 degrees');
  });

  it('carries isError', () => {
    expect(
      mcpCallResultToOutcome({ content: [{ type: 'text', text: 'tool failed on purpose' }], isError: true }),
    ).toEqual({ content: 'tool failed on purpose', isError: true });
  });

  it('handles empty and legacy results', () => {
    expect(mcpCallResultToOutcome({ content: [] })).toEqual({ content: '', isError: false });
    expect(mcpCallResultToOutcome({ toolResult: { legacy: 1 } }).content).toBe('{"legacy":1}');
  });
});
