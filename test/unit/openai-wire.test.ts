import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildChatCompletionBody, type AssistantCompletion } from '../../src/openai-wire/chat-completion-body';
import {
  buildChatCompletionChunk,
  buildRoleDelta,
  buildToolCallArgumentsDelta,
  buildToolCallsDelta,
  buildUsageChunk,
} from '../../src/openai-wire/chat-completion-chunks';
import { normalizeRequestPath } from '../../src/openai-wire/endpoint-paths';
import { buildErrorBody } from '../../src/openai-wire/error-body';
import { formatEvent } from '../../src/openai-wire/server-sent-events';

const IDENTITY = { id: 'chatcmpl-abc', created: 1_700_000_000, model: 'tiny' };
const WEATHER_CALL = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };

describe('buildChatCompletionBody', () => {
  it('writes a text answer with usage and its total', () => {
    const completion: AssistantCompletion = {
      content: 'Sunny.',
      toolCalls: [],
      finishReason: 'length',
      usage: { promptTokens: 10, completionTokens: 3 },
    };
    expect(buildChatCompletionBody(completion, IDENTITY)).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'tiny',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Sunny.', refusal: null },
          finish_reason: 'length',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
  });

  it('writes tool calls as function calls, and no tool_calls field when there are none', () => {
    const body = buildChatCompletionBody(
      { content: null, toolCalls: [WEATHER_CALL], finishReason: 'tool_calls', usage: { promptTokens: 1, completionTokens: 1 } },
      IDENTITY,
    ) as { choices: Array<{ message: Record<string, unknown> }> };
    expect(body.choices[0]?.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    });
  });
});

describe('chat.completion.chunk builders', () => {
  it('writes one choice with the delta, and usage: null on every chunk when usage is asked for', () => {
    expect(buildChatCompletionChunk(IDENTITY, { content: 'Hi' }, null, false)).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'tiny',
      choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null, logprobs: null }],
    });
    expect(buildChatCompletionChunk(IDENTITY, {}, 'stop', true)).toMatchObject({
      choices: [{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }],
      usage: null,
    });
  });

  it('ends a stream with a usage chunk that has no choices', () => {
    expect(buildUsageChunk(IDENTITY, { promptTokens: 5, completionTokens: 2 })).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'tiny',
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
  });

  it('opens with the role, and content null when the answer is tool calls only', () => {
    expect(buildRoleDelta(true)).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(buildRoleDelta(false)).toEqual({ role: 'assistant', content: null, refusal: null });
  });

  it('numbers tool calls from the first index, and continues arguments by index', () => {
    expect(buildToolCallsDelta([WEATHER_CALL, { ...WEATHER_CALL, id: 'call_2' }])).toEqual({
      tool_calls: [
        { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { index: 1, id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    });
    expect(buildToolCallsDelta([{ ...WEATHER_CALL, arguments: '' }], 3)).toEqual({
      tool_calls: [{ index: 3, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
    });
    expect(buildToolCallArgumentsDelta(3, '{"ci')).toEqual({ tool_calls: [{ index: 3, function: { arguments: '{"ci' } }] });
  });
});

describe('buildErrorBody', () => {
  it('picks the OpenAI error type from the status unless given', () => {
    expect(buildErrorBody(400, 'bad')).toEqual({ error: { message: 'bad', type: 'invalid_request_error', code: null, param: null } });
    expect(buildErrorBody(429, 'slow down').error.type).toBe('rate_limit_exceeded');
    expect(buildErrorBody(503, 'down').error.type).toBe('server_error');
    expect(buildErrorBody(401, 'no', 'auth_error', 'invalid_api_key').error).toMatchObject({ type: 'auth_error', code: 'invalid_api_key' });
  });
});

describe('normalizeRequestPath', () => {
  it('drops the query string and a trailing slash', () => {
    expect(normalizeRequestPath('/v1/chat/completions?x=1')).toBe('/v1/chat/completions');
    expect(normalizeRequestPath('/v1/models/')).toBe('/v1/models');
    expect(normalizeRequestPath('/')).toBe('/');
    expect(normalizeRequestPath(undefined)).toBe('/');
  });
});

describe('formatEvent', () => {
  it('writes one data line and the blank line that ends the event', () => {
    expect(formatEvent('[DONE]')).toBe('data: [DONE]\n\n');
  });
});

describe('the openai-wire folder', () => {
  it('imports nothing from the servers that use it', () => {
    const folder = resolve(__dirname, '../../src/openai-wire');
    for (const file of readdirSync(folder)) {
      const specifiers = [...readFileSync(join(folder, file), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1]!);
      for (const specifier of specifiers) {
        expect({ file, specifier }).toEqual({ file, specifier: expect.stringMatching(/^(node:|\.\/|\.\.\/core\/)/) });
      }
    }
  });
});
