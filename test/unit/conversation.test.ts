import {
  contentText,
  conversationText,
  conversationToolCalls,
  conversationTurns,
} from '../../src/core/conversation';
import type { ChatMessage } from '../../src/core/messages';

const system: ChatMessage = { role: 'system', content: 'You are helpful.' };
const askWeather: ChatMessage = { role: 'user', content: 'Weather in Paris and Rome?' };
const callWeather: ChatMessage = {
  role: 'assistant',
  content: null,
  tool_calls: [
    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
  ],
};
// Results arrive out of order: they must be matched by id, not position.
const romeResult: ChatMessage = { role: 'tool', tool_call_id: 'call_2', content: 'Rainy' };
const parisResult: ChatMessage = { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' };
const answerWeather: ChatMessage = { role: 'assistant', content: 'Paris is sunny, Rome is rainy.' };
const askFollowUp: ChatMessage = {
  role: 'user',
  content: [
    { type: 'text', text: 'And this city?' },
    { type: 'image_url', image_url: { url: 'https://example.com/city.png' } },
    { type: 'text', text: 'Thanks.' },
  ],
};
const callBroken: ChatMessage = {
  role: 'assistant',
  content: 'Let me check.',
  tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'identify_city', arguments: '{not json' } }],
};
const answerFollowUp: ChatMessage = { role: 'assistant', content: 'That is Lisbon.' };

const history: ChatMessage[] = [
  system,
  askWeather,
  callWeather,
  romeResult,
  parisResult,
  answerWeather,
  askFollowUp,
  callBroken,
  answerFollowUp,
];

describe('contentText', () => {
  it('joins text parts with newlines and skips images', () => {
    expect(contentText(askFollowUp.content as never)).toBe('And this city?\nThanks.');
    expect(contentText('plain')).toBe('plain');
    expect(contentText(null)).toBe('');
  });
});

describe('conversationText', () => {
  it('keeps user and assistant text, separated by blank lines, without system or tool traffic', () => {
    expect(conversationText(history)).toBe(
      [
        'Weather in Paris and Rome?',
        'Paris is sunny, Rome is rainy.',
        'And this city?\nThanks.',
        'Let me check.',
        'That is Lisbon.',
      ].join('\n\n'),
    );
  });

  it('is empty for a conversation with only a system prompt', () => {
    expect(conversationText([system])).toBe('');
  });
});

describe('conversationToolCalls', () => {
  it('lists every call in order with the result of the same id', () => {
    const calls = conversationToolCalls(history);
    expect(calls.map((call) => [call.toolCallId, call.name, call.result])).toEqual([
      ['call_1', 'get_weather', 'Sunny'],
      ['call_2', 'get_weather', 'Rainy'],
      ['call_3', 'identify_city', undefined],
    ]);
    expect(calls[0]?.arguments).toEqual({ city: 'Paris' });
    expect(calls[0]?.rawArguments).toBe('{"city":"Paris"}');
  });

  it('gives {} for arguments that are not a JSON object and keeps the raw text', () => {
    const calls = conversationToolCalls(history);
    expect(calls[2]).toEqual({
      name: 'identify_city',
      arguments: {},
      rawArguments: '{not json',
      result: undefined,
      toolCallId: 'call_3',
    });

    const arrayArguments = conversationToolCalls([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'x', arguments: '[1,2]' } }],
      },
    ]);
    expect(arrayArguments[0]?.arguments).toEqual({});
    expect(arrayArguments[0]?.rawArguments).toBe('[1,2]');
  });

  it('is empty when no tool was called', () => {
    expect(conversationToolCalls([system, askWeather, answerWeather])).toEqual([]);
  });
});

describe('conversationTurns', () => {
  it('puts the system prompt and the first user message in turn 0', () => {
    const [first] = conversationTurns(history);
    expect(first?.index).toBe(0);
    expect(first?.userMessage).toBe(askWeather);
    expect(first?.messages[0]).toBe(system);
    expect(first?.messages[1]).toBe(askWeather);
  });

  it('keeps tool calls and results in the turn that asked for them', () => {
    const [first] = conversationTurns(history);
    expect(first?.messages).toEqual([system, askWeather, callWeather, romeResult, parisResult, answerWeather]);
  });

  it('starts a new turn at each follow-up user message', () => {
    const turns = conversationTurns(history);
    expect(turns).toHaveLength(2);
    expect(turns[1]).toEqual({ index: 1, userMessage: askFollowUp, messages: [askFollowUp, callBroken, answerFollowUp] });
  });

  it('starts turn 0 at the first user message when there is no system prompt', () => {
    const turns = conversationTurns([askWeather, answerWeather, askFollowUp]);
    expect(turns.map((turn) => turn.messages.length)).toEqual([2, 1]);
    expect(turns[0]?.userMessage).toBe(askWeather);
  });

  it('gives one turn without a user message for a conversation that is only a system prompt', () => {
    expect(conversationTurns([system])).toEqual([{ index: 0, userMessage: undefined, messages: [system] }]);
    expect(conversationTurns([])).toEqual([]);
  });
});
