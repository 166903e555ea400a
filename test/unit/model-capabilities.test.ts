import { modelSupportsVision } from '../../src/llm/model-capabilities';

describe('modelSupportsVision', () => {
  it.each([
    'gpt-4o',
    'gpt-4o-mini',
    'openai/gpt-4o-mini',
    'GPT-4O',
    'gpt-4.1',
    'gpt-5',
    'claude-3-5-sonnet-20241022',
    'anthropic/claude-sonnet-4-5',
    'gemini-2.0-flash',
    'o1',
  ])('knows %s sees images', (model) => {
    expect(modelSupportsVision(model)).toBe(true);
  });

  it.each(['gpt-3.5-turbo', 'openai/gpt-3.5-turbo', 'o1-mini', 'text-embedding-3-small', 'llama-3-8b', ''])(
    'knows %j does not',
    (model) => {
      expect(modelSupportsVision(model)).toBe(false);
    },
  );

  it('lets the override win in both directions', () => {
    expect(modelSupportsVision('gpt-3.5-turbo', true)).toBe(true);
    expect(modelSupportsVision('gpt-4o', false)).toBe(false);
    expect(modelSupportsVision('my-local-model', true)).toBe(true);
  });
});
