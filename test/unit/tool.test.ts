import { z } from 'zod';
import { tool } from '../../src/agent/tool';
import { ZapConfigurationError } from '../../src/core/errors';

const execute = async () => 'ok';

describe('tool', () => {
  it('builds a local tool whose JSON schema comes from the zod object schema', () => {
    const getWeather = tool({
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: z.object({
        city: z.string().describe('City name'),
        units: z.enum(['celsius', 'fahrenheit']).optional(),
      }),
      execute,
    });

    expect(getWeather.kind).toBe('zap-tool');
    expect(getWeather.name).toBe('get_weather');
    expect(getWeather.description).toBe('Current weather for a city');
    expect(getWeather.idempotent).toBe(false);
    expect(getWeather.execute).toBe(execute);
    expect(getWeather.jsonSchema).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name' },
        units: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city'],
    });
    expect(getWeather.jsonSchema).not.toHaveProperty('$schema');
  });

  it('describes inputs, so fields with defaults are optional to the model', () => {
    const counter = tool({
      name: 'count',
      description: 'Counts',
      parameters: z.object({ start: z.number().default(0), step: z.number() }),
      execute,
    });
    expect(counter.jsonSchema.required).toEqual(['step']);
  });

  it('keeps its result bound, and has none of its own by default', () => {
    const options = { name: 'read', description: 'Reads', parameters: z.object({}), execute };
    expect(tool(options).maxResultBytes).toBeUndefined();
    expect(tool({ ...options, maxResultBytes: 512 * 1024 }).maxResultBytes).toBe(512 * 1024);
  });

  it.each([512, 2 * 1024 * 1024, 4096.5])('rejects maxResultBytes %p', (maxResultBytes) => {
    expect(() => tool({ name: 'read', description: 'Reads', parameters: z.object({}), execute, maxResultBytes })).toThrow(
      /tool 'read': maxResultBytes must be an integer from 1024 to 1048576 \(bytes\)/,
    );
  });

  it('keeps the idempotent flag', () => {
    expect(tool({ name: 'read', description: 'Reads', parameters: z.object({}), execute, idempotent: true }).idempotent).toBe(
      true,
    );
  });

  it('runs as an ordinary activity unless it asks for local activities, which need idempotent', () => {
    const options = { name: 'read', description: 'Reads', parameters: z.object({}), execute };
    expect(tool(options).localActivity).toBe(false);
    expect(tool({ ...options, idempotent: true, localActivity: true }).localActivity).toBe(true);
    expect(() => tool({ ...options, localActivity: true })).toThrow(ZapConfigurationError);
    expect(() => tool({ ...options, idempotent: false, localActivity: true })).toThrow(
      /tool 'read': localActivity needs idempotent: true/,
    );
  });

  it('rejects parameters that are not an object schema', () => {
    expect(() => tool({ name: 'echo', description: 'Echoes', parameters: z.string(), execute })).toThrow(
      ZapConfigurationError,
    );
    expect(() => tool({ name: 'echo', description: 'Echoes', parameters: z.array(z.string()), execute })).toThrow(
      /parameters must be a zod object schema/,
    );
  });

  it('rejects parameters that have no JSON Schema form', () => {
    expect(() =>
      tool({ name: 'when', description: 'Dates', parameters: z.object({ at: z.date() }), execute }),
    ).toThrow(/cannot be converted to JSON Schema/);
  });

  it.each(['', 'get weather', 'get.weather', 'x'.repeat(65), 'météo'])('rejects the tool name %j', (name) => {
    expect(() => tool({ name, description: 'Something', parameters: z.object({}), execute })).toThrow(
      ZapConfigurationError,
    );
  });

  it('accepts names of letters, digits, "_" and "-" up to 64 characters', () => {
    expect(tool({ name: `A-b_9${'x'.repeat(59)}`, description: 'd', parameters: z.object({}), execute }).name).toHaveLength(64);
  });

  it('rejects an empty description and a missing execute', () => {
    expect(() => tool({ name: 'a', description: '  ', parameters: z.object({}), execute })).toThrow(/description/);
    expect(() =>
      tool({ name: 'a', description: 'd', parameters: z.object({}), execute: undefined as unknown as typeof execute }),
    ).toThrow(/execute function/);
  });
});
