/**
 * Retry of one export request: exponential backoff with full jitter, `Retry-After` honoured (also
 * by the next chain of attempts of a request kept for later, through `notBefore`),
 * bounded per batch by `maxElapsedMs` and `maxAttempts`, and never an attempt that starts at or
 * after the caller's deadline. Time is injected ({@link RetryClock}) so the maths is testable
 * without waiting.
 *
 * Retryable: 408, 429, 5xx, connection errors, timeouts. Everything else that is not 2xx
 * (400, 401, 403, 413, other 4xx, 3xx) is permanent: retrying cannot help.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult, OutgoingRequest, Transport } from './transport';

export interface RetryPolicy {
  /** Backoff cap of the first retry, ms. */
  readonly initialBackoffMs: number;
  /** Backoff cap never grows beyond this, ms. */
  readonly maxBackoffMs: number;
  readonly multiplier: number;
  /** No retry is started once this much time has passed since the first attempt, ms. */
  readonly maxElapsedMs: number;
  /** Attempts per batch, the first one included. */
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  multiplier: 2,
  maxElapsedMs: 30_000,
  maxAttempts: 10,
};

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const SYSTEM_CLOCK: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
  random: () => Math.random(),
};

export type Classification =
  | { readonly kind: 'success' }
  | { readonly kind: 'retryable'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'permanent'; readonly reason: string };

/** How to treat the result of one attempt. */
export function classify(result: AttemptResult, now: number): Classification {
  if (result.kind === 'error') return { kind: 'retryable', reason: result.message };
  const { status } = result;
  if (status >= 200 && status < 300) return { kind: 'success' };
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    return { kind: 'retryable', reason: `HTTP ${status}`, retryAfterMs: parseRetryAfter(result.retryAfter, now) };
  }
  return { kind: 'permanent', reason: `HTTP ${status}` };
}

/**
 * `Retry-After` as a delay in ms from `now`: delta-seconds (`120`) or an HTTP date. `undefined`
 * when absent or unreadable; 0 for a date in the past.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Full-jitter backoff before retry number `retry` (1 = first retry): uniform in
 * [0, min(maxBackoffMs, initialBackoffMs * multiplier^(retry-1))].
 */
export function backoffMs(retry: number, policy: RetryPolicy, random: number): number {
  const cap = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * policy.multiplier ** Math.max(0, retry - 1));
  return Math.floor(random * cap);
}

export type GiveUpReason = 'permanent' | 'exhausted' | 'deadline';

export interface RetryOutcome {
  readonly delivered: boolean;
  /** Attempts made (0 when the deadline had already passed). */
  readonly attempts: number;
  /** Attempts that did not succeed. */
  readonly failedAttempts: number;
  /** Set when not delivered. */
  readonly reason?: GiveUpReason;
  /** Last failure, e.g. `HTTP 503`, `timeout after 5000 ms`. */
  readonly lastError?: string;
  /** Set when not delivered and the last answer had a `Retry-After`: the instant it asked to wait until. */
  readonly notBefore?: number;
}

export interface RetryOptions {
  /** Epoch ms: no attempt starts at or after it. */
  readonly deadline: number;
  /** Upper bound of one attempt, ms; the attempt gets less when the deadline is nearer. */
  readonly timeoutMs: number;
  /**
   * Epoch ms (of the clock) before which the first attempt may not start: the `Retry-After` an
   * earlier chain of the same request was answered with. The wait counts against the chain's
   * `maxElapsedMs` and never goes past `deadline`.
   */
  readonly notBefore?: number;
  readonly policy?: RetryPolicy;
  readonly clock?: RetryClock;
}

/**
 * Run `attempt` until it succeeds, fails permanently, or the budget (attempts, elapsed time,
 * deadline) is spent. `attempt` receives its timeout in ms and must not reject.
 */
export async function withRetry(attempt: (timeoutMs: number) => Promise<AttemptResult>, options: RetryOptions): Promise<RetryOutcome> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const giveUpAt = Math.min(options.deadline, started + policy.maxElapsedMs);
  let attempts = 0;
  let lastError: string | undefined;
  /** What the server asked last, as an instant: carried to the next chain when this one gives up. */
  let notBefore = options.notBefore !== undefined && options.notBefore > started ? options.notBefore : undefined;
  const giveUp = (reason: GiveUpReason): RetryOutcome => ({ delivered: false, attempts, failedAttempts: attempts, reason, lastError, notBefore });
  if (notBefore !== undefined) {
    if (notBefore >= options.deadline) return giveUp('deadline');
    if (notBefore >= giveUpAt) return giveUp('exhausted');
    await clock.sleep(notBefore - started);
  }
  for (;;) {
    const now = clock.now();
    if (now >= options.deadline) return giveUp('deadline');
    attempts++;
    const timeoutMs = Math.max(1, Math.min(options.timeoutMs, options.deadline - now));
    const result = await attempt(timeoutMs);
    const answeredAt = clock.now();
    const verdict = classify(result, answeredAt);
    if (verdict.kind === 'success') return { delivered: true, attempts, failedAttempts: attempts - 1 };
    lastError = verdict.reason;
    notBefore = verdict.kind === 'retryable' && verdict.retryAfterMs !== undefined ? answeredAt + verdict.retryAfterMs : undefined;
    if (verdict.kind === 'permanent') return giveUp('permanent');
    if (attempts >= policy.maxAttempts) return giveUp('exhausted');
    const delay = verdict.retryAfterMs ?? backoffMs(attempts, policy, clock.random());
    const resumeAt = answeredAt + delay;
    if (resumeAt >= options.deadline) return giveUp('deadline');
    if (resumeAt >= giveUpAt) return giveUp('exhausted');
    if (delay > 0) await clock.sleep(delay);
  }
}

/**
 * Retry as a decorator around a {@link Transport} (as opentelemetry-js's otlp-exporter-base
 * wraps its transports): each call is one request's chain of attempts under {@link withRetry}.
 */
export class RetryingTransport {
  constructor(private readonly inner: Transport, private readonly options: { readonly policy?: RetryPolicy; readonly clock?: RetryClock } = {}) {}

  send(request: OutgoingRequest, options: Omit<RetryOptions, 'policy' | 'clock'>): Promise<RetryOutcome> {
    return withRetry((timeoutMs) => this.inner.send(request, timeoutMs), { ...options, policy: this.options.policy, clock: this.options.clock });
  }

  close(): void {
    this.inner.close();
  }
}
