import { cutToBudget, jsonBytes, jsonDepth, jsonStringBytes, utf8Length } from '../../../common/budgets';

const samples = ['plain', 'é', '漢字', '😀', '\u0001\u001f', '"\\\n\t', '\ud800', '\udc00x', 'a😀b\u0000c'];

describe('budgets', () => {
  it('measures strings as Temporal stores them (UTF-8 of JSON.stringify)', () => {
    for (const s of samples) {
      expect(jsonBytes(s)).toBe(Buffer.byteLength(JSON.stringify(s)));
      expect(jsonStringBytes(s)).toBe(jsonBytes(s) - 2);
    }
    expect(utf8Length('a😀é漢')).toBe(Buffer.byteLength('a😀é漢'));
    expect(jsonBytes({ a: ['\u0001', 1] })).toBe(Buffer.byteLength(JSON.stringify({ a: ['\u0001', 1] })));
    expect(jsonBytes(undefined)).toBe(0);
  });

  it('cuts at the budget with the marker, never inside a surrogate pair', () => {
    expect(cutToBudget('short', 100, '…')).toEqual({ text: 'short', cut: false, bytes: 5 });
    const emoji = '😀'.repeat(100);
    const out = cutToBudget(emoji, 41, ' [cut]');
    expect(out.cut).toBe(true);
    expect(out.text).toBe('😀'.repeat(8) + ' [cut]');
    expect(jsonStringBytes(out.text)).toBeLessThanOrEqual(41);
    const controls = '\u0001'.repeat(1000);
    expect(jsonStringBytes(cutToBudget(controls, 600, '').text)).toBe(600);
  });

  it('is linear on a megabyte', () => {
    const big = '\u0001😀'.repeat(200_000);
    const t0 = performance.now();
    cutToBudget(big, 1000, '…');
    jsonBytes(big);
    // Generous: the machine may be loaded; quadratic work on 400k characters would take minutes.
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('measures depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonDepth(deep, 64)).toBe(65);
    expect(jsonDepth({ a: { b: [1] } })).toBe(3);
    expect(jsonDepth('x')).toBe(0);
  });
});
