import { ZapAgent } from '../../src';
import { compileZapOptions } from '../../src/client/zap-options';
import { SearchAttributesUnavailableError } from '../../src/core/errors';
import {
  ZAP_SEARCH_ATTRIBUTES,
  ZAP_SEARCH_ATTRIBUTE_NAMES,
  searchAttributeRegistrationCommand,
  taskMemo,
  taskSearchAttributes,
} from '../../src/core/search-attributes';

const agents = [new ZapAgent({ name: 'Support', prompt: 'You help.' })];

describe('zap-agents search attributes', () => {
  test('are five Keyword attributes', () => {
    expect(ZAP_SEARCH_ATTRIBUTE_NAMES).toEqual(['ZapAgent', 'ZapStatus', 'ZapTenant', 'ZapUser', 'ZapParent']);
    expect(ZAP_SEARCH_ATTRIBUTES.every((key) => key.type === 'KEYWORD')).toBe(true);
  });

  test('a task starts with its agent and status, and its owner and parent when it has them', () => {
    const values = (pairs: ReturnType<typeof taskSearchAttributes>) => pairs.map(({ key, value }) => [key.name, value]);
    expect(values(taskSearchAttributes({ agentName: 'Support', status: 'pending' }))).toEqual([
      ['ZapAgent', 'Support'],
      ['ZapStatus', 'pending'],
    ]);
    expect(values(taskSearchAttributes({ agentName: 'Helper', status: 'pending', tenantId: 't', userId: 'u', parentTaskId: 'p' }))).toEqual([
      ['ZapAgent', 'Helper'],
      ['ZapStatus', 'pending'],
      ['ZapTenant', 't'],
      ['ZapUser', 'u'],
      ['ZapParent', 'p'],
    ]);
  });

  test('the memo leaves absent values out', () => {
    expect(taskMemo({ agentName: 'Support' })).toEqual({ agentName: 'Support' });
    expect(taskMemo({ agentName: 'Support', tenantId: 't', userId: 'u', createdAt: '2026-01-01T00:00:00.000Z' })).toEqual({
      agentName: 'Support',
      tenantId: 't',
      userId: 'u',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });

  test('the registration command names every missing attribute', () => {
    expect(searchAttributeRegistrationCommand('prod', ['ZapAgent', 'ZapStatus'])).toBe(
      'temporal operator search-attribute create --namespace prod --name ZapAgent --name ZapStatus --type Keyword',
    );
  });

  test('SearchAttributesUnavailableError says what is missing, what needs it and how to register', () => {
    const error = new SearchAttributesUnavailableError({ namespace: 'prod', missing: ['ZapTenant'], action: 'listing tasks by tenant' });
    expect(error).toMatchObject({ code: 'SEARCH_ATTRIBUTES_UNAVAILABLE', namespace: 'prod', missing: ['ZapTenant'] });
    expect(error.message).toContain("namespace 'prod' lacks ZapTenant");
    expect(error.message).toContain('listing tasks by tenant needs them');
    expect(error.message).toContain('temporal operator search-attribute create --namespace prod --name ZapTenant --type Keyword');
    expect(error.message).toContain('tcld namespace search-attributes add');
  });
});

describe('ZapOptions.searchAttributes', () => {
  test("defaults to 'auto'", () => {
    expect(compileZapOptions({ agents }).searchAttributes).toBe('auto');
  });

  test.each(['auto', 'require', 'off'] as const)('accepts %s', (mode) => {
    expect(compileZapOptions({ agents, searchAttributes: mode }).searchAttributes).toBe(mode);
  });

  test('refuses anything else', () => {
    expect(() => compileZapOptions({ agents, searchAttributes: 'always' as never })).toThrow(
      `searchAttributes must be 'auto', 'require' or 'off', not "always".`,
    );
  });
});
