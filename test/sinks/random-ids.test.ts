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
    const a = new RandomIds();
    const b = new RandomIds();
    expect(a.spanId()).not.toBe(b.spanId());
  });
});
