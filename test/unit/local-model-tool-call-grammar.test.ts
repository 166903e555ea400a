import type { LocalToolDefinition } from '../../src/local-model/chat-completion-request';
import {
  buildDecisionSchema,
  describeTools,
  formatToolCallDecision,
  parseDecision,
  toGrammarSchema,
} from '../../src/local-model/tool-call-grammar';

const ANY_PRIMITIVE = { type: ['string', 'number', 'boolean', 'null'] };
const ANSWER = { type: 'object', properties: { type: { const: 'answer' } } };

const getWeather: LocalToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city ',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', description: ' The city ' },
      unit: { enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer' },
    },
    required: ['city', 'unit'],
  },
};
const ping: LocalToolDefinition = { name: 'ping', description: '', parameters: { type: 'object', properties: {} } };

function toolCallAlternative(name: string, argumentsSchema: Record<string, unknown>) {
  return { type: 'object', properties: { type: { const: 'tool_call' }, name: { const: name }, arguments: argumentsSchema } };
}

const WEATHER_ARGUMENTS = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { enum: ['celsius', 'fahrenheit'] } },
};

describe('buildDecisionSchema', () => {
  it('offers an answer or any tool under tool_choice "auto"', () => {
    expect(buildDecisionSchema([getWeather, ping], 'auto')).toEqual({
      oneOf: [ANSWER, toolCallAlternative('get_weather', WEATHER_ARGUMENTS), toolCallAlternative('ping', { type: 'object', properties: {} })],
    });
  });

  it('offers only tools under "required", and the one alternative itself when there is one tool', () => {
    expect(buildDecisionSchema([getWeather, ping], 'required')).toEqual({
      oneOf: [toolCallAlternative('get_weather', WEATHER_ARGUMENTS), toolCallAlternative('ping', { type: 'object', properties: {} })],
    });
    expect(buildDecisionSchema([getWeather], 'required')).toEqual(toolCallAlternative('get_weather', WEATHER_ARGUMENTS));
  });

  it('offers only the named tool when tool_choice names one', () => {
    expect(buildDecisionSchema([getWeather, ping], { name: 'ping' })).toEqual(
      toolCallAlternative('ping', { type: 'object', properties: {} }),
    );
  });

  it('treats parameters without a type as an object schema', () => {
    const loose: LocalToolDefinition = {
      name: 'loose',
      description: '',
      parameters: { properties: { id: { type: 'string' } }, required: ['id'] },
    };
    expect(buildDecisionSchema([loose], 'required')).toEqual(
      toolCallAlternative('loose', { type: 'object', properties: { id: { type: 'string' } } }),
    );
  });
});

describe('toGrammarSchema', () => {
  it('keeps primitive types and drops annotations', () => {
    expect(toGrammarSchema({ type: 'integer', description: 'how many', minimum: 1 })).toEqual({ type: 'integer' });
    expect(toGrammarSchema({ type: 'number' })).toEqual({ type: 'number' });
    expect(toGrammarSchema({ type: 'boolean' })).toEqual({ type: 'boolean' });
    expect(toGrammarSchema({ type: 'null' })).toEqual({ type: 'null' });
  });

  it('keeps const and the primitive values of enum', () => {
    expect(toGrammarSchema({ const: 'fixed', type: 'string' })).toEqual({ const: 'fixed' });
    expect(toGrammarSchema({ enum: ['a', 1, true, null, { nested: 1 }, ['x']] })).toEqual({ enum: ['a', 1, true, null] });
  });

  it('falls through an enum with no primitive values, and a const that is not primitive', () => {
    expect(toGrammarSchema({ enum: [{ a: 1 }], type: 'string' })).toEqual({ type: 'string' });
    expect(toGrammarSchema({ const: { a: 1 }, type: 'boolean' })).toEqual({ type: 'boolean' });
  });

  it('keeps string lengths and date formats, and no other format', () => {
    expect(toGrammarSchema({ type: 'string', minLength: 2, maxLength: 10, pattern: '^a' })).toEqual({
      type: 'string',
      minLength: 2,
      maxLength: 10,
    });
    expect(toGrammarSchema({ type: 'string', format: 'date-time', minLength: 2 })).toEqual({ type: 'string', format: 'date-time' });
    expect(toGrammarSchema({ type: 'string', format: 'date' })).toEqual({ type: 'string', format: 'date' });
    expect(toGrammarSchema({ type: 'string', format: 'email' })).toEqual({ type: 'string' });
    expect(toGrammarSchema({ type: 'string', minLength: -1, maxLength: 1.5 })).toEqual({ type: 'string' });
  });

  it('turns oneOf and anyOf into oneOf', () => {
    expect(toGrammarSchema({ oneOf: [{ type: 'string' }, { type: 'integer' }] })).toEqual({
      oneOf: [{ type: 'string' }, { type: 'integer' }],
    });
    expect(toGrammarSchema({ anyOf: [{ type: 'boolean' }, { const: 'x' }] })).toEqual({ oneOf: [{ type: 'boolean' }, { const: 'x' }] });
  });

  it('keeps a list of primitive types, unwraps a list of one, and splits a list with structured types', () => {
    expect(toGrammarSchema({ type: ['string', 'null'] })).toEqual({ type: ['string', 'null'] });
    expect(toGrammarSchema({ type: ['string'], maxLength: 3 })).toEqual({ type: 'string', maxLength: 3 });
    expect(toGrammarSchema({ type: ['array', 'null'], items: { type: 'number' } })).toEqual({
      oneOf: [{ type: 'array', items: { type: 'number' } }, { type: 'null' }],
    });
    expect(toGrammarSchema({ type: [42] })).toEqual(ANY_PRIMITIVE);
  });

  it('keeps array items and item counts', () => {
    expect(toGrammarSchema({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3, uniqueItems: true })).toEqual({
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      maxItems: 3,
    });
    expect(toGrammarSchema({ type: 'array' })).toEqual({ type: 'array', items: ANY_PRIMITIVE });
  });

  it('keeps only the required properties of an object, recursively', () => {
    expect(
      toGrammarSchema({
        type: 'object',
        properties: {
          address: {
            type: 'object',
            properties: { street: { type: 'string' }, note: { type: 'string' } },
            required: ['street'],
          },
          nickname: { type: 'string' },
        },
        required: ['address', 'missing'],
        additionalProperties: false,
      }),
    ).toEqual({
      type: 'object',
      properties: { address: { type: 'object', properties: { street: { type: 'string' } } } },
    });
    expect(toGrammarSchema({ type: 'object', additionalProperties: { type: 'string' } })).toEqual({ type: 'object', properties: {} });
  });

  it('accepts any primitive for what a grammar cannot enforce', () => {
    expect(toGrammarSchema({ $ref: '#/definitions/thing' })).toEqual(ANY_PRIMITIVE);
    expect(toGrammarSchema({ allOf: [{ type: 'string' }] })).toEqual(ANY_PRIMITIVE);
    expect(toGrammarSchema({})).toEqual(ANY_PRIMITIVE);
    expect(toGrammarSchema(true)).toEqual(ANY_PRIMITIVE);
    expect(toGrammarSchema(null)).toEqual(ANY_PRIMITIVE);
    expect(toGrammarSchema([{ type: 'string' }])).toEqual(ANY_PRIMITIVE);
  });

  it('stops following schemas nested deeper than 8 levels', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let level = 0; level < 12; level += 1) schema = { type: 'array', items: schema };
    let converted = toGrammarSchema(schema) as Record<string, unknown>;
    let depth = 0;
    while (converted.type === 'array') {
      converted = converted.items as Record<string, unknown>;
      depth += 1;
    }
    expect(depth).toBe(9);
    expect(converted).toEqual(ANY_PRIMITIVE);
  });
});

describe('describeTools', () => {
  it('lists each tool with its description and required arguments, one per line', () => {
    expect(describeTools([getWeather, ping])).toBe(
      [
        '- get_weather: Current weather for a city Arguments: {"city": string (The city), "unit": "celsius" | "fahrenheit"}',
        '- ping Arguments: {}',
      ].join('\n'),
    );
  });

  it('says "value" for an argument with no type', () => {
    const tool: LocalToolDefinition = { name: 'echo', description: 'Echoes', parameters: { properties: { what: {} }, required: ['what'] } };
    expect(describeTools([tool])).toBe('- echo: Echoes Arguments: {"what": value}');
  });
});

describe('parseDecision', () => {
  it('reads an answer decision', () => {
    expect(parseDecision('{"type":"answer"}')).toEqual({ type: 'answer' });
  });

  it('reads a tool call decision, with {} for missing or malformed arguments', () => {
    expect(parseDecision('{"type":"tool_call","name":"get_weather","arguments":{"city":"Paris"}}')).toEqual({
      type: 'tool_call',
      name: 'get_weather',
      arguments: { city: 'Paris' },
    });
    expect(parseDecision('{"type":"tool_call","name":"ping"}')).toEqual({ type: 'tool_call', name: 'ping', arguments: {} });
    expect(parseDecision('{"type":"tool_call","name":"ping","arguments":[1]}')).toEqual({ type: 'tool_call', name: 'ping', arguments: {} });
  });

  it('returns undefined for output that is not a decision', () => {
    expect(parseDecision('{"type":"tool_call","name":"get_weather","argum')).toBeUndefined();
    expect(parseDecision('')).toBeUndefined();
    expect(parseDecision('[]')).toBeUndefined();
    expect(parseDecision('"answer"')).toBeUndefined();
    expect(parseDecision('{"type":"shrug"}')).toBeUndefined();
    expect(parseDecision('{"type":"tool_call","name":7}')).toBeUndefined();
  });

  it('reads back what formatToolCallDecision writes', () => {
    const text = formatToolCallDecision('get_weather', { city: 'Oslo', days: 2 });
    expect(text).toBe('{"type":"tool_call","name":"get_weather","arguments":{"city":"Oslo","days":2}}');
    expect(parseDecision(text)).toEqual({ type: 'tool_call', name: 'get_weather', arguments: { city: 'Oslo', days: 2 } });
  });
});
