import { contentText, parseChatCompletionRequest, type LocalChatRequest } from '../../src/local-model/chat-completion-request';

const USER_MESSAGES = [{ role: 'user', content: 'Hi' }];

function parsedRequest(body: unknown): LocalChatRequest {
  const parsed = parseChatCompletionRequest(body);
  if (!parsed.ok) throw new Error(`expected a valid request, got: ${parsed.message}`);
  return parsed.request;
}

function errorMessage(body: unknown): string {
  const parsed = parseChatCompletionRequest(body);
  if (parsed.ok) throw new Error(`expected an invalid request, got: ${JSON.stringify(parsed.request)}`);
  return parsed.message;
}

describe('parseChatCompletionRequest', () => {
  it('accepts a body with messages only, with defaults for everything else', () => {
    expect(parsedRequest({ messages: USER_MESSAGES })).toEqual({
      model: undefined,
      messages: USER_MESSAGES,
      tools: [],
      toolChoice: 'auto',
      temperature: undefined,
      maxTokens: undefined,
      seed: undefined,
      stream: false,
      includeUsage: false,
    });
  });

  it('normalises what zap-agents sends: tools, sampling, streaming with usage', () => {
    const request = parsedRequest({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You help.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
        { type: 'function', function: { name: 'ping' } },
      ],
      tool_choice: 'required',
      temperature: 0.7,
      max_tokens: 256,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(request).toMatchObject({
      model: 'gpt-4o-mini',
      toolChoice: 'required',
      temperature: 0.7,
      maxTokens: 256,
      seed: 7,
      stream: true,
      includeUsage: true,
    });
    expect(request.messages).toHaveLength(4);
    expect(request.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Current weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { name: 'ping', description: '', parameters: { type: 'object', properties: {} } },
    ]);
  });

  it('prefers max_completion_tokens to max_tokens', () => {
    expect(parsedRequest({ messages: USER_MESSAGES, max_tokens: 100, max_completion_tokens: 50 }).maxTokens).toBe(50);
  });

  it('treats null as not set', () => {
    expect(
      parsedRequest({
        messages: USER_MESSAGES,
        temperature: null,
        max_tokens: null,
        max_completion_tokens: null,
        seed: null,
        stream: null,
        stream_options: null,
      }),
    ).toMatchObject({ temperature: undefined, maxTokens: undefined, seed: undefined, stream: false, includeUsage: false });
  });

  it('takes a named tool_choice as { name }', () => {
    const request = parsedRequest({
      messages: USER_MESSAGES,
      tools: [{ type: 'function', function: { name: 'ping' } }],
      tool_choice: { type: 'function', function: { name: 'ping' } },
    });
    expect(request.toolChoice).toEqual({ name: 'ping' });
  });

  it('ignores fields it does not know, and defaults a tool call type to "function"', () => {
    const request = parsedRequest({
      messages: [
        { role: 'user', content: 'Hi', name: 'ada' },
        { role: 'assistant', tool_calls: [{ id: 'call_1', function: { name: 'ping', arguments: '{}' } }] },
      ],
      top_p: 0.9,
      user: 'someone',
      parallel_tool_calls: false,
    });
    expect(request.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'ping', arguments: '{}' } }] },
    ]);
  });

  it.each([
    ['null', null, /^Invalid chat completion request: .*expected object/],
    ['an array', [], /^Invalid chat completion request: .*expected object/],
    ['a string', 'hello', /^Invalid chat completion request: .*expected object/],
    ['no messages', {}, /^Invalid chat completion request at messages: /],
    ['empty messages', { messages: [] }, /^Invalid chat completion request at messages: /],
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, /^Invalid chat completion request at messages\.0\.role: /],
    ['a tool message without tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, /at messages\.0\.tool_call_id: /],
    ['a number as content', { messages: [{ role: 'user', content: 42 }] }, /at messages\.0\.content: /],
    ['a temperature above 2', { messages: USER_MESSAGES, temperature: 3 }, /at temperature: /],
    ['a max_tokens of 0', { messages: USER_MESSAGES, max_tokens: 0 }, /at max_tokens: /],
    ['a fractional seed', { messages: USER_MESSAGES, seed: 1.5 }, /at seed: /],
    ['stream as a string', { messages: USER_MESSAGES, stream: 'yes' }, /at stream: /],
    ['a tool with an empty name', { messages: USER_MESSAGES, tools: [{ type: 'function', function: { name: '' } }] }, /at tools\.0\.function\.name: /],
    ['an unknown tool_choice', { messages: USER_MESSAGES, tool_choice: 'sometimes' }, /at tool_choice: /],
  ])('rejects %s with where and why', (_label, body, expected) => {
    expect(errorMessage(body)).toMatch(expected);
  });

  it('rejects a tool_choice naming a tool the request does not offer', () => {
    expect(
      errorMessage({
        messages: USER_MESSAGES,
        tools: [{ type: 'function', function: { name: 'ping' } }],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      }),
    ).toBe("tool_choice names 'get_weather', which is not among the request's tools");
  });

  it('rejects tool_choice "required" without tools', () => {
    expect(errorMessage({ messages: USER_MESSAGES, tool_choice: 'required' })).toBe("tool_choice 'required' needs at least one tool");
  });
});

describe('contentText', () => {
  it('is empty for no content, and the string itself for text', () => {
    expect(contentText(null)).toBe('');
    expect(contentText(undefined)).toBe('');
    expect(contentText('plain')).toBe('plain');
  });

  it('joins text parts with newlines and shows other parts by their type', () => {
    expect(
      contentText([
        { type: 'text', text: 'one' },
        { type: 'input_audio' },
        { type: 'text', text: 'two' },
      ]),
    ).toBe('one\n[input_audio]\ntwo');
  });
});
