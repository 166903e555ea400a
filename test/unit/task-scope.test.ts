import { validateOwnerId, validateTaskScope } from '../../src/client/task-scope';
import { ZapValidationError } from '../../src/core/errors';

describe('tenant and user ids', () => {
  test('accept 1 to 200 characters of any printable text', () => {
    expect(validateOwnerId('acme', 'tenantId')).toBe('acme');
    expect(validateOwnerId('x'.repeat(200), 'tenantId')).toHaveLength(200);
    expect(validateOwnerId(`o'reilly "and" \\ 租户 🚀`, 'userId')).toBe(`o'reilly "and" \\ 租户 🚀`);
    expect(validateOwnerId(undefined, 'tenantId')).toBeUndefined();
  });

  test.each([
    ['an empty string', ''],
    ['201 characters', 'x'.repeat(201)],
    ['a line break', 'a\nb'],
    ['a tab', 'a\tb'],
    ['a NUL', 'a\u0000'],
    ['DEL', 'a\u007f'],
    ['a C1 control character', 'a\u0085'],
    ['a number', 42],
    ['null', null],
  ])('refuse %s', (_name, value) => {
    expect(() => validateOwnerId(value, 'tenantId')).toThrow(ZapValidationError);
    expect(() => validateOwnerId(value, 'tenantId')).toThrow('tenantId must be a string of 1 to 200 characters without control characters.');
  });
});

describe('validateTaskScope', () => {
  test('keeps only tenantId and userId, and is undefined when it restricts nothing', () => {
    expect(validateTaskScope(undefined)).toBeUndefined();
    expect(validateTaskScope({})).toBeUndefined();
    expect(validateTaskScope({ approvedBy: 'x' } as never)).toBeUndefined();
    expect(validateTaskScope({ tenantId: 'acme' })).toEqual({ tenantId: 'acme' });
    expect(validateTaskScope({ tenantId: 'acme', userId: 'ann', reason: 'r' } as never)).toEqual({ tenantId: 'acme', userId: 'ann' });
  });

  test('refuses a malformed scope', () => {
    expect(() => validateTaskScope('acme' as never)).toThrow(/task scope must be an object/);
    expect(() => validateTaskScope({ userId: '' })).toThrow(/userId must be a string/);
  });
});
