import * as fc from 'fast-check';
import {
  backoffMs,
  classify,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  withRetry,
  type RetryClock,
  type RetryPolicy,
} from '../../extension-src/delivery/retry';
import type { AttemptResult } from '../../extension-src/delivery/transport';

/** A clock that only moves when someone sleeps (or an attempt says it took time). */
class FakeClock implements RetryClock {
  readonly sleeps: number[] = [];
  constructor(public t = 1_000_000, private readonly rnd = 0.5) {}
  now = () => this.t;
  random = () => this.rnd;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

const status = (code: number, retryAfter?: string): AttemptResult => ({ kind: 'response', status: code, retryAfter, body: Buffer.alloc(0) });
const connError: AttemptResult = { kind: 'error', code: 'connection', message: 'ECONNREFUSED' };
const timeout: AttemptResult = { kind: 'error', code: 'timeout', message: 'timeout after 5 ms' };

/** An attempt function answering from a script, recording the timeouts it was given. */
function scripted(clock: FakeClock, results: AttemptResult[], durationMs = 0) {
  const timeouts: number[] = [];
  const fn = async (timeoutMs: number) => {
    timeouts.push(timeoutMs);
    clock.t += durationMs;
    const next = results.shift();
    if (!next) throw new Error('attempt called more often than scripted');
    return next;
  };
  return { fn, timeouts };
}

describe('classify', () => {
  test.each([200, 202, 204])('%i is success', (code) => {
    expect(classify(status(code), 0).kind).toBe('success');
  });

  test.each([408, 429, 500, 502, 503, 504, 599])('%i is retryable', (code) => {
    expect(classify(status(code), 0).kind).toBe('retryable');
  });

  test.each([301, 400, 401, 403, 404, 409, 413, 415, 422])('%i is permanent', (code) => {
    expect(classify(status(code), 0)).toEqual({ kind: 'permanent', reason: `HTTP ${code}` });
  });

  test('connection errors and timeouts are retryable', () => {
    expect(classify(connError, 0)).toEqual({ kind: 'retryable', reason: 'ECONNREFUSED' });
    expect(classify(timeout, 0).kind).toBe('retryable');
  });

  test('Retry-After is read on 429 and 503', () => {
    expect(classify(status(429, '3'), 0)).toEqual({ kind: 'retryable', reason: 'HTTP 429', retryAfterMs: 3000 });
    expect(classify(status(503, '0'), 0)).toEqual({ kind: 'retryable', reason: 'HTTP 503', retryAfterMs: 0 });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');

  test('delta seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  test('HTTP date, relative to now; past dates are 0', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 10:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
  });

  test('absent or unreadable', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});

describe('backoffMs (full jitter)', () => {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 1000 };

  test('cap doubles per retry up to maxBackoffMs', () => {
    const caps = [1, 2, 3, 4, 5, 6].map((retry) => backoffMs(retry, policy, 0.999999));
    expect(caps).toEqual([99, 199, 399, 799, 999, 999]);
  });

  test('random 0 gives no wait', () => {
    expect(backoffMs(4, policy, 0)).toBe(0);
  });

  test('always within [0, cap]', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
      const delay = backoffMs(retry, policy, r);
      const cap = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (retry - 1));
      return Number.isInteger(delay) && delay >= 0 && delay <= cap;
    }));
  });
});

describe('withRetry', () => {
  test('retries 503 then succeeds; counts failed attempts; sleeps the jittered backoff', async () => {
    const clock = new FakeClock(0, 0.5);
    const { fn } = scripted(clock, [status(503), connError, status(200)]);
    const outcome = await withRetry(fn, { deadline: 60_000, timeoutMs: 5000, clock });
    expect(outcome).toEqual({ delivered: true, attempts: 3, failedAttempts: 2 });
    expect(clock.sleeps).toEqual([50, 100]);
  });

  test('a permanent error is not retried', async () => {
    const clock = new FakeClock();
    const { fn } = scripted(clock, [status(400)]);
    const outcome = await withRetry(fn, { deadline: clock.t + 60_000, timeoutMs: 5000, clock });
    expect(outcome).toEqual({ delivered: false, attempts: 1, failedAttempts: 1, reason: 'permanent', lastError: 'HTTP 400' });
    expect(clock.sleeps).toEqual([]);
  });

  test('Retry-After replaces the backoff', async () => {
    const clock = new FakeClock();
    const { fn } = scripted(clock, [status(429, '2'), status(200)]);
    const outcome = await withRetry(fn, { deadline: clock.t + 60_000, timeoutMs: 5000, clock });
    expect(outcome.delivered).toBe(true);
    expect(clock.sleeps).toEqual([2000]);
  });

  test('a Retry-After beyond the deadline gives up at once instead of waiting', async () => {
    const clock = new FakeClock();
    const { fn } = scripted(clock, [status(503, '120')]);
    const outcome = await withRetry(fn, { deadline: clock.t + 10_000, timeoutMs: 5000, clock });
    expect(outcome).toMatchObject({ delivered: false, attempts: 1, reason: 'deadline' });
    expect(clock.sleeps).toEqual([]);
  });

  test('no attempt starts at or after the deadline', async () => {
    const clock = new FakeClock();
    const { fn } = scripted(clock, []);
    const outcome = await withRetry(fn, { deadline: clock.t, timeoutMs: 5000, clock });
    expect(outcome).toEqual({ delivered: false, attempts: 0, failedAttempts: 0, reason: 'deadline', lastError: undefined });
  });

  test('attempts get at most the time left before the deadline', async () => {
    const clock = new FakeClock(0, 0);
    const { fn, timeouts } = scripted(clock, [timeout, timeout, timeout], 700);
    const outcome = await withRetry(fn, { deadline: 2000, timeoutMs: 1000, clock });
    expect(timeouts).toEqual([1000, 1000, 600]);
    expect(outcome).toMatchObject({ delivered: false, attempts: 3, reason: 'deadline', lastError: 'timeout after 5 ms' });
  });

  test('maxAttempts bounds the retries', async () => {
    const clock = new FakeClock(0, 0);
    const { fn } = scripted(clock, Array.from({ length: 4 }, () => status(500)));
    const outcome = await withRetry(fn, { deadline: 1e12, timeoutMs: 1000, clock, policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 4 } });
    expect(outcome).toMatchObject({ delivered: false, attempts: 4, failedAttempts: 4, reason: 'exhausted' });
  });

  test('maxElapsedMs bounds the time spent on one batch', async () => {
    const clock = new FakeClock(0, 0.999);
    const policy: RetryPolicy = { initialBackoffMs: 1000, maxBackoffMs: 1000, multiplier: 2, maxElapsedMs: 3500, maxAttempts: 100 };
    const { fn } = scripted(clock, Array.from({ length: 100 }, () => status(502)));
    const outcome = await withRetry(fn, { deadline: 1e12, timeoutMs: 1000, clock, policy });
    expect(outcome).toMatchObject({ delivered: false, reason: 'exhausted' });
    expect(outcome.attempts).toBe(4);
    expect(clock.t).toBeLessThanOrEqual(3500);
  });

  test('property: never starts an attempt at or after the deadline, never sleeps past it', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.constantFrom(503, 429, 500, 408, 0), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 0, max: 20_000 }),
      fc.integer({ min: 0, max: 3000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      async (codes, budget, attemptMs, rnd) => {
        const clock = new FakeClock(0, rnd);
        const starts: number[] = [];
        const fn = async () => {
          starts.push(clock.t);
          clock.t += attemptMs;
          const code = codes[(starts.length - 1) % codes.length];
          return code === 0 ? connError : status(code, code === 429 ? '1' : undefined);
        };
        const outcome = await withRetry(fn, { deadline: budget, timeoutMs: 5000, clock });
        expect(outcome.delivered).toBe(false);
        for (const start of starts) expect(start).toBeLessThan(budget);
        expect(outcome.attempts).toBe(starts.length);
        expect(outcome.attempts).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxAttempts);
      },
    ));
  });
});
