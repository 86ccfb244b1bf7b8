import { RANDOM_POOL_BYTES, RandomIds } from '../../extension-src/otlp/trace-context';

describe('RandomIds (pooled random bytes)', () => {
  test('ids have the right size and stay distinct across pool refills', () => {
    const ids = new RandomIds();
    const seen = new Set<string>();
    const count = (3 * RANDOM_POOL_BYTES) / 8;
    for (let i = 0; i < count; i++) {
      const spanId = ids.spanId();
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(spanId).not.toMatch(/^0+$/);
      seen.add(spanId);
    }
    expect(seen.size).toBe(count);
    const traceId = ids.traceId();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.has(traceId.slice(0, 16))).toBe(false);
  });

  test('two generators do not share their pool', () => {
    // Each source fills its pool with one byte value: ids show whose pool they were cut from.
    const draws: number[] = [];
    const source = (byte: number) => (size: number) => {
      draws.push(byte);
      return Buffer.alloc(size, byte);
    };
    const a = new RandomIds(source(0x11));
    const b = new RandomIds(source(0x22));
    expect(a.spanId()).toBe('11'.repeat(8));
    expect(b.spanId()).toBe('22'.repeat(8));
    expect(a.spanId()).toBe('11'.repeat(8));
    expect(draws).toEqual([0x11, 0x22]);
  });

  test('reseed draws a new pool (after a SnapStart restore, ids never come from the snapshot\'s bytes)', () => {
    let byte = 0x11;
    const ids = new RandomIds((size) => Buffer.alloc(size, byte));
    expect(ids.spanId()).toBe('11'.repeat(8));
    byte = 0x22;
    expect(ids.spanId()).toBe('11'.repeat(8)); // the pool is not used up
    ids.reseed();
    expect(ids.spanId()).toBe('22'.repeat(8));
  });
});
