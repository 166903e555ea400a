import { resolveLlmEndpoint } from '../../src/llm/llm-endpoint';

const ENVIRONMENT: NodeJS.ProcessEnv = { OPENAI_BASE_URL: 'http://env:4000/v1', OPENAI_API_KEY: 'env-key' };

describe('resolveLlmEndpoint', () => {
  it('uses the environment when neither agent nor Zap sets an endpoint', () => {
    expect(resolveLlmEndpoint(undefined, undefined, ENVIRONMENT)).toEqual({
      baseURL: 'http://env:4000/v1',
      apiKey: 'env-key',
      headers: {},
    });
  });

  it('prefers the Zap endpoint over the environment', () => {
    expect(resolveLlmEndpoint(undefined, { baseURL: 'http://zap/v1', apiKey: 'zap-key' }, ENVIRONMENT)).toEqual({
      baseURL: 'http://zap/v1',
      apiKey: 'zap-key',
      headers: {},
    });
  });

  it('prefers the agent endpoint over the Zap, field by field', () => {
    const resolved = resolveLlmEndpoint({ apiKey: 'agent-key' }, { baseURL: 'http://zap/v1', apiKey: 'zap-key' }, ENVIRONMENT);
    expect(resolved).toEqual({ baseURL: 'http://zap/v1', apiKey: 'agent-key', headers: {} });
  });

  it('takes fields the agent and Zap leave out from the environment', () => {
    expect(resolveLlmEndpoint({ baseURL: 'http://agent/v1' }, {}, ENVIRONMENT)).toEqual({
      baseURL: 'http://agent/v1',
      apiKey: 'env-key',
      headers: {},
    });
  });

  it('ignores empty environment variables', () => {
    expect(resolveLlmEndpoint(undefined, undefined, { OPENAI_BASE_URL: '', OPENAI_API_KEY: '  ' })).toEqual({
      baseURL: undefined,
      apiKey: undefined,
      headers: {},
    });
  });

  it('merges headers, the agent winning on conflicts', () => {
    const resolved = resolveLlmEndpoint(
      { headers: { 'x-team': 'support', 'x-shared': 'agent' } },
      { headers: { 'x-litellm-key': 'k', 'x-shared': 'zap' } },
      {},
    );
    expect(resolved.headers).toEqual({ 'x-team': 'support', 'x-litellm-key': 'k', 'x-shared': 'agent' });
  });
});
