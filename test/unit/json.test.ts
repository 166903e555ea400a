import { findNonJsonValue } from '../../src/core/json';

class Order {
  constructor(readonly id: number) {}
}

describe('findNonJsonValue', () => {
  it('accepts plain nested JSON', () => {
    expect(
      findNonJsonValue({
        name: 'Ana',
        age: 41,
        admin: false,
        manager: null,
        tags: ['a', 'b', [1, 2, { deep: true }]],
        address: { city: 'Paris', geo: { lat: 48.85, lng: 2.35 } },
      }),
    ).toBeUndefined();
    expect(findNonJsonValue('text')).toBeUndefined();
    expect(findNonJsonValue(null)).toBeUndefined();
    expect(findNonJsonValue([])).toBeUndefined();
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.key = 'value';
    expect(findNonJsonValue(bare)).toBeUndefined();
  });

  it('accepts the same object reached twice without a cycle', () => {
    const shared = { id: 1 };
    expect(findNonJsonValue({ first: shared, second: shared, list: [shared, shared] })).toBeUndefined();
  });

  it('reports a Date, a Map and a class instance with their class name and path', () => {
    expect(findNonJsonValue({ when: new Date(0) })).toBe('$.when is an instance of Date, not a plain object');
    expect(findNonJsonValue({ lookup: new Map() })).toBe('$.lookup is an instance of Map, not a plain object');
    expect(findNonJsonValue({ orders: [new Order(1)] })).toBe('$.orders[0] is an instance of Order, not a plain object');
  });

  it('reports functions, BigInts and symbols', () => {
    expect(findNonJsonValue({ callback: () => 1 })).toBe('$.callback is a function');
    expect(findNonJsonValue({ big: BigInt(10) })).toBe('$.big is a bigint');
    expect(findNonJsonValue([Symbol('s')])).toBe('$[0] is a symbol');
  });

  it('skips undefined object properties but reports undefined array items', () => {
    expect(findNonJsonValue({ optional: undefined, kept: 1 })).toBeUndefined();
    expect(findNonJsonValue({ list: [1, undefined] })).toBe('$.list[1] is undefined');
  });

  it('reports NaN and infinities', () => {
    expect(findNonJsonValue({ score: Number.NaN })).toBe('$.score is NaN');
    expect(findNonJsonValue([Number.POSITIVE_INFINITY])).toBe('$[0] is Infinity');
    expect(findNonJsonValue({ low: Number.NEGATIVE_INFINITY })).toBe('$.low is -Infinity');
  });

  it('reports cycles where they close', () => {
    const node: Record<string, unknown> = { name: 'root', child: {} };
    (node.child as Record<string, unknown>).parent = node;
    expect(findNonJsonValue(node)).toBe('$.child.parent is a circular reference');

    const list: unknown[] = [1];
    list.push(list);
    expect(findNonJsonValue(list)).toBe('$[1] is a circular reference');
  });

  it('uses the given root path', () => {
    expect(findNonJsonValue({ when: new Date(0) }, 'context')).toBe(
      'context.when is an instance of Date, not a plain object',
    );
  });
});
