/**
 * When to hand queued telemetry to the sink. Pure decisions: every method takes the current time
 * (epoch ms) from the caller, nothing here reads a clock or starts a timer.
 *
 * The constraint behind all of them: once the runtime and every extension have called `next`,
 * the environment is frozen; timers do not fire and sockets hang until the next invoke, or for
 * ever if the environment is shut down instead. Work done before calling `next` is billed and
 * delays the caller's next request on this environment (PostRuntimeExtensionsDuration).
 *
 * - `end-of-invocation`: after INVOKE N, wait for N's `platform.runtimeDone` (at most until the
 *   invocation deadline minus a margin and a flush reserve), flush (no attempt starts after the
 *   deadline minus the margin), then call `next`. Fresh data, paid per invocation.
 * - `periodically`: never blocks. At each invocation boundary, start a background flush if
 *   `intervalMs` passed since the last one. No timer (it would not fire while frozen anyway).
 * - `continuously`: never blocks. A background timer every `intervalMs` while thawed, plus the
 *   boundary check of `periodically`.
 * - `adaptive` (default): `end-of-invocation` while invocations are infrequent, `continuously`
 *   once they are frequent, judged on the gaps between the last {@link ADAPTIVE_DEFAULTS.window}
 *   invocation starts (see there for the thresholds and why).
 */
import type { FlushStrategyName } from '../../lib/config/contract';

/** What to do at an invocation boundary (an INVOKE event). */
export type InvokeDecision =
  | {
    /** Wait for `platform.runtimeDone` of `requestId` (until `waitUntil`), flush, then `next`. */
    readonly action: 'flush-then-next';
    readonly requestId: string;
    /** Stop waiting for runtimeDone at this instant (epoch ms), leaving time to flush what came. */
    readonly waitUntil: number;
    /** No flush attempt may start after this instant (epoch ms). */
    readonly hardDeadline: number;
  }
  /** Start a flush in the background and call `next` at once. */
  | { readonly action: 'flush-in-background' }
  /** Nothing to do: call `next`. */
  | { readonly action: 'none' };

export interface InvokeInfo {
  readonly requestId: string;
  /** The invocation's deadline, epoch ms. */
  readonly deadlineMs: number;
}

export interface FlushStrategy {
  readonly name: FlushStrategyName;
  /** An INVOKE arrived at `now` (the environment is thawed). */
  onInvoke(invoke: InvokeInfo, now: number): InvokeDecision;
  /** A flush (blocking, background or timer) completed at `now`. */
  onFlushed(now: number): void;
  /** Interval of the background timer that should run while thawed, or undefined for none. */
  timerIntervalMs(): number | undefined;
}

export interface StrategyOptions {
  /** For `periodically`, `continuously` and the frequent regime of `adaptive`. */
  readonly intervalMs: number;
  /** Stop blocking this long before the invocation deadline (a late extension times the invocation out). */
  readonly deadlineMarginMs?: number;
  /** Stop waiting for runtimeDone this long before the margin, to flush what arrived anyway. */
  readonly flushReserveMs?: number;
  /** A blocking flush gives up starting new attempts after this long (keeps a dead sink from holding every invocation). */
  readonly maxBlockingFlushMs?: number;
  /** Adaptive thresholds. */
  readonly adaptive?: Partial<AdaptiveThresholds>;
}

export interface AdaptiveThresholds {
  /** How many recent invocation start times are kept. */
  readonly window: number;
  /** Fewest gaps (window starts minus one) before the regime can become frequent. */
  readonly minGaps: number;
  /** Frequent when the median gap falls below this. */
  readonly frequentBelowMs: number;
  /** Infrequent again when the median gap rises above this (hysteresis: no flapping at the edge). */
  readonly infrequentAboveMs: number;
}

/**
 * Thresholds of `adaptive`, and why:
 * - window 10 starts (9 gaps), at least 4 gaps: a few invocations are enough to notice a burst,
 *   and one odd gap cannot flip the regime (the median ignores outliers, the mean would not);
 * - frequent below a median gap of 1 s: then the environment is rarely frozen for long, so a
 *   background timer gets to run between invocations, while blocking each invocation for a flush
 *   (tens to hundreds of ms) would add that much latency to most requests of a busy function and
 *   cut its throughput per environment;
 * - infrequent above 2 s: with seconds-long freezes between invocations a background flush
 *   stalls, and queued data would wait for the next invoke, possibly minutes away; flushing at the
 *   end of each invocation costs little when invocations are that rare. The gap between 1 s and
 *   2 s is hysteresis.
 */
export const ADAPTIVE_DEFAULTS: AdaptiveThresholds = {
  window: 10,
  minGaps: 4,
  frequentBelowMs: 1_000,
  infrequentAboveMs: 2_000,
};

/** Default margin before the invocation deadline. */
export const DEFAULT_DEADLINE_MARGIN_MS = 250;
/** Default time kept for a flush when runtimeDone is late. */
export const DEFAULT_FLUSH_RESERVE_MS = 250;
/** Default budget of one blocking flush. */
export const DEFAULT_MAX_BLOCKING_FLUSH_MS = 2_000;

/** The deadline to give a blocking flush that starts at `now`. */
export function blockingFlushDeadline(decision: { readonly hardDeadline: number }, now: number, maxBlockingFlushMs: number): number {
  return Math.min(decision.hardDeadline, now + maxBlockingFlushMs);
}

class EndOfInvocation implements FlushStrategy {
  readonly name = 'end-of-invocation' as const;
  constructor(private readonly marginMs: number, private readonly reserveMs: number) {}

  onInvoke(invoke: InvokeInfo): InvokeDecision {
    const hardDeadline = invoke.deadlineMs - this.marginMs;
    return { action: 'flush-then-next', requestId: invoke.requestId, waitUntil: hardDeadline - this.reserveMs, hardDeadline };
  }

  onFlushed(): void {}

  timerIntervalMs(): undefined {
    return undefined;
  }
}

/** Boundary check shared by `periodically` and `continuously`. */
class IntervalClock {
  private lastFlush: number | undefined;
  constructor(readonly intervalMs: number) {}

  due(now: number): boolean {
    return this.lastFlush === undefined || now - this.lastFlush >= this.intervalMs;
  }

  flushed(now: number): void {
    this.lastFlush = now;
  }
}

class Periodically implements FlushStrategy {
  readonly name: FlushStrategyName = 'periodically';
  protected readonly clock: IntervalClock;
  constructor(intervalMs: number) {
    this.clock = new IntervalClock(intervalMs);
  }

  onInvoke(_invoke: InvokeInfo, now: number): InvokeDecision {
    return this.clock.due(now) ? { action: 'flush-in-background' } : { action: 'none' };
  }

  onFlushed(now: number): void {
    this.clock.flushed(now);
  }

  timerIntervalMs(): number | undefined {
    return undefined;
  }
}

class Continuously extends Periodically {
  override readonly name: FlushStrategyName = 'continuously';

  override timerIntervalMs(): number {
    return this.clock.intervalMs;
  }
}

/** `end-of-invocation` while invocations are infrequent, `continuously` while they are frequent. */
export class Adaptive implements FlushStrategy {
  readonly name = 'adaptive' as const;
  private readonly starts: number[] = [];
  private frequent = false;
  private readonly endOfInvocation: EndOfInvocation;
  private readonly continuously: Continuously;
  private readonly thresholds: AdaptiveThresholds;

  constructor(intervalMs: number, marginMs: number, thresholds: Partial<AdaptiveThresholds> = {}, reserveMs = DEFAULT_FLUSH_RESERVE_MS) {
    this.thresholds = { ...ADAPTIVE_DEFAULTS, ...thresholds };
    this.endOfInvocation = new EndOfInvocation(marginMs, reserveMs);
    this.continuously = new Continuously(intervalMs);
  }

  /** The current regime. */
  get regime(): 'frequent' | 'infrequent' {
    return this.frequent ? 'frequent' : 'infrequent';
  }

  onInvoke(invoke: InvokeInfo, now: number): InvokeDecision {
    this.starts.push(now);
    if (this.starts.length > this.thresholds.window) this.starts.shift();
    this.frequent = this.judge();
    return this.frequent ? this.continuously.onInvoke(invoke, now) : this.endOfInvocation.onInvoke(invoke);
  }

  onFlushed(now: number): void {
    this.continuously.onFlushed(now);
  }

  timerIntervalMs(): number | undefined {
    return this.frequent ? this.continuously.timerIntervalMs() : undefined;
  }

  private judge(): boolean {
    const gaps: number[] = [];
    for (let i = 1; i < this.starts.length; i++) gaps.push(this.starts[i] - this.starts[i - 1]);
    if (gaps.length < this.thresholds.minGaps) return false;
    const median = medianOf(gaps);
    if (this.frequent) return median <= this.thresholds.infrequentAboveMs;
    return median < this.thresholds.frequentBelowMs;
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The strategy named in the configuration. */
export function createFlushStrategy(name: FlushStrategyName, options: StrategyOptions): FlushStrategy {
  const margin = options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  const reserve = options.flushReserveMs ?? DEFAULT_FLUSH_RESERVE_MS;
  switch (name) {
    case 'end-of-invocation':
      return new EndOfInvocation(margin, reserve);
    case 'periodically':
      return new Periodically(options.intervalMs);
    case 'continuously':
      return new Continuously(options.intervalMs);
    case 'adaptive':
      return new Adaptive(options.intervalMs, margin, options.adaptive, reserve);
  }
}
