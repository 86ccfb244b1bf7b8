/**
 * A clock that only moves when told: when code under test sleeps (by `advanceOnSleep(ms)`, the
 * slept time by default), or when the test calls `advance`. Fits the extension's `RetryClock`
 * (`now`, `sleep`, `random`); the methods are bound, so they can be passed around alone.
 *
 * @example
 *   const clock = new FakeClock({ random: 1 });
 *   await withRetry(attempt, policy, clock);
 *   expect(clock.sleeps).toEqual([100, 200]);
 */

export interface FakeClockOptions {
  /** The time at the start, epoch ms. @default Date.now() */
  readonly start?: number;
  /** What `random()` returns (jitter), in [0, 1]. @default 0.5 */
  readonly random?: number;
  /**
   * How far a `sleep(ms)` moves the clock (e.g. `() => 600_000`: each sleep "takes" ten minutes,
   * as if the environment was frozen during it). @default the slept time
   */
  readonly advanceOnSleep?: (ms: number) => number;
}

export class FakeClock {
  /** Every `sleep` asked for, in ms, in order. */
  readonly sleeps: number[] = [];
  private t: number;
  private readonly jitter: number;
  private readonly advanceOnSleep: (ms: number) => number;

  constructor(options: FakeClockOptions = {}) {
    this.t = options.start ?? Date.now();
    this.jitter = options.random ?? 0.5;
    this.advanceOnSleep = options.advanceOnSleep ?? ((ms) => ms);
  }

  readonly now = (): number => this.t;

  readonly random = (): number => this.jitter;

  /** Records `ms`, moves the clock, resolves at once (no real waiting). */
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.t += this.advanceOnSleep(ms);
  };

  /** Moves the clock by `ms` (e.g. an attempt that took time). */
  advance(ms: number): void {
    this.t += ms;
  }
}
