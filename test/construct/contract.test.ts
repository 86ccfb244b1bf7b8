import { inRange, LIMITS } from '../../lib/config/contract';

describe('config contract', () => {
  test('inRange accepts the bounds and rejects outside or fractional values', () => {
    expect(inRange(1024, LIMITS.port)).toBe(true);
    expect(inRange(65535, LIMITS.port)).toBe(true);
    expect(inRange(1023, LIMITS.port)).toBe(false);
    expect(inRange(1024.5, LIMITS.port)).toBe(false);
  });
});
