import type { LocalToolDefinition, RequestMessage } from '../../src/local-model/chat-completion-request';
import { buildPromptHistory, toolCallKey } from '../../src/local-model/prompt-history';

const getWeather: LocalToolDefinition = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function weatherCall(id: string, city: string) {
  return { id, type: 'function' as const, function: { name: 'get_weather', arguments: JSON.stringify({ city }) } };
}

function history(messages: RequestMessage[], tools: LocalToolDefinition[] = []) {
  return buildPromptHistory({ messages }, tools);
}

describe('buildPromptHistory', () => {
  it('lays out a plain conversation as a system prompt and alternating turns', () => {
    const { conversation, answeredCalls } = history([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Bye' },
    ]);
    expect(conversation).toEqual([
      { type: 'system', text: 'You are terse.' },
      { type: 'user', text: 'Hi' },
      { type: 'model', response: ['Hello.'] },
      { type: 'user', text: 'Bye' },
    ]);
    expect(answeredCalls.size).toBe(0);
  });

  it('has no system item when there is no system text and no tool', () => {
    expect(history([{ role: 'user', content: 'Hi' }]).conversation).toEqual([{ type: 'user', text: 'Hi' }]);
    expect(history([{ role: 'system', content: '  ' }, { role: 'user', content: 'Hi' }]).conversation).toEqual([
      { type: 'user', text: 'Hi' },
    ]);
  });

  it('joins leading system and developer messages into one system prompt, and keeps later ones in place', () => {
    const { conversation } = history([
      { role: 'system', content: 'Rule one.' },
      { role: 'developer', content: [{ type: 'text', text: 'Rule two.' }] },
      { role: 'user', content: 'Hi' },
      { role: 'system', content: 'Now be formal.' },
      { role: 'user', content: 'Hello?' },
    ]);
    expect(conversation).toEqual([
      { type: 'system', text: 'Rule one.\n\nRule two.' },
      { type: 'user', text: 'Hi' },
      { type: 'system', text: 'Now be formal.' },
      { type: 'user', text: 'Hello?' },
    ]);
  });

  it('lists the tools after the system text', () => {
    const { conversation } = history(
      [
        { role: 'system', content: 'You report the weather.' },
        { role: 'user', content: 'Paris?' },
      ],
      [getWeather],
    );
    expect(conversation[0]).toEqual({
      type: 'system',
      text: 'You report the weather.\n\nTools you can call:\n- get_weather: Current weather Arguments: {"city": string}',
    });
  });

  it('shows a tool call as the decision the model makes, and the results of consecutive tool messages as one user turn', () => {
    const { conversation } = history(
      [
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        { role: 'assistant', content: null, tool_calls: [weatherCall('call_a', 'Paris'), weatherCall('call_b', 'Oslo')] },
        { role: 'tool', tool_call_id: 'call_a', content: 'Sunny' },
        { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: 'Rain' }] },
        { role: 'assistant', content: 'Sunny in Paris, rain in Oslo.' },
      ],
      [getWeather],
    );
    expect(conversation.slice(1)).toEqual([
      { type: 'user', text: 'Weather in Paris and Oslo?' },
      {
        type: 'model',
        response: [
          '{"type":"tool_call","name":"get_weather","arguments":{"city":"Paris"}}\n' +
            '{"type":"tool_call","name":"get_weather","arguments":{"city":"Oslo"}}',
        ],
      },
      {
        type: 'user',
        text: 'Result of get_weather({"city":"Paris"}): Sunny\nResult of get_weather({"city":"Oslo"}): Rain',
      },
      { type: 'model', response: ['Sunny in Paris, rain in Oslo.'] },
    ]);
  });

  it('keeps the text of an assistant message that also calls a tool, and arguments that are not JSON as text', () => {
    const { conversation } = history([
      { role: 'user', content: 'Go' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'get_weather', arguments: 'Paris' } }],
      },
      { role: 'tool', tool_call_id: 'call_x', content: 'Sunny' },
    ]);
    expect(conversation.slice(1)).toEqual([
      { type: 'model', response: ['Checking.\n{"type":"tool_call","name":"get_weather","arguments":"Paris"}'] },
      { type: 'user', text: 'Result of get_weather(Paris): Sunny' },
    ]);
  });

  it('names "the tool" for a result whose call is not in the conversation', () => {
    const { conversation, answeredCalls } = history([
      { role: 'user', content: 'Go' },
      { role: 'tool', tool_call_id: 'call_unknown', content: '42' },
    ]);
    expect(conversation.at(-1)).toEqual({ type: 'user', text: 'Result of the tool: 42' });
    expect(answeredCalls.size).toBe(0);
  });

  it('shows content parts that are not text as placeholders', () => {
    const { conversation } = history([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ]);
    expect(conversation).toEqual([{ type: 'user', text: 'What is in this picture?\n[image_url]' }]);
  });

  it('records the calls answered since the last user message', () => {
    const answered = history([
      { role: 'user', content: 'Paris?' },
      { role: 'assistant', content: null, tool_calls: [weatherCall('call_a', 'Paris')] },
      { role: 'tool', tool_call_id: 'call_a', content: 'Sunny' },
    ]).answeredCalls;
    expect([...answered]).toEqual([toolCallKey('get_weather', { city: 'Paris' })]);

    const afterNewQuestion = history([
      { role: 'user', content: 'Paris?' },
      { role: 'assistant', content: null, tool_calls: [weatherCall('call_a', 'Paris')] },
      { role: 'tool', tool_call_id: 'call_a', content: 'Sunny' },
      { role: 'assistant', content: 'Sunny.' },
      { role: 'user', content: 'And now?' },
    ]).answeredCalls;
    expect(afterNewQuestion.size).toBe(0);
  });
});

describe('toolCallKey', () => {
  it('is the same whatever the order of the argument keys', () => {
    expect(toolCallKey('search', { query: 'x', limit: 3 })).toBe(toolCallKey('search', { limit: 3, query: 'x' }));
    expect(toolCallKey('search', { query: 'x', limit: 3 })).toBe('search:{"limit":3,"query":"x"}');
  });

  it('tells calls with different names or arguments apart', () => {
    expect(toolCallKey('a', {})).not.toBe(toolCallKey('b', {}));
    expect(toolCallKey('a', { n: 1 })).not.toBe(toolCallKey('a', { n: 2 }));
  });
});
