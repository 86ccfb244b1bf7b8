import { effectiveStrategy } from '../../extension-src/flush/effective-strategy';
import { PRESSURE_FLUSH_RATIO, underPressure } from '../../extension-src/flush/pressure';

describe('underPressure: buffer full, export now', () => {
  const limits = { maxItems: 10, maxBytes: 1_000 };
  test.each([
    [4, 499, false],
    [5, 0, true],
    [0, 500, true],
    [4, 500, true],
  ])('%i items of %i bytes in a 10-item, 1000-byte queue: %p', (size, bytes, expected) => {
    expect(underPressure({ size, bytes, limits })).toBe(expected);
  });

  test('the ratio is half', () => {
    expect(PRESSURE_FLUSH_RATIO).toBe(0.5);
  });
});

describe('effectiveStrategy', () => {
  const config = (strategy: 'end-of-invocation' | 'periodically' | 'continuously' | 'adaptive', types: Array<'platform' | 'function' | 'extension'> = ['platform']) => ({
    flush: { strategy, intervalMs: 1_000 },
    types,
  });

  test('the configured one where it can work', () => {
    expect(effectiveStrategy(config('end-of-invocation'), {})).toEqual({ name: 'end-of-invocation' });
    expect(effectiveStrategy(config('periodically', ['function']), {})).toEqual({ name: 'periodically' });
  });

  test('managed instances: continuously, with the reason', () => {
    expect(effectiveStrategy(config('adaptive'), { AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances' })).toEqual({ name: 'continuously', why: 'managed instances send no INVOKE events' });
  });

  test.each(['end-of-invocation', 'adaptive'] as const)('%s without platform events: continuously', (strategy) => {
    expect(effectiveStrategy(config(strategy, ['function']), {})).toEqual({ name: 'continuously', why: 'without platform events there is no platform.runtimeDone to wait for' });
  });
});
