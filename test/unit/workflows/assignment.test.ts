import { routingFacts } from '../../../workflows/assignment';

describe('routing facts', () => {
  it('keeps scalar metadata only, a bounded number of keys, values cut', () => {
    const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(routingFacts(metadata).metadata)).toHaveLength(16);
    const facts = routingFacts({
      department: 'billing',
      vip: true,
      nested: { department: 'refunds' },
      list: ['a'],
      nothing: null,
      long: 'x'.repeat(10_000),
    });
    expect(facts.metadata).toEqual({ department: 'billing', vip: true, long: 'x'.repeat(200) });
    expect(routingFacts(undefined)).toEqual({ metadata: {} });
  });
});
